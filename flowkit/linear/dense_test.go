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

// TestLUFactorMatchesGonum checks the in-graph LU factorisation with partial pivoting against
// gonum (float64): log|det A| and A⁻¹b, on random matrices and on matrices that cannot be
// factorised without pivoting (a zero or tiny leading entry, a permutation matrix).
func TestLUFactorMatchesGonum(t *testing.T) {
	cases := map[string]*mat.Dense{}
	for _, d := range []int{1, 3, 16, 40} {
		cases[fmt.Sprintf("random D=%d", d)] = mat.NewDense(d, d, randn(d*d, uint64(d)))
	}
	cases["zero pivot"] = mat.NewDense(3, 3, []float64{0, 2, 1, 1, 1, 1, 3, 0, -1})
	cases["tiny pivot"] = mat.NewDense(2, 2, []float64{1e-14, 1, 1, 1})
	cases["permutation"] = mat.NewDense(4, 4, []float64{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0})
	be := testBackend(t)
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			d, _ := a.Dims()
			const n = 5
			b := randn(n*d, 99)
			out, err := CallOnceN(be, func(a, b *Node) []*Node {
				f := LUFactor(a)
				return []*Node{f.LogAbsDet(), f.Solve(b)}
			}, tensors.FromFlatDataAndDimensions(a.RawMatrix().Data, d, d), tensors.FromFlatDataAndDimensions(b, n, d))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tensors.ToScalar[float64](out[0]), logAbsDet(a); math.Abs(got-want) > 1e-9 {
				t.Errorf("log|det A| = %.12g, gonum %.12g", got, want)
			}
			if err := maxAbs(flowkit.Float64s(out[1]), solveRows(t, a, nil, b, d)); err > 1e-9 {
				t.Errorf("A⁻¹b differs from gonum's by %.3g", err)
			}
		})
	}
}

// TestDenseCheck runs the verification harness on the dense linear flow.
func TestDenseCheck(t *testing.T) {
	for _, b := range []flowkit.Bijector{NewDense(), &Dense{Init: InitIdentity}} {
		r, err := check.Bijector(b, check.Options{Event: []int{6}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}

// TestFixedLinear checks the fixed linear flow x = Az + b against the host computation, and its
// readable errors for a matrix that does not fit the input.
func TestFixedLinear(t *testing.T) {
	A := [][]float64{{2, 1}, {0.5, -1}}
	b := []float64{0.3, -4}
	flow := NewFixedLinear(A, b)
	store := model.NewStore()
	z := randn(6, 1)
	out := runBijector(t, store, flow, tensors.FromFlatDataAndDimensions(z, 3, 2))
	a := mat.NewDense(2, 2, []float64{2, 1, 0.5, -1})
	if err := maxAbs(flowkit.Float64s(out[0]), applyRows(a, b, z, 2)); err > 1e-12 {
		t.Errorf("forward differs from Az + b by %.3g", err)
	}
	if err := maxAbs(flowkit.Float64s(out[2]), solveRows(t, a, b, z, 2)); err > 1e-12 {
		t.Errorf("inverse differs from A⁻¹(x - b) by %.3g", err)
	}
	if ld := flowkit.Float64s(out[1])[0]; math.Abs(ld-math.Log(2.5)) > 1e-12 {
		t.Errorf("log-det %g, want log|det A| = log 2.5", ld)
	}
	if n := store.NumVariables(); n != 0 {
		t.Errorf("a fixed linear flow created %d variables", n)
	}
	_, err := check.Bijector(flow, check.Options{Event: []int{3}})
	if err == nil || !containsAll(err.Error(), "linear.Dense", "2 rows", "D = 3") {
		t.Errorf("got %v, want an error naming the fixed matrix's size and D", err)
	}
}
