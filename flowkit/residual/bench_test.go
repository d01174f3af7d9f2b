package residual_test

import (
	"fmt"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/residual"
	"github.com/gomlx/compute/dtypes"
)

// BenchmarkTrainStep measures one fit.MLE step (batch 256, float32) of a stack of 4 iResNet
// blocks (MLP 64x64) on 2-D data, for each log-determinant estimator and power-iteration count.
func BenchmarkTrainStep(b *testing.B) {
	toy, err := datasets.Toy("moons")
	if err != nil {
		b.Fatal(err)
	}
	data := toy.Sample(4096, 1)
	for _, tc := range []struct {
		name  string
		est   residual.LogDet
		iters int
	}{
		{"exact/eval-iters=50", residual.Exact{}, 50},
		{"exact/eval-iters=5", residual.Exact{}, 5},
		{"power-series-5/eval-iters=5", residual.PowerSeries{Terms: 5}, 5},
		{"russian-roulette/eval-iters=5", residual.RussianRoulette{}, 5},
	} {
		b.Run(tc.name, func(b *testing.B) {
			chain := residual.NewStack(4, func(int) flowkit.Bijector {
				net := &residual.MLP{Hidden: []int{64, 64}, SpectralNorm: residual.SpectralNorm{EvalIters: tc.iters}}
				return residual.NewIResNet(net, tc.est)
			}, nil)
			m := newModel(b, chain, 2, dtypes.Float32, 1)
			// Compile once outside the timer.
			if _, err := fit.MLE(m, data, nil, fit.Config{Steps: 2, BatchSize: 256, EvalEvery: 2}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			res, err := fit.MLE(m, data, nil, fit.Config{Steps: b.N, BatchSize: 256, EvalEvery: b.N})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Elapsed.Milliseconds())/float64(b.N), "ms/step")
			_ = fmt.Sprint()
		})
	}
}
