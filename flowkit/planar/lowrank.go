package planar

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// LogDetLowRank returns log|det(I_D + U Vᵀ)| for U, V of shape [..., D, k], computed by the
// matrix determinant lemma (seed 000) as
//
//	det(I_D + U Vᵀ) = det(I_k + Vᵀ U),
//
// i.e. in O(D k² + k³) graph operations instead of O(D³). Leading axes are batch axes; the result
// has shape [...] (a scalar for unbatched [D, k] inputs). It is differentiable (through
// LogAbsDet's elimination) and is the general path behind the O(M) triangular formula of
// Sylvester flows.
func LogDetLowRank(u, v *Node) *Node {
	if u.Rank() < 2 || !u.Shape().Equal(v.Shape()) {
		panic(fmt.Errorf("planar.LogDetLowRank: U and V must have the same shape [..., D, k], got %s and %s",
			u.Shape(), v.Shape()))
	}
	dims := u.Shape().Dimensions
	D, k := dims[len(dims)-2], dims[len(dims)-1]
	lead := dims[:len(dims)-2]
	ub, vb := Reshape(u, -1, D, k), Reshape(v, -1, D, k)
	a := Einsum("bdi,bdj->bij", vb, ub) // Vᵀ U, [B, k, k]
	a = Add(a, ExpandLeftToRank(eye(u.Graph(), u.DType(), k, k), 3))
	out := LogAbsDet(a)
	return Reshape(out, lead...)
}

// LogAbsDet returns log|det A| for square matrices a [..., k, k], by Gaussian elimination with
// partial pivoting written in graph operations (k steps of O(k²) work each, O(k³) in all). A
// singular matrix gives -Inf. Gradients flow through the elimination (the pivot choice is
// piecewise constant and carries none).
func LogAbsDet(a *Node) *Node {
	if a.Rank() < 2 || a.Shape().Dim(-1) != a.Shape().Dim(-2) {
		panic(fmt.Errorf("planar.LogAbsDet: want square matrices [..., k, k], got %s", a.Shape()))
	}
	dims := a.Shape().Dimensions
	k := dims[len(dims)-1]
	lead := dims[:len(dims)-2]
	g, dt := a.Graph(), a.DType()
	A := Reshape(a, -1, k, k)
	B := A.Shape().Dimensions[0]
	rowIdx := Iota(g, shapes.Make(dtypes.Int32, 1, k), 1) // [1, k]
	logDet := Zeros(g, shapes.Make(dt, B))
	for j := 0; j < k; j++ {
		ej := OneHot(Const(g, []int32{int32(j)}), k, dt)  // [1, k]
		col := ReduceSum(Mul(A, Reshape(ej, 1, 1, k)), 2) // A[:, :, j], [B, k]
		// Pivot: the largest |A[i, j]| over rows i ≥ j.
		below := GreaterOrEqual(rowIdx, Scalar(g, dtypes.Int32, j))
		cand := Where(BroadcastToDims(below, B, k), StopGradient(Abs(col)), Scalar(g, dt, -1))
		p := StopGradient(OneHot(ArgMax(cand, 1, dtypes.Int32), k, dt)) // [B, k]
		rowJ := ReduceSum(Mul(A, Reshape(ej, 1, k, 1)), 1)              // [B, k]
		rowP := ReduceSum(Mul(A, InsertAxes(p, 2)), 1)                  // [B, k]
		diff := InsertAxes(Sub(rowP, rowJ), 1)                          // [B, 1, k]
		A = Add(A, Sub(Mul(Reshape(ej, 1, k, 1), diff), Mul(InsertAxes(p, 2), diff)))
		pivot := ReduceSum(Mul(rowP, ej), 1) // [B]
		logDet = Add(logDet, Log(Abs(pivot)))
		col = ReduceSum(Mul(A, Reshape(ej, 1, 1, k)), 2)
		after := ConvertDType(GreaterThan(rowIdx, Scalar(g, dtypes.Int32, j)), dt) // [1, k]
		safePivot := Where(IsZero(pivot), OnesLike(pivot), pivot)
		factor := Mul(Div(col, InsertAxes(safePivot, 1)), after) // [B, k]
		A = Sub(A, Mul(InsertAxes(factor, 2), InsertAxes(rowP, 1)))
	}
	return Reshape(logDet, lead...)
}

// eye returns the n×m matrix with ones on the main diagonal.
func eye(g *Graph, dt dtypes.DType, n, m int) *Node {
	rows := Iota(g, shapes.Make(dtypes.Int32, n, m), 0)
	cols := Iota(g, shapes.Make(dtypes.Int32, n, m), 1)
	return ConvertDType(Equal(rows, cols), dt)
}
