package autoregressive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// TestLinearGradient compares linear's value and hand-written gradients with GoMLX's own
// differentiation of x·w + b, in float64, for the shapes that pick each product layout.
func TestLinearGradient(t *testing.T) {
	for _, dims := range [][3]int{{7, 3, 40}, {7, 40, 40}, {7, 40, 8}, {7, 5, 4}, {7, 20, 17}} {
		n, in, out := dims[0], dims[1], dims[2]
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(in), uint64(out)))
			rnd := func(k int) []float64 {
				v := make([]float64, k)
				for i := range v {
					v[i] = r.NormFloat64()
				}
				return v
			}
			x := tensors.FromFlatDataAndDimensions(rnd(n*in), n, in)
			w := tensors.FromFlatDataAndDimensions(rnd(in*out), in, out)
			b := tensors.FromFlatDataAndDimensions(rnd(out), out)
			c := tensors.FromFlatDataAndDimensions(rnd(n*out), n, out) // weights of the loss
			exec := MustNewExec(backend.MustShared(), func(x, w, b, c *Node) []*Node {
				mine := linear(x, w, b)
				ref := Add(Dot(x, w).Product(), ExpandLeftToRank(b, 2))
				// A nonlinear loss, so the adjoint v varies with the output.
				loss := func(y *Node) *Node { return ReduceAllSum(Mul(c, Square(y))) }
				gm := Gradient(loss(mine), x, w, b)
				gr := Gradient(loss(ref), x, w, b)
				return []*Node{mine, ref, gm[0], gr[0], gm[1], gr[1], gm[2], gr[2]}
			})
			outs := exec.MustExec(x, w, b, c)
			for i, what := range []string{"value", "∂/∂x", "∂/∂w", "∂/∂b"} {
				a := tensors.MustCopyFlatData[float64](outs[2*i])
				e := tensors.MustCopyFlatData[float64](outs[2*i+1])
				worst := 0.0
				for k := range a {
					worst = math.Max(worst, math.Abs(a[k]-e[k])/(1+math.Abs(e[k])))
				}
				if worst > 1e-12 {
					t.Errorf("%s differs from GoMLX's by %.3g (relative)", what, worst)
				}
			}
		})
	}
}
