package fit_test

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestRecomputeTrainsLikeBackprop trains the same flow twice from the same seed, with and
// without Config.Recompute, and requires the same parameters afterwards (float64).
func TestRecomputeTrainsLikeBackprop(t *testing.T) {
	data := datasets.Bimodal().Sample(512, 3)
	rows := make([][]float64, len(data))
	for i, v := range data {
		rows[i] = []float64{v}
	}
	params := func(recompute bool) map[string][]float64 {
		flow := flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.NewChain(
			elementwise.New(transformer.NewAffine()),
			elementwise.New(transformer.NewRQSpline(6, 4)),
			elementwise.New(transformer.NewAffine()),
		))
		m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fit.MLE(m, rows, nil, fit.Config{Steps: 30, BatchSize: 128, LearningRate: 1e-2,
			EvalEvery: 30, Recompute: recompute}); err != nil {
			t.Fatal(err)
		}
		out := map[string][]float64{}
		for v := range m.Store.IterVariables() {
			if v.Trainable {
				out[v.Path()] = tensors.MustCopyFlatData[float64](v.MustValue())
			}
		}
		return out
	}
	plain, rec := params(false), params(true)
	if len(plain) < 3 || len(plain) != len(rec) {
		t.Fatalf("variables: %d without, %d with Recompute", len(plain), len(rec))
	}
	moved := false
	for path, want := range plain {
		got := rec[path]
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-5 {
				t.Fatalf("%s[%d]: %g with Recompute, %g without", path, i, got[i], want[i])
			}
		}
		if path[len(path)-6:] == "params" {
			moved = true
		}
	}
	if !moved {
		t.Fatal("no transformer parameters found")
	}
}
