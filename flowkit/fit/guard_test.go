package fit_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// poisonFlow is a 1D chain whose middle layer has an unbounded log-scale: setting it to a huge
// negative value makes its inverse (density direction) overflow to Inf, while the other layers
// stay finite.
func poisonFlow() *flowkit.Flow {
	return flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		elementwise.New(&transformer.Affine{LogScaleBound: 0}),
		elementwise.New(transformer.NewRQSpline(8, 3)),
	))
}

// poison sets the unbounded layer's raw log-scale to -1e4 (an inverse scale of e^10000).
func poison(t *testing.T, store *model.Store) string {
	t.Helper()
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/flow/transform/01_") && v.Name() == "params" {
			if err := v.SetValue(tensors.FromFlatDataAndDimensions([]float32{0, -1e4}, 1, 2)); err != nil {
				t.Fatal(err)
			}
			return v.Scope()
		}
	}
	t.Fatal("no variable under /flow/transform/01_")
	return ""
}

// TestGuardNamesTheLayerThatWentNonFinite poisons the middle layer of a trained chain and
// checks that training stops at the first step with an error naming that step and that
// layer's scope, found by the per-layer diagnosis of the offending batch.
func TestGuardNamesTheLayerThatWentNonFinite(t *testing.T) {
	m, err := flowkit.NewModel(poisonFlow())
	if err != nil {
		t.Fatal(err)
	}
	train := sampleMixture(bimodal, 500, 1)
	if _, err := fit.MLE(m, train, nil, fit.Config{Steps: 5, BatchSize: 64}); err != nil {
		t.Fatal(err)
	}
	scope := poison(t, m.Store)
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: 5, BatchSize: 64})
	var nf *fit.NonFiniteError
	if !errors.As(err, &nf) || !errors.Is(err, fit.ErrNonFinite) {
		t.Fatalf("want a *NonFiniteError, got %v", err)
	}
	t.Logf("error: %v", err)
	if nf.Step != 0 || nf.Cause != "loss" || nf.Layer != scope {
		t.Fatalf("step %d, cause %q, layer %q; want step 0, cause loss, layer %q", nf.Step, nf.Cause, nf.Layer, scope)
	}
	msg := err.Error()
	for _, want := range []string{"at step 0", scope, "Elementwise(Affine(bound=0))", "stage 2 of 4", "left as they were"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if res.Stopped != "non-finite" || res.NonFinite != nf {
		t.Errorf("result stopped %q, NonFinite %v", res.Stopped, res.NonFinite)
	}
	// The stage before the poisoned layer (the spline, applied first in the density
	// direction) is finite, and the trace says so.
	if len(nf.Trace) != 5 || !nf.Trace[1].OK() || nf.Trace[2].OK() {
		t.Fatalf("trace %v", nf.Trace)
	}
}

// TestSkippedStepRestoresEveryVariable checks that a skipped non-finite step leaves every
// variable of the store bit for bit as it was: parameters, Adam's moments and step counters.
func TestSkippedStepRestoresEveryVariable(t *testing.T) {
	m, err := flowkit.NewModel(poisonFlow())
	if err != nil {
		t.Fatal(err)
	}
	train := sampleMixture(bimodal, 500, 1)
	if _, err := fit.MLE(m, train, nil, fit.Config{Steps: 5, BatchSize: 64}); err != nil {
		t.Fatal(err)
	}
	poison(t, m.Store)
	before := snapshot(m.Store)
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: 4, BatchSize: 64, SkipNonFinite: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 4 || res.NonFinite == nil || !strings.HasPrefix(res.NonFinite.Layer, "/flow/transform/01_") {
		t.Fatalf("skipped %d, last non-finite %v", res.Skipped, res.NonFinite)
	}
	after := snapshot(m.Store)
	adam := 0
	for k, b := range before {
		a := after[k]
		if strings.Contains(k, "Adam") {
			adam++
		}
		if len(a) != len(b) {
			t.Fatalf("%s changed size", k)
		}
		for i := range b {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s[%d] changed from %v to %v on skipped steps", k, i, b[i], a[i])
			}
		}
	}
	if adam == 0 {
		t.Fatalf("no optimiser variables among %d checked", len(before))
	}
}

// TestDivergenceKeepsCheckpointAndParameters provokes divergence with a learning rate of 1e30
// and no clipping: training stops with an error naming the step and a layer of the flow, the
// parameters stay finite, and the last good checkpoint verifies, loads, and gives the NLL the
// model had when it was saved.
func TestDivergenceKeepsCheckpointAndParameters(t *testing.T) {
	dir := t.TempDir()
	m, err := flowkit.NewModel(oneDFlow())
	if err != nil {
		t.Fatal(err)
	}
	train := sampleMixture(bimodal, 2000, 1)
	if _, err := fit.MLE(m, train, nil, fit.Config{Steps: 20, EvalEvery: 20, CheckpointDir: dir}); err != nil {
		t.Fatal(err)
	}
	good, _, _ := fit.LatestCheckpoint(dir)
	goodNLL, err := m.NLL(train, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: 200, LearningRate: 1e30, ClipNorm: -1, Schedule: "constant",
		EvalEvery: 1, CheckpointDir: dir})
	var nf *fit.NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("want a *NonFiniteError, got %v", err)
	}
	t.Logf("diverged after %d steps: %v", res.Steps, err)
	if nf.Step < 20 || !strings.Contains(err.Error(), "at step ") || !strings.HasPrefix(nf.Layer, "/flow/") {
		t.Fatalf("step %d layer %q: want a step after the resumed 20 and a layer under /flow/", nf.Step, nf.Layer)
	}
	for k, v := range snapshot(m.Store) {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("variable %s went non-finite", k)
			}
		}
	}
	latest, _, _ := fit.LatestCheckpoint(dir)
	if latest != good {
		t.Fatalf("the newest checkpoint changed from %s to %s", good, latest)
	}
	if err := fit.VerifyCheckpoint(latest); err != nil {
		t.Fatal(err)
	}
	m2, _ := flowkit.NewModel(oneDFlow())
	if _, err := fit.LoadModel(m2, dir); err != nil {
		t.Fatal(err)
	}
	nll, err := m2.NLL(train, nil)
	if err != nil || math.Abs(nll-goodNLL) > 1e-5 {
		t.Fatalf("reloaded NLL %v (%v), the model had %v when saved", nll, err, goodNLL)
	}
}

// TestClipNormBoundsTheGradientAdamSees reads Adam's first moment after one step: it is
// (1-β₁)·g for the gradient g the optimiser received, so its norm is 0.1·min(|g|, ClipNorm).
func TestClipNormBoundsTheGradientAdamSees(t *testing.T) {
	train := sampleMixture(bimodal, 500, 1)
	for _, clip := range []float64{1e-3, -1} {
		m, err := flowkit.NewModel(oneDFlow(), flowkit.WithDType(dtypes.Float64))
		if err != nil {
			t.Fatal(err)
		}
		res, err := fit.MLE(m, train, nil, fit.Config{Steps: 1, BatchSize: 500, ClipNorm: clip})
		if err != nil {
			t.Fatal(err)
		}
		g := res.History[0].GradNorm
		sq := 0.0
		for k, v := range snapshot(m.Store) {
			if strings.HasSuffix(k, "_1st_moment") {
				for _, x := range v {
					sq += x * x
				}
			}
		}
		want := 0.1 * g
		if clip > 0 {
			want = 0.1 * math.Min(g, clip)
		}
		t.Logf("ClipNorm %g: gradient norm %.4g, first moment norm %.4g, want %.4g", clip, g, math.Sqrt(sq), want)
		if g <= 1e-2 {
			t.Fatalf("gradient norm %v too small for the test to mean anything", g)
		}
		if math.Abs(math.Sqrt(sq)-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("first moment norm %v, want %v", math.Sqrt(sq), want)
		}
	}
}
