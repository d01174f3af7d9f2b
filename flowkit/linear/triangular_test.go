package linear

import (
	"fmt"
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/gonum/mat"
)

// triangularCase returns a well-conditioned strictly lower matrix (entries N(0, 0.3²/D)), a
// strictly upper one, a diagonal away from 0 and n right-hand sides, all as host values.
func triangularCase(d, n int) (lower, upper, diag, rhs []float64) {
	lower, upper = make([]float64, d*d), make([]float64, d*d)
	noise := randn(2*d*d, uint64(d))
	for i := range d {
		for j := range d {
			switch {
			case j < i:
				lower[i*d+j] = 0.3 / math.Sqrt(float64(d)) * noise[i*d+j]
			case j > i:
				upper[i*d+j] = 0.3 / math.Sqrt(float64(d)) * noise[d*d+i*d+j]
			}
		}
	}
	diag = randn(d, 77)
	for i := range diag {
		diag[i] = math.Copysign(0.5+math.Abs(diag[i]), diag[i])
	}
	return lower, upper, diag, randn(n*d, 5)
}

// TestTriangularSolvesMatchGonum checks the blocked substitutions against gonum's dense solves
// in float64, for sizes that fill the blocks exactly (4, 16, 25) and that do not (1, 2, 7, 37,
// 130), so the padding is exercised.
func TestTriangularSolvesMatchGonum(t *testing.T) {
	be := testBackend(t)
	for _, d := range []int{1, 2, 4, 7, 16, 25, 37, 130} {
		t.Run(fmt.Sprintf("D=%d", d), func(t *testing.T) {
			const n = 5
			lower, upper, diag, rhs := triangularCase(d, n)
			out, err := CallOnceN(be, func(l, u, dg, b *Node) []*Node {
				return []*Node{UnitLowerSolve(l, b), UnitUpperSolve(u, b), UpperSolve(u, dg, b)}
			}, tensors.FromFlatDataAndDimensions(lower, d, d), tensors.FromFlatDataAndDimensions(upper, d, d),
				tensors.FromFlatDataAndDimensions(diag, d), tensors.FromFlatDataAndDimensions(rhs, n, d))
			if err != nil {
				t.Fatal(err)
			}
			L, U, UD := mat.NewDense(d, d, nil), mat.NewDense(d, d, nil), mat.NewDense(d, d, nil)
			for i := range d {
				for j := range d {
					L.Set(i, j, lower[i*d+j])
					U.Set(i, j, upper[i*d+j])
					UD.Set(i, j, upper[i*d+j])
				}
				L.Set(i, i, 1)
				U.Set(i, i, 1)
				UD.Set(i, i, diag[i])
			}
			for k, m := range []*mat.Dense{L, U, UD} {
				if err := maxAbs(flowkit.Float64s(out[k]), solveRows(t, m, nil, rhs, d)); err > 1e-12 {
					t.Errorf("solve %d differs from gonum's by %.3g", k, err)
				}
			}
		})
	}
}

// TestUnitLowerSolveGradient compares the gradient of Σ w ⊙ UnitLowerSolve(S, b) with respect to
// S and b with central finite differences (float64): the inverse of the LU flow is trained
// through this gradient.
func TestUnitLowerSolveGradient(t *testing.T) {
	const d, n = 7, 3
	lower, _, _, rhs := triangularCase(d, n)
	w := randn(n*d, 11)
	be := testBackend(t)
	lossOf := func(l, b *Node) *Node {
		return ReduceAllSum(Mul(UnitLowerSolve(l, b), Reshape(Const(b.Graph(), w), n, d)))
	}
	out, err := CallOnceN(be, func(l, b *Node) []*Node {
		grads := Gradient(lossOf(l, b), l, b)
		return grads
	}, tensors.FromFlatDataAndDimensions(lower, d, d), tensors.FromFlatDataAndDimensions(rhs, n, d))
	if err != nil {
		t.Fatal(err)
	}
	gl, gb := flowkit.Float64s(out[0]), flowkit.Float64s(out[1])
	loss := func(l, b []float64) float64 {
		o, err := CallOnce(be, lossOf, tensors.FromFlatDataAndDimensions(l, d, d), tensors.FromFlatDataAndDimensions(b, n, d))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.ToScalar[float64](o)
	}
	const h = 1e-6
	worst := 0.0
	for i := 1; i < d; i++ { // strictly lower entries only
		for j := 0; j < i; j++ {
			lp, lm := append([]float64(nil), lower...), append([]float64(nil), lower...)
			lp[i*d+j] += h
			lm[i*d+j] -= h
			fd := (loss(lp, rhs) - loss(lm, rhs)) / (2 * h)
			worst = math.Max(worst, math.Abs(fd-gl[i*d+j]))
		}
	}
	for k := range rhs {
		bp, bm := append([]float64(nil), rhs...), append([]float64(nil), rhs...)
		bp[k] += h
		bm[k] -= h
		fd := (loss(lower, bp) - loss(lower, bm)) / (2 * h)
		worst = math.Max(worst, math.Abs(fd-gb[k]))
	}
	if worst > 1e-7 {
		t.Errorf("gradient differs from finite differences by %.3g", worst)
	}
}

// TestSolveBadShapes checks the readable panics for mismatched shapes.
func TestSolveBadShapes(t *testing.T) {
	be := testBackend(t)
	_, err := CallOnce(be, func(l, b *Node) *Node { return UnitLowerSolve(l, b) },
		tensors.FromFlatDataAndDimensions(make([]float64, 9), 3, 3), tensors.FromFlatDataAndDimensions(make([]float64, 8), 2, 4))
	if err == nil || !containsAll(err.Error(), "linear.UnitLowerSolve", "[n, 3]") {
		t.Errorf("got %v, want an error naming UnitLowerSolve and the wanted shape", err)
	}
}
