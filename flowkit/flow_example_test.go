package flowkit_test

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Flow.LogProb builds the density inside a GoMLX graph, so it can be part of a larger model:
// here a leaky ReLU with slope ½ on the negative half (problem 16.7) applied to N(0, 1).
func ExampleFlow_LogProb() {
	flow := flowkit.NewFlow(flowkit.StandardNormal(1),
		elementwise.WithParams(transformer.LeakyReLU{}, []float64{-0.6931471805599453})) // ln ½
	exec := model.MustNewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, x *Node) *Node {
		return flow.LogProb(s, x, nil)
	})
	// x = -1 comes from z = -2 through the slope-½ branch: log N(-2) + ln 2.
	out := exec.MustExec([][]float64{{-1}, {1}})[0]
	fmt.Printf("%.6f\n", out.Value())
	// Output: [-2.225791 -1.418939]
}

// Flow.Sample draws from the base and runs the generative direction inside a graph.
func ExampleFlow_Sample() {
	flow := flowkit.NewFlow(flowkit.NewUniform(0, 1, 2), elementwise.WithParams(transformer.Additive{}, []float64{5}))
	store := model.NewStore()
	_ = store.SetRNGStateFromSeed(3)
	exec := model.MustNewExec(backend.MustShared(), store, func(s *model.Scope, g *Graph) (*Node, *Node) {
		x := flow.Sample(s, g, dtypes.Float64, 1000, nil)
		return ReduceAllMin(x), ReduceAllMax(x)
	})
	lo, hi := exec.MustExec2()
	fmt.Printf("1000 samples in [%.0f, %.0f]²: %v\n", lo.Value().(float64), hi.Value().(float64),
		lo.Value().(float64) >= 5 && hi.Value().(float64) <= 6)
	// Output: 1000 samples in [5, 6]²: true
}
