package residual

import (
	"errors"
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Generate runs the generative direction of m's flow on the latents z (host data [n, event...],
// as flowkit.Model accepts) and reports the fixed-point inverse of every IResNet block it went
// through, in the order they ran. It returns x = f(z) [n, event...] and log p(x) per example.
// The error wraps ErrNotConverged (with the block, residual and iteration count) when a block
// did not reach its tolerance; x is still returned, NaN in the rows that failed (unless the
// block keeps unconverged iterates). cond is the conditioning input, nil for unconditional
// models.
func Generate(m *flowkit.Model, z, cond any) (x *tensors.Tensor, logProb []float64, stats []FixedPointStats, err error) {
	zt, err := flowkit.ToTensor("z", z, m.EventShape(), m.DType)
	if err != nil {
		return nil, nil, nil, err
	}
	ct, err := m.Cond(cond, zt.Shape().Dimensions[0])
	if err != nil {
		return nil, nil, nil, err
	}
	args := []any{zt}
	if ct != nil {
		args = append(args, ct)
	}
	return runWithStats(m, "residual.Generate", args, func(s *model.Scope, inputs []*Node) (*Node, *Node) {
		var c *Node
		if len(inputs) > 1 {
			c = inputs[1]
		}
		return m.Flow.Generate(flowkit.FlowScope(s), inputs[0], c)
	})
}

// Sample draws n examples from m (z from the base, then the generative direction) and reports
// the fixed-point inverses as Generate does.
func Sample(m *flowkit.Model, n int, cond any) (x *tensors.Tensor, logProb []float64, stats []FixedPointStats, err error) {
	if n <= 0 {
		return nil, nil, nil, fmt.Errorf("residual.Sample: the number of samples must be positive, got %d", n)
	}
	ct, err := m.Cond(cond, n)
	if err != nil {
		return nil, nil, nil, err
	}
	args := []any{tensors.FromShape(shapes.Make(m.DType, n))} // carries n as a shape
	if ct != nil {
		args = append(args, ct)
	}
	return runWithStats(m, "residual.Sample", args, func(s *model.Scope, inputs []*Node) (*Node, *Node) {
		var c *Node
		if len(inputs) > 1 {
			c = inputs[1]
		}
		return m.Flow.SampleAndLogProb(flowkit.FlowScope(s), inputs[0].Graph(), m.DType, n, c)
	})
}

func runWithStats(m *flowkit.Model, fn string, args []any, build func(s *model.Scope, inputs []*Node) (*Node, *Node)) (
	x *tensors.Tensor, logProb []float64, stats []FixedPointStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: building or running the graph failed: %v", fn, r)
		}
	}()
	var recorded []recordedStats
	exec, err := model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) []*Node {
		x, lp := build(s, inputs)
		recorded = recordedIn(x.Graph())
		outs := []*Node{x, lp}
		for _, r := range recorded {
			outs = append(outs, r.nodes.Iterations, r.nodes.Residual, r.nodes.History)
		}
		return outs
	})
	if err != nil {
		return nil, nil, nil, err
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", fn, err)
	}
	var errs []error
	for i, r := range recorded {
		st := FixedPointStats{Block: r.block, Tol: r.nodes.Tol, MaxIter: r.nodes.MaxIter}
		st.Iterations = int(tensors.ToScalar[int32](outs[2+3*i]))
		for _, v := range flowkit.Float64s(outs[3+3*i]) {
			if !(v <= st.Tol) {
				st.Unconverged++
			}
			if math.IsNaN(v) || v > st.Residual {
				st.Residual = v
			}
		}
		hist := flowkit.Float64s(outs[4+3*i])
		st.History = hist[:min(len(hist), st.Iterations+1)]
		stats = append(stats, st)
		if e := st.Err(); e != nil {
			errs = append(errs, e)
		}
	}
	return outs[0], flowkit.Float64s(outs[1]), stats, errors.Join(errs...)
}
