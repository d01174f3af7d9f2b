package flowkit_test

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
)

// A standard normal pushed through x = 2z + 1 has the density of N(1, 2²): the flow's LogProb
// (eq. 16.3) matches the closed form.
func ExampleModel_LogProb() {
	// Affine raw parameters (shift, log-scale); the log-scale is soft-bounded, so pass
	// the raw value that gives ln 2 exactly.
	raw := 5 * math.Atanh(math.Ln2/5)
	flow := flowkit.NewFlow(flowkit.StandardNormal(1),
		elementwise.WithParams(transformer.NewAffine(), []float64{1, raw}))
	m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64))
	if err != nil {
		panic(err)
	}
	lp, err := m.LogProb([][]float64{{1}, {3}}, nil)
	if err != nil {
		panic(err)
	}
	normal := func(x, mu, sd float64) float64 {
		u := (x - mu) / sd
		return -0.5*u*u - math.Log(sd) - 0.5*math.Log(2*math.Pi)
	}
	fmt.Printf("flow: %.6f %.6f\n", lp[0], lp[1])
	fmt.Printf("N(1,4): %.6f %.6f\n", normal(1, 1, 2), normal(3, 1, 2))
	// Output:
	// flow: -1.612086 -2.112086
	// N(1,4): -1.612086 -2.112086
}

// Sampling draws z from the base and runs the generative direction; SampleRows returns rows.
func ExampleModel_Sample() {
	flow := flowkit.NewFlow(flowkit.StandardNormal(2),
		elementwise.WithParams(transformer.Additive{}, []float64{10}))
	m, err := flowkit.NewModel(flow, flowkit.WithSeed(1))
	if err != nil {
		panic(err)
	}
	x, logProb, err := m.Sample(5000, nil)
	if err != nil {
		panic(err)
	}
	rows := flowkit.Rows(x)
	mean := 0.0
	for _, r := range rows {
		mean += r[0] / float64(len(rows))
	}
	fmt.Printf("%d samples of shape %v, mean of x₀ ≈ %.0f, %d log-densities\n",
		len(rows), x.Shape().Dimensions, mean, len(logProb))
	// Output:
	// 5000 samples of shape [5000 2], mean of x₀ ≈ 10, 5000 log-densities
}
