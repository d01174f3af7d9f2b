package flowkit_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestRecomputedNLLMatchesBackprop checks that the constant-memory gradient (inputs recomputed
// by inversion) equals plain backpropagation's, in float64, on a nested chain of elementwise
// affine and spline layers and permutations with random parameters.
func TestRecomputedNLLMatchesBackprop(t *testing.T) {
	const d, n = 3, 16
	flow := flowkit.NewFlow(flowkit.StandardNormal(d), flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		flowkit.NewChain(
			flowkit.RandomPermute(d, 7),
			elementwise.New(transformer.NewRQSpline(5, 3)),
		),
		flowkit.ReversePermute(d),
		elementwise.New(transformer.NewAffine()),
	))
	store := model.NewStore()
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, n*d)
	for i := range xs {
		xs[i] = 1.5 * r.NormFloat64()
	}
	x := tensors.FromFlatDataAndDimensions(xs, n, d)
	var order []string
	build := func(s *model.Scope, in []*Node) []*Node {
		fs := flowkit.FlowScope(s)
		loss, vars, grads := flowkit.RecomputedNLL(fs, flow, in[0], nil)
		plain := Neg(ReduceAllMean(flow.LogProb(fs, in[0], nil)))
		nodes := make([]*Node, len(vars))
		order = order[:0]
		for i, v := range vars {
			nodes[i] = v.NodeValue(in[0].Graph())
			order = append(order, v.Path())
		}
		ref := Gradient(plain, nodes...)
		return append(append([]*Node{loss, plain}, grads...), ref...)
	}
	e, err := model.NewExec(backend.MustShared(), store, build)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(x); err != nil {
		t.Fatal(err)
	}
	// Move every variable away from its identity initialisation.
	for v := range store.IterVariables() {
		if !v.Trainable {
			continue
		}
		vals := tensors.MustCopyFlatData[float64](v.MustValue())
		for i := range vals {
			vals[i] += 0.4 * r.NormFloat64()
		}
		v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...))
	}
	out, err := e.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	nv := (len(out) - 2) / 2
	if nv < 3 {
		t.Fatalf("found %d trainable variables, want the 3 layers' ones", nv)
	}
	loss, plain := out[0].Value().(float64), out[1].Value().(float64)
	if math.Abs(loss-plain) > 1e-10 {
		t.Fatalf("loss %g, plain backprop's %g", loss, plain)
	}
	var maxNorm float64
	for i := 0; i < nv; i++ {
		got := tensors.MustCopyFlatData[float64](out[2+i])
		want := tensors.MustCopyFlatData[float64](out[2+nv+i])
		for j := range want {
			maxNorm = math.Max(maxNorm, math.Abs(want[j]))
			if math.Abs(got[j]-want[j]) > 1e-9*(1+math.Abs(want[j])) {
				t.Errorf("%s[%d]: recomputed gradient %g, backprop %g", order[i], j, got[j], want[j])
			}
		}
	}
	if maxNorm < 1e-3 {
		t.Fatalf("gradients are all ~0 (max %g): the test checks nothing", maxNorm)
	}
}
