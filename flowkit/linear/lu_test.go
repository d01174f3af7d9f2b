package linear

import (
	"fmt"
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// TestEq16_9LUAgreesWithDense checks the LU flow Ω = P L (U + D) against the dense computation
// in float64 by gonum: Ω rebuilt from the variables, x = Ωz + β, log|det Ω| by a dense LU
// factorisation and z = Ω⁻¹(x - β) by a dense solve, to 1e-5, for D in {2, 16, 128}, after
// moving the parameters away from their initial rotation.
func TestEq16_9LUAgreesWithDense(t *testing.T) {
	for _, mag := range []Magnitude{MagnitudeExp, MagnitudeSoftplus} {
		for _, d := range []int{2, 16, 128} {
			t.Run(fmt.Sprintf("%s/D=%d", mag, d), func(t *testing.T) {
				const n = 6
				store := model.NewStore()
				b := &LU{Magnitude: mag, Seed: 3}
				in := tensors.FromFlatDataAndDimensions(randn(n*d, uint64(d)), n, d)
				runBijector(t, store, b, in) // creates the variables
				// Away from the rotation: the triangular factors get noise of size 0.3/√D (kept
				// well-conditioned, as trained factors are), the magnitudes and bias 0.3.
				perturb(t, variableByName(t, store, "lower"), 0.3/math.Sqrt(float64(d)), 1)
				perturb(t, variableByName(t, store, "upper"), 0.3/math.Sqrt(float64(d)), 2)
				perturb(t, variableByName(t, store, "log_scale"), 0.3, 3)
				shift(t, variableByName(t, store, "log_scale"), 0.05) // a log-det away from 0
				perturb(t, variableByName(t, store, "bias"), 0.3, 4)
				out := runBijector(t, store, b, in)

				w := hostLUMatrix(t, store, d, mag)
				bias := float64sOf(t, variableByName(t, store, "bias"))
				xs := flowkit.Float64s(in)
				wantLD := logAbsDet(w)
				if math.Abs(wantLD) < 0.1 {
					t.Fatalf("log|det Ω| = %g: the perturbation and shift did not move the determinant", wantLD)
				}
				if err := maxAbs(flowkit.Float64s(out[0]), applyRows(w, bias, xs, d)); err > 1e-5 {
					t.Errorf("forward Ωz + β differs from gonum's by %.3g", err)
				}
				if err := maxAbs(flowkit.Float64s(out[2]), solveRows(t, w, bias, xs, d)); err > 1e-5 {
					t.Errorf("inverse Ω⁻¹(x - β) differs from gonum's solve by %.3g", err)
				}
				for i := range n {
					if ld := flowkit.Float64s(out[1])[i]; math.Abs(ld-wantLD) > 1e-5 {
						t.Errorf("forward log-det %.10g, gonum log|det Ω| %.10g", ld, wantLD)
					}
					if ld := flowkit.Float64s(out[3])[i]; math.Abs(ld+wantLD) > 1e-5 {
						t.Errorf("inverse log-det %.10g, want %.10g", ld, -wantLD)
					}
				}
			})
		}
	}
}

// TestLUStartsAtARotation checks the default initialisation: Ω₀ is orthogonal (Ω₀ᵀΩ₀ = I, so
// log|det| = 0), not the identity, different for two layers of a chain, and the identity
// option gives Ω₀ = I.
func TestLUStartsAtARotation(t *testing.T) {
	const d = 8
	in := tensors.FromFlatDataAndDimensions(randn(2*d, 1), 2, d)
	store := model.NewStore()
	chain := flowkit.NewChain(NewLU(), NewLU())
	be := testBackend(t)
	exec, err := model.NewExec(be, store, func(s *model.Scope, x *Node) []*Node {
		_, ld := chain.Forward(s, x, nil)
		return []*Node{ld, chain.Bijectors[0].(*LU).Matrix(chain.Scope(s, 0), x), chain.Bijectors[1].(*LU).Matrix(chain.Scope(s, 1), x)}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(in)
	if err != nil {
		t.Fatal(err)
	}
	if ld := flowkit.Float64s(out[0]); math.Abs(ld[0]) > 1e-5 {
		t.Errorf("log-det at a rotation = %g, want 0", ld[0])
	}
	w0 := mat.NewDense(d, d, flowkit.Float64s(out[1]))
	w1 := mat.NewDense(d, d, flowkit.Float64s(out[2]))
	var wtw mat.Dense
	wtw.Mul(w0.T(), w0)
	if !mat.EqualApprox(&wtw, eye(d), 1e-5) {
		t.Errorf("Ω₀ᵀΩ₀ is not the identity:\n%v", mat.Formatted(&wtw))
	}
	if mat.EqualApprox(w0, eye(d), 0.1) {
		t.Error("the default initialisation is the identity, want a random rotation")
	}
	if mat.EqualApprox(w0, w1, 1e-3) {
		t.Error("two LU layers of a chain start at the same rotation")
	}

	store = model.NewStore()
	id := &LU{Init: InitIdentity}
	out = runBijector(t, store, id, in)
	if err := maxAbs(flowkit.Float64s(out[0]), flowkit.Float64s(in)); err != 0 {
		t.Errorf("identity initialisation moves the input by %g", err)
	}
}

// TestLUCheck runs the verification harness on the LU flow in both magnitude options.
func TestLUCheck(t *testing.T) {
	for _, b := range []flowkit.Bijector{NewLU(), &LU{Magnitude: MagnitudeSoftplus, Init: InitIdentity}} {
		r, err := check.Bijector(b, check.Options{Event: []int{7}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}

// TestLUBadInput checks that an image-shaped input is refused with a message naming the problem.
func TestLUBadInput(t *testing.T) {
	_, err := check.Bijector(NewLU(), check.Options{Event: []int{2, 2, 3}})
	if err == nil || !containsAll(err.Error(), "linear.LU", "[batch, D]", "Conv1x1") {
		t.Errorf("got error %v, want one naming linear.LU, the wanted shape and Conv1x1", err)
	}
}

func eye(d int) *mat.Dense {
	m := mat.NewDense(d, d, nil)
	for i := range d {
		m.Set(i, i, 1)
	}
	return m
}

// TestLUJacobians checks the autodiff Jacobians of both directions against Ω and Ω⁻¹ rebuilt
// with gonum (float64): ∂x/∂z = Ω and ∂z/∂x = Ω⁻¹ entry by entry, which also checks the
// gradients of the permutation's gather and scatter (a log-determinant cannot see a wrong
// permutation).
func TestLUJacobians(t *testing.T) {
	const d, n = 6, 2
	store := model.NewStore()
	b := NewLU()
	in := tensors.FromFlatDataAndDimensions(randn(n*d, 4), n, d)
	runBijector(t, store, b, in)
	perturb(t, variableByName(t, store, "lower"), 0.3, 1)
	perturb(t, variableByName(t, store, "upper"), 0.3, 2)
	perturb(t, variableByName(t, store, "log_scale"), 0.3, 3)
	exec, err := model.NewExec(testBackend(t), store, func(s *model.Scope, x *Node) []*Node {
		fwd, _ := b.Forward(s, x, nil)
		inv, _ := b.Inverse(s, x, nil)
		var rows []*Node
		for _, out := range []*Node{fwd, inv} {
			for i := range d {
				sel := Reshape(Slice(out, AxisRange(0, 1), AxisRange(i, i+1))) // example 0, output i
				rows = append(rows, Gradient(sel, x)[0])
			}
		}
		return rows
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(in)
	if err != nil {
		t.Fatal(err)
	}
	w := hostLUMatrix(t, store, d, MagnitudeExp)
	var winv mat.Dense
	if err := winv.Inverse(w); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for k, want := range []mat.Matrix{w, &winv} {
		for i := range d {
			grad := flowkit.Float64s(out[k*d+i]) // [n, d]: row 0 holds ∂out_i/∂x_0j
			for j := range d {
				worst = math.Max(worst, math.Abs(grad[j]-want.At(i, j)))
				if grad[d+j] != 0 {
					t.Fatalf("example 0's output depends on example 1")
				}
			}
		}
	}
	if worst > 1e-10 {
		t.Errorf("autodiff Jacobians differ from Ω and Ω⁻¹ by %.3g", worst)
	}
}
