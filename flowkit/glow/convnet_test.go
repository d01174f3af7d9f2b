package glow

import (
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestConvNetEqualsCNN: ConvNet computes nn.CNN's function from the same variables, on both of
// its convolution strategies (few inputs: im2col; few outputs: shifted output blocks), with a
// conditioning input, and their gradients with respect to the input agree.
func TestConvNetEqualsCNN(t *testing.T) {
	be, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	const B, H, W, C, out = 2, 5, 4, 3, 2
	x := tensors.FromFlatDataAndDimensions(randn(B*H*W*C, 1), B, H, W, C)
	cond := tensors.FromFlatDataAndDimensions(randn(B*2, 2), B, 2)
	for _, hidden := range [][]int{{8, 8}, {1}} {
		kernels := make([]int, len(hidden)+1)
		for i := range kernels {
			kernels[i] = 3
		}
		kernels[0] = 5
		ours := ConvNet{Hidden: hidden, Kernels: kernels, ZeroLast: true}
		theirs := nn.CNN{Hidden: hidden, Kernels: kernels, ZeroLast: true}
		store := model.NewStore()
		fn := func(s *model.Scope, x, c *graph.Node) []*graph.Node {
			a := ours.Apply(s, x, c, out)
			b := theirs.Apply(s, x, c, out)
			ga := graph.Gradient(graph.ReduceAllSum(graph.Mul(a, a)), x)[0]
			gb := graph.Gradient(graph.ReduceAllSum(graph.Mul(b, b)), x)[0]
			return []*graph.Node{a, b, ga, gb}
		}
		exec, err := model.NewExec(be, store, fn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.Exec(x, cond); err != nil {
			t.Fatal(err)
		}
		perturb(t, store, 1, 2) // the zero output layer too
		res, err := exec.Exec(x, cond)
		if err != nil {
			t.Fatal(err)
		}
		a, b := flowkit.Float64s(res[0]), flowkit.Float64s(res[1])
		if d := maxAbsDiff(a, b); d > 1e-10 || maxAbsDiff(a, make([]float64, len(a))) < 1e-3 {
			t.Fatalf("hidden %v: ConvNet and nn.CNN differ by %.3g (output max %.3g)", hidden, d, maxAbsDiff(a, make([]float64, len(a))))
		}
		if d := maxAbsDiff(flowkit.Float64s(res[2]), flowkit.Float64s(res[3])); d > 1e-9 {
			t.Fatalf("hidden %v: input gradients differ by %.3g", hidden, d)
		}
	}
}
