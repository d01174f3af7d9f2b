package linear

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
)

// GoMLX has no TriangularSolve, and its While loop has no gradient, so the triangular solves
// below are written with ordinary differentiable graph ops as a blocked substitution:
//
//   - the D unknowns are cut into nb = ⌈D/k⌉ blocks of k = ⌈√D⌉ (the matrix is padded with an
//     identity block to nb·k);
//   - the inverses of the nb diagonal k×k blocks are computed together, batched, by k steps of
//     row-by-row substitution on [nb, k, k] tensors: O(D·k²) = O(D²) work, independent of the
//     number of right-hand sides;
//   - the blocks of the solution follow one after the other: block J subtracts the product of
//     the solved blocks with the off-diagonal panel (one matrix product) and multiplies by its
//     diagonal block's inverse.
//
// For n right-hand sides that is n·D²/2 + n·D·k multiply-adds, O(n·D²), in k + nb ≈ 2√D
// sequential steps of the graph: no dense inverse and no O(D³) work.

// UnitLowerSolve returns y with (I + S) y_r = b_r for every row b_r of b [n, D], where S [D, D]
// holds the strictly lower-triangular part of a unit lower-triangular matrix (its diagonal and
// upper part must be zero). It is forward substitution, in row form y = b (I + S)⁻ᵀ, costing
// O(n·D²); it is differentiable in S and b.
func UnitLowerSolve(strictLower, b *Node) *Node {
	d := checkSolveShapes("UnitLowerSolve", strictLower, b)
	k := blockSize(d)
	nb := (d + k - 1) / k
	dp := nb * k
	S, rhs := strictLower, b
	if dp > d {
		S = padSquare(S, dp)
		rhs = padColumns(rhs, dp)
	}
	inv := unitLowerBlockInverses(S, nb, k) // [nb, k, k]
	var solved []*Node                      // blocks of y, each [n, k]
	var y *Node                             // the blocks solved so far, [n, J·k]
	for J := 0; J < nb; J++ {
		lo, hi := J*k, (J+1)*k
		r := Slice(rhs, AxisRange(), AxisRange(lo, hi))
		if J > 0 {
			panel := Slice(S, AxisRange(lo, hi), AxisRange(0, lo)) // [k, J·k]
			r = Sub(r, DotGeneral(y, []int{1}, nil, panel, []int{1}, nil))
		}
		blockInv := Reshape(Slice(inv, AxisRange(J, J+1)), k, k)
		yJ := DotGeneral(r, []int{1}, nil, blockInv, []int{1}, nil) // r · inv_Jᵀ
		solved = append(solved, yJ)
		if J < nb-1 {
			if y == nil {
				y = yJ
			} else {
				y = Concatenate([]*Node{y, yJ}, 1)
			}
		}
	}
	out := solved[0]
	if nb > 1 {
		out = Concatenate(solved, 1)
	}
	if dp > d {
		out = Slice(out, AxisRange(), AxisRange(0, d))
	}
	return out
}

// UnitUpperSolve returns y with (I + N) y_r = b_r for every row of b [n, D], where N [D, D] is
// strictly upper-triangular: back substitution, O(n·D²). It reverses the order of the unknowns,
// which turns the upper system into a lower one, and calls UnitLowerSolve.
func UnitUpperSolve(strictUpper, b *Node) *Node {
	checkSolveShapes("UnitUpperSolve", strictUpper, b)
	return Reverse(UnitLowerSolve(Reverse(strictUpper, 0, 1), Reverse(b, 1)), 1)
}

// UpperSolve returns y with (N + diag(d)) y_r = b_r for every row of b [n, D], where N [D, D]
// is strictly upper-triangular and d [D] is a diagonal without zeros. It uses
// N + diag(d) = diag(d)(I + diag(d)⁻¹N): scale by 1/d, then UnitUpperSolve. O(n·D²).
func UpperSolve(strictUpper, diag, b *Node) *Node {
	d := checkSolveShapes("UpperSolve", strictUpper, b)
	if diag.Rank() != 1 || diag.Shape().Dimensions[0] != d {
		panic(fmt.Errorf("linear.UpperSolve: diagonal has shape %v, want [%d]", diag.Shape().Dimensions, d))
	}
	inv := Reciprocal(diag)
	scaled := Mul(strictUpper, Reshape(inv, d, 1)) // row i divided by d_i
	return UnitUpperSolve(scaled, Mul(b, Reshape(inv, 1, d)))
}

// blockSize is the block size k of the blocked substitution for d unknowns: ⌈√d⌉, which
// balances the k steps of the diagonal-block inversion against the ⌈d/k⌉ block steps.
func blockSize(d int) int {
	return max(1, int(math.Ceil(math.Sqrt(float64(d)))))
}

// unitLowerBlockInverses returns the inverses of the nb diagonal k×k blocks of I + S, where S
// [nb·k, nb·k] is strictly lower-triangular, as [nb, k, k]. Row i of the inverse X of a unit
// lower-triangular block T = I + Sb is e_i - Σ_{j<i} Sb[i, j] X[j, :]; the k rows follow one
// another and all blocks are done together.
func unitLowerBlockInverses(S *Node, nb, k int) *Node {
	g, dt := S.Graph(), S.DType()
	// Diagonal blocks: view S as [nb, k, nb, k] and keep the entries with equal block indices.
	blocks := Reshape(S, nb, k, nb, k)
	if nb > 1 {
		eye := Reshape(identityConst(g, dt, nb), nb, 1, nb, 1)
		blocks = ReduceSum(Mul(blocks, eye), 2) // [nb, k, k]
	} else {
		blocks = Reshape(blocks, 1, k, k)
	}
	X := BroadcastToDims(Reshape(identityConst(g, dt, k), 1, k, k), nb, k, k)
	for i := 1; i < k; i++ {
		row := Slice(blocks, AxisRange(), AxisRange(i, i+1), AxisRange()) // [nb, 1, k]
		// Σ_j Sb[i, j] X[j, :], batched over the blocks: [nb, 1, k].
		sum := DotGeneral(row, []int{2}, []int{0}, X, []int{1}, []int{0})
		X = Sub(X, Mul(oneHotConst(g, dt, k, i, 1, k, 1), sum))
	}
	return X
}

func checkSolveShapes(op string, m, b *Node) int {
	if m.Rank() != 2 || m.Shape().Dimensions[0] != m.Shape().Dimensions[1] {
		panic(fmt.Errorf("linear.%s: the matrix has shape %v, want a square [D, D]", op, m.Shape().Dimensions))
	}
	d := m.Shape().Dimensions[0]
	if b.Rank() != 2 || b.Shape().Dimensions[1] != d {
		panic(fmt.Errorf("linear.%s: the right-hand sides have shape %v, want [n, %d] (one per row)", op, b.Shape().Dimensions, d))
	}
	if m.DType() != b.DType() {
		panic(fmt.Errorf("linear.%s: the matrix is %s but the right-hand sides are %s", op, m.DType(), b.DType()))
	}
	return d
}

// padSquare embeds m [d, d] in the top-left corner of a [dp, dp] zero matrix.
func padSquare(m *Node, dp int) *Node {
	d := m.Shape().Dimensions[0]
	g, dt := m.Graph(), m.DType()
	right := Zeros(g, shapeOf(dt, d, dp-d))
	bottom := Zeros(g, shapeOf(dt, dp-d, dp))
	return Concatenate([]*Node{Concatenate([]*Node{m, right}, 1), bottom}, 0)
}

// padColumns appends zero columns to b [n, d] up to [n, dp].
func padColumns(b *Node, dp int) *Node {
	n, d := b.Shape().Dimensions[0], b.Shape().Dimensions[1]
	return Concatenate([]*Node{b, Zeros(b.Graph(), shapeOf(b.DType(), n, dp-d))}, 1)
}

// identityConst is the d×d identity matrix as a constant of dtype dt.
func identityConst(g *Graph, dt dtypes.DType, d int) *Node {
	v := make([]float64, d*d)
	for i := 0; i < d; i++ {
		v[i*d+i] = 1
	}
	return constOf(g, dt, v, d, d)
}

// oneHotConst is a constant of shape dims, all zeros but a 1 at flat position at.
func oneHotConst(g *Graph, dt dtypes.DType, n, at int, dims ...int) *Node {
	v := make([]float64, n)
	v[at] = 1
	return constOf(g, dt, v, dims...)
}
