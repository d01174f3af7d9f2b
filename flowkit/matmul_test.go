package flowkit_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// TestMatMul2DGradientMatchesStock compares MatMul2D's gradient (v·wᵀ and xᵀ·v, with either
// operand transposed) against GoMLX's own gradient of Dot, in float64, for shapes that take
// each branch: a column input (K=1), a wide output (M > K), a narrow output (M < K), and outputs
// padded to 8 columns (M = 2, 23 with 16 or more rows; K = 1 and 3 pad the input gradient).
func TestMatMul2DGradientMatchesStock(t *testing.T) {
	b := backend.MustShared()
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][3]int{{7, 1, 5}, {9, 3, 8}, {16, 12, 2}, {5, 4, 4}, {40, 64, 2}, {33, 1, 16}, {20, 3, 23}, {64, 9, 9}} {
		n, k, m := sh[0], sh[1], sh[2]
		rnd := func(size int) []float64 {
			v := make([]float64, size)
			for i := range v {
				v[i] = r.NormFloat64()
			}
			return v
		}
		x := tensors.FromFlatDataAndDimensions(rnd(n*k), n, k)
		w := tensors.FromFlatDataAndDimensions(rnd(k*m), k, m)
		c := tensors.FromFlatDataAndDimensions(rnd(n*m), n, m)
		grads := func(fast bool) [][]float64 {
			e := MustNewExec(b, func(x, w, c *Node) []*Node {
				var y *Node
				if fast {
					y = flowkit.MatMul2D(x, w)
				} else {
					y = Dot(x, w).Product()
				}
				// A loss with a non-trivial cotangent, and Tanh so the gradient of a product
				// of two matmuls is exercised too.
				loss := ReduceAllSum(Mul(Tanh(y), c))
				g := Gradient(loss, x, w)
				return []*Node{y, g[0], g[1]}
			})
			out := e.MustExec(x, w, c)
			res := make([][]float64, len(out))
			for i, o := range out {
				res[i] = tensors.MustCopyFlatData[float64](o)
			}
			return res
		}
		fast, stock := grads(true), grads(false)
		for i, name := range []string{"value", "d/dx", "d/dw"} {
			for j := range stock[i] {
				if math.Abs(fast[i][j]-stock[i][j]) > 1e-12*(1+math.Abs(stock[i][j])) {
					t.Fatalf("shape %v %s[%d]: MatMul2D %g, stock %g", sh, name, j, fast[i][j], stock[i][j])
				}
			}
		}
	}
}

func TestMatMul2DRejectsBadShapes(t *testing.T) {
	b := backend.MustShared()
	for _, c := range []struct{ x, w []int }{{[]int{3, 4}, []int{5, 2}}, {[]int{3}, []int{3, 2}}} {
		e, err := NewExec(b, func(g *Graph) *Node {
			return flowkit.MatMul2D(Zeros(g, shapeF64(c.x...)), Zeros(g, shapeF64(c.w...)))
		})
		if err == nil {
			_, err = e.Exec()
		}
		if err == nil || !strings.Contains(err.Error(), "MatMul2D") {
			t.Fatalf("MatMul2D(%v, %v): want an error naming MatMul2D, got %v", c.x, c.w, err)
		}
	}
}

func shapeF64(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float64, dims...) }

// BenchmarkMatMul2D times MatMul2D's forward product for the dense-layer shapes of the flow
// benchmarks ([rows, in] · [in, out]); out=2 and out=23 take the padded path.
func BenchmarkMatMul2D(b *testing.B) {
	be := backend.MustShared()
	for _, sh := range [][3]int{{512, 64, 2}, {512, 64, 23}, {512, 64, 64}, {512, 1, 64}} {
		n, k, m := sh[0], sh[1], sh[2]
		b.Run(fmt.Sprintf("%dx%dx%d", n, k, m), func(b *testing.B) {
			const reps = 20 // products per graph, so the per-execution overhead is amortised
			e := MustNewExec(be, func(x, w *Node) *Node {
				sum := ScalarZero(x.Graph(), x.DType())
				for i := range reps {
					sum = Add(sum, ReduceAllMax(flowkit.MatMul2D(AddScalar(x, float64(i)), w)))
				}
				return sum
			})
			x := tensors.FromShape(shapes.Make(dtypes.Float32, n, k))
			w := tensors.FromShape(shapes.Make(dtypes.Float32, k, m))
			e.MustExec(x, w)
			b.ResetTimer()
			for range b.N {
				e.MustExec(x, w)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*reps)/1e3, "us/product")
		})
	}
}
