package check_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// wrongLogDet doubles its input but claims log|det| = D·ln 3: a planted bug.
type wrongLogDet struct{}

func (wrongLogDet) Name() string { return "WrongLogDet" }
func (wrongLogDet) Forward(_ *model.Scope, z, _ *Node) (*Node, *Node) {
	return MulScalar(z, 2), MulScalar(flowkit.SumEvent(OnesLike(z)), math.Log(3))
}
func (wrongLogDet) Inverse(_ *model.Scope, x, _ *Node) (*Node, *Node) {
	return DivScalar(x, 2), MulScalar(flowkit.SumEvent(OnesLike(x)), -math.Log(3))
}

func TestCheckCatchesPlantedLogDetBug(t *testing.T) {
	r, err := check.Bijector(wrongLogDet{}, check.Options{Event: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := r.Get(check.LogDetVsJacobian)
	if res.Passed || math.Abs(res.Worst-3*math.Log(1.5)) > 1e-9 {
		t.Fatalf("want the log-det check to fail by 3·ln(3/2) = %.6f, got %+v", 3*math.Log(1.5), res)
	}
	if rt, _ := r.Get(check.RoundTrip); !rt.Passed {
		t.Errorf("round trip of a correct inverse failed: %+v", rt)
	}
	if r.OK() || r.Err() == nil || !strings.Contains(r.Err().Error(), check.LogDetVsJacobian) {
		t.Errorf("report should fail naming the log-det check:\n%s", r)
	}
}

// wrongInverse is a bijector whose inverse is off by a constant.
type wrongInverse struct{}

func (wrongInverse) Forward(_ *model.Scope, z, _ *Node) (*Node, *Node) {
	return AddScalar(z, 1), flowkit.ZeroLogDet(z)
}
func (wrongInverse) Inverse(_ *model.Scope, x, _ *Node) (*Node, *Node) {
	return AddScalar(x, -0.999), flowkit.ZeroLogDet(x)
}

func TestCheckCatchesWrongInverse(t *testing.T) {
	r, err := check.Bijector(wrongInverse{}, check.Options{Event: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := r.Get(check.RoundTrip); res.Passed || math.Abs(res.Worst-1e-3) > 1e-9 {
		t.Fatalf("round trip should fail by 1e-3: %+v", res)
	}
}

// mixing couples dimensions, so an elementwise zero pattern must reject it.
type mixing struct{}

func (mixing) Forward(_ *model.Scope, z, _ *Node) (*Node, *Node) {
	return Add(z, MulScalar(ReduceAndKeep(z, ReduceSum, -1), 0.1)), flowkit.ZeroLogDet(z)
}
func (mixing) Inverse(_ *model.Scope, x, _ *Node) (*Node, *Node) { return x, flowkit.ZeroLogDet(x) }

func TestCheckZeroPattern(t *testing.T) {
	r, err := check.Bijector(mixing{}, check.Options{Event: []int{3}, Pattern: check.DiagonalPattern})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := r.Get(check.JacobianZeroPattern); res.Passed {
		t.Fatalf("a dense Jacobian passed the diagonal pattern check:\n%s", r)
	}
}

// batchMixer uses the batch mean: not batch independent.
type batchMixer struct{}

func (batchMixer) Forward(_ *model.Scope, z, _ *Node) (*Node, *Node) {
	return Sub(z, MulScalar(ReduceAndKeep(z, ReduceMean, 0), 0.5)), flowkit.ZeroLogDet(z)
}
func (batchMixer) Inverse(_ *model.Scope, x, _ *Node) (*Node, *Node) { return x, flowkit.ZeroLogDet(x) }

func TestCheckBatchIndependence(t *testing.T) {
	r, err := check.Bijector(batchMixer{}, check.Options{Event: []int{2}, Input: func(r *rand.Rand) float64 { return r.Float64() }})
	if err != nil {
		t.Fatal(err)
	}
	// Reversing the batch keeps the batch mean, so use a batch where the check still bites:
	// the output for one example depends on the others, which the log-det check also sees.
	if r.OK() {
		t.Fatalf("a batch-dependent map passed every check:\n%s", r)
	}
}

func TestCheckRejectsBadOptions(t *testing.T) {
	if _, err := check.Bijector(flowkit.IdentityMap{}, check.Options{}); err == nil || !strings.Contains(err.Error(), "Event") {
		t.Fatalf("missing Event: got %v", err)
	}
	if _, err := check.Bijector(flowkit.IdentityMap{}, check.Options{Event: []int{0}}); err == nil {
		t.Fatal("zero dimension accepted")
	}
}

func TestElementwiseTransformersPass(t *testing.T) {
	for _, tc := range []struct {
		tr    transformer.Transformer
		input func(r *rand.Rand) float64
	}{
		{transformer.NewAffine(), nil},
		{transformer.Additive{}, nil},
		{transformer.LeakyReLU{}, nil},
		{transformer.NewPiecewiseLinear(5), func(r *rand.Rand) float64 { return 0.02 + 0.96*r.Float64() }},
		{transformer.NewRQSpline(8, 3), func(r *rand.Rand) float64 { return 4 * r.NormFloat64() }},
	} {
		t.Run(tc.tr.Name(), func(t *testing.T) {
			r, err := check.Bijector(elementwise.New(tc.tr), check.Options{Event: []int{4}, Input: tc.input,
				Pattern: check.DiagonalPattern, Batch: 16})
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + r.String())
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestChainWithPermutationPasses(t *testing.T) {
	b := flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		flowkit.RandomPermute(3, 7),
		elementwise.New(transformer.NewRQSpline(4, 2)),
		flowkit.ReversePermute(3),
		flowkit.Invert(elementwise.New(transformer.LeakyReLU{})),
	)
	r, err := check.Bijector(b, check.Options{Event: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}
