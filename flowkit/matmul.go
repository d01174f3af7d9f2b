package flowkit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// MatMul2D returns the matrix product x·w of x [N, K] and w [K, M], giving [N, M].
//
// Its value is GoMLX's Dot; its gradient is computed as v·wᵀ and xᵀ·v, two plain matrix
// products. GoMLX's stock gradient of the weight contracts over the batch axis of both operands,
// a layout the pure-Go backend can only run after transposing both [N, ·] operands into a slower
// dot-product kernel; on a [512,64]·[64,64] dense layer that made the backward pass about 3x
// slower than this formulation (measured with the benchmarks in flowkit's perf suite). The result
// is the same matrix product either way, so this changes speed only.
//
// A product with few output columns (M not a multiple of padCols) is computed with w padded by
// zero columns to the next multiple of padCols, and the result sliced: the backend's small-matrix
// kernel runs columns in SIMD vectors of 8 and the rest one scalar at a time, so [512,64]·[64,2]
// (the last layer of a 2-D coupling's conditioner) took about 1.1 ms, and takes about 0.03 ms
// padded (BenchmarkMatMul2D in this package).
func MatMul2D(x, w *Node) *Node {
	if x.Rank() != 2 || w.Rank() != 2 {
		panic(fmt.Errorf("flowkit.MatMul2D: want matrices, got %s and %s", x.Shape(), w.Shape()))
	}
	if x.Shape().Dimensions[1] != w.Shape().Dimensions[0] {
		panic(fmt.Errorf("flowkit.MatMul2D: inner dimensions differ: %s · %s", x.Shape(), w.Shape()))
	}
	n, k, m := x.Shape().Dimensions[0], w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	if r := m % padCols; r != 0 && n >= padMinRows {
		zeros := Zeros(w.Graph(), shapes.Make(w.DType(), k, padCols-r))
		y := fastDot(x, Concatenate([]*Node{w, zeros}, 1))
		return Slice(y, AxisRange(), AxisRange(0, m))
	}
	return fastDot(x, w)
}

const (
	// padCols is the column multiple MatMul2D pads w to (the SIMD width of float32 on AVX2).
	padCols = 8
	// padMinRows is the number of rows of x from which padding pays for its Concatenate and Slice.
	padMinRows = 16
)

// fastDot returns the DotGeneral x·w registered for fastDotVJP's gradient.
func fastDot(x, w *Node) *Node {
	y := DotGeneral(x, []int{1}, nil, w, []int{0}, nil)
	fastDots.Store(weak.Make(y), struct{}{})
	if n := fastDotsAdded.Add(1); n%4096 == 0 {
		purgeFastDots()
	}
	return y
}

// fastDots holds (weakly) the DotGeneral nodes made by MatMul2D, whose gradient fastDotVJP
// computes; other DotGeneral nodes keep GoMLX's own gradient.
var (
	fastDots      sync.Map // weak.Pointer[Node] -> struct{}
	fastDotsAdded atomic.Int64
)

func purgeFastDots() {
	fastDots.Range(func(k, _ any) bool {
		if k.(weak.Pointer[Node]).Value() == nil {
			fastDots.Delete(k)
		}
		return true
	})
}

func init() {
	stock := VJPRegistration[NodeTypeDotGeneral]
	VJPRegistration[NodeTypeDotGeneral] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		if _, ok := fastDots.Load(weak.Make(node)); !ok {
			return stock(node, v, outputShape)
		}
		in := node.Inputs()
		x, w := in[0], in[1]
		g := v[0]
		if g.DType() != node.DType() {
			g = ConvertDType(g, node.DType())
		}
		return []*Node{MatMul2D(g, transpose2D(w)), weightGrad(x, g)}
	}
}

// weightGrad returns xᵀ·g for x [N, K] and g [N, M] by transposing whichever of x and g is
// smaller (the pure-Go backend's fast matmul kernel wants the contracted axis last on the left and
// first on the right).
func weightGrad(x, g *Node) *Node {
	n, k, m := x.Shape().Dimensions[0], x.Shape().Dimensions[1], g.Shape().Dimensions[1]
	if k == 1 || k*n <= m*n+m*k {
		return MatMul2D(transpose2D(x), g)
	}
	return transpose2D(MatMul2D(transpose2D(g), x))
}

// transpose2D transposes a matrix; a row or column vector is only reshaped.
func transpose2D(m *Node) *Node {
	d := m.Shape().Dimensions
	if d[0] == 1 || d[1] == 1 {
		return Reshape(m, d[1], d[0])
	}
	return Transpose(m, 0, 1)
}
