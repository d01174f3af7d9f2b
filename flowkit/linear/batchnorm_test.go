package linear

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// bnExec returns an exec of b.Inverse on [n, event...] inputs; training marks the graph as a
// training graph the GoMLX way (Store.SetTraining).
func bnExec(t *testing.T, store *model.Store, b *BatchNorm, training bool) *model.Exec {
	t.Helper()
	exec, err := model.NewExec(testBackend(t), store, func(s *model.Scope, x *Node) []*Node {
		s.Store().SetTraining(x.Graph(), training)
		z, ld := b.Inverse(s, x, nil)
		return []*Node{z, ld}
	})
	if err != nil {
		t.Fatal(err)
	}
	return exec
}

// TestBatchNormModes checks BatchNorm in float64 against the formulas computed on the host:
// in a training graph it normalises with the batch statistics, its log-determinant is
// Σ_c (log γ_c - ½ log(σ²_c + ε)) with the batch variance, and it updates the running averages
// (the first batch is taken whole, the second blended with m = min(0.9, 1 - 1/2) = 0.5); in an
// evaluation graph it uses the running averages, with the matching log-determinant; Mode
// overrides the graph's flag.
func TestBatchNormModes(t *testing.T) {
	const n, C = 256, 3
	const eps = 1e-5
	store := model.NewStore()
	b := NewBatchNorm()
	x1 := channelData(n, []int{C}, 1)
	x2 := channelData(n, []int{C}, 2)
	to64 := func(x *tensors.Tensor) *tensors.Tensor {
		return tensors.FromFlatDataAndDimensions(flowkit.Float64s(x), n, C)
	}
	x1, x2 = to64(x1), to64(x2)
	train := bnExec(t, store, b, true)
	if _, err := train.Exec(x1); err != nil { // creates the variables
		t.Fatal(err)
	}
	// Move γ and β away from their start, and restart the running statistics.
	perturb(t, variableByName(t, store, "log_gamma"), 0.5, 1)
	perturb(t, variableByName(t, store, "beta"), 0.5, 2)
	setValues(t, variableByName(t, store, "running_count"), []float64{0})
	logGamma := float64sOf(t, variableByName(t, store, "log_gamma"))
	beta := float64sOf(t, variableByName(t, store, "beta"))

	// Training graph, first batch.
	out, err := train.Exec(x1)
	if err != nil {
		t.Fatal(err)
	}
	m1, s1 := channelStats(x1)
	wantLD := func(variance []float64) float64 {
		ld := 0.0
		for c := range C {
			ld += logGamma[c] - 0.5*math.Log(variance[c]+eps)
		}
		return ld
	}
	v1 := make([]float64, C)
	for c := range C {
		v1[c] = s1[c] * s1[c]
	}
	checkAffine := func(name string, x *tensors.Tensor, z, ld *tensors.Tensor, mean, variance []float64) {
		t.Helper()
		xs, zs := flowkit.Float64s(x), flowkit.Float64s(z)
		worst := 0.0
		for i, xv := range xs {
			c := i % C
			want := (xv-mean[c])/math.Sqrt(variance[c]+eps)*math.Exp(logGamma[c]) + beta[c]
			worst = math.Max(worst, math.Abs(zs[i]-want))
		}
		if worst > 1e-10 {
			t.Errorf("%s: z differs from the formula by %.3g", name, worst)
		}
		for _, l := range flowkit.Float64s(ld) {
			if math.Abs(l-wantLD(variance)) > 1e-10 {
				t.Errorf("%s: log-det %.10g, want %.10g", name, l, wantLD(variance))
			}
		}
	}
	checkAffine("training, batch 1", x1, out[0], out[1], m1, v1)
	if rm := float64sOf(t, variableByName(t, store, "running_mean")); maxAbs(rm, m1) > 1e-12 {
		t.Errorf("running mean after the first batch %v, want the batch mean %v", rm, m1)
	}

	// Training graph, second batch: the running averages are blended half and half.
	out, err = train.Exec(x2)
	if err != nil {
		t.Fatal(err)
	}
	m2, s2 := channelStats(x2)
	v2 := make([]float64, C)
	wantMean, wantVar := make([]float64, C), make([]float64, C)
	for c := range C {
		v2[c] = s2[c] * s2[c]
		wantMean[c], wantVar[c] = 0.5*(m1[c]+m2[c]), 0.5*(v1[c]+v2[c])
	}
	checkAffine("training, batch 2", x2, out[0], out[1], m2, v2)
	if rm := float64sOf(t, variableByName(t, store, "running_mean")); maxAbs(rm, wantMean) > 1e-12 {
		t.Errorf("running mean %v, want %v", rm, wantMean)
	}
	if rv := float64sOf(t, variableByName(t, store, "running_var")); maxAbs(rv, wantVar) > 1e-12 {
		t.Errorf("running variance %v, want %v", rv, wantVar)
	}

	// Evaluation graph: the running averages, and no update.
	out, err = bnExec(t, store, b, false).Exec(x1)
	if err != nil {
		t.Fatal(err)
	}
	checkAffine("evaluation", x1, out[0], out[1], wantMean, wantVar)
	if rm := float64sOf(t, variableByName(t, store, "running_mean")); maxAbs(rm, wantMean) != 0 {
		t.Errorf("an evaluation graph changed the running mean to %v", rm)
	}

	// Mode overrides the flag: BatchNormTrain in an evaluation graph uses the batch and updates
	// the averages; BatchNormEval in a training graph does neither.
	out, err = bnExec(t, store, &BatchNorm{Mode: BatchNormTrain}, false).Exec(x1)
	if err != nil {
		t.Fatal(err)
	}
	checkAffine("BatchNormTrain in an evaluation graph", x1, out[0], out[1], m1, v1)
	before := float64sOf(t, variableByName(t, store, "running_mean"))
	if maxAbs(before, wantMean) < 1e-3 {
		t.Errorf("BatchNormTrain did not update the running mean")
	}
	out, err = bnExec(t, store, &BatchNorm{Mode: BatchNormEval}, true).Exec(x2)
	if err != nil {
		t.Fatal(err)
	}
	if after := float64sOf(t, variableByName(t, store, "running_mean")); maxAbs(after, before) != 0 {
		t.Errorf("BatchNormEval in a training graph changed the running mean")
	}
	runningVar := float64sOf(t, variableByName(t, store, "running_var"))
	checkAffine("BatchNormEval in a training graph", x2, out[0], out[1], before, runningVar)
}

// TestBatchNormCheck runs the verification harness on BatchNorm in evaluation mode (a fixed
// affine map), on vectors and images. The harness perturbs only trainable variables, so the
// running statistics stay at 0 and 1 here; TestBatchNormModes checks other statistics.
func TestBatchNormCheck(t *testing.T) {
	for _, event := range [][]int{{4}, {2, 2, 3}} {
		r, err := check.Bijector(NewBatchNorm(), check.Options{Event: event, Pattern: check.DiagonalPattern})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}
