package planar_test

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/planar"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// A stack of planar, radial and Sylvester layers: sampling (the closed-form generative
// direction) returns log p(x) without any inverse; LogProb on the same points runs the numerical
// inverses, and the two agree to rounding.
func Example() {
	flow := flowkit.NewFlow(flowkit.StandardNormal(3), flowkit.NewChain(
		planar.New(), planar.NewRadial(), planar.NewSylvester(2), planar.New(),
	))
	m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64), flowkit.WithSeed(1))
	if err != nil {
		panic(err)
	}
	x, lpSample, err := m.Sample(1000, nil)
	if err != nil {
		panic(err)
	}
	lpDensity, err := m.LogProb(x, nil)
	if err != nil {
		panic(err)
	}
	worst := 0.0
	for i := range lpSample {
		worst = math.Max(worst, math.Abs(lpSample[i]-lpDensity[i]))
	}
	fmt.Printf("log p from sampling vs from the numerical inverse: max difference below 1e-9: %v\n", worst < 1e-9)
	// Output:
	// log p from sampling vs from the numerical inverse: max difference below 1e-9: true
}

// The matrix determinant lemma: log|det(I_D + U Vᵀ)| for D = 4 and rank k = 1, computed through
// the 1×1 matrix I_1 + Vᵀ U: here 1 + 4·0.5 = 3.
func ExampleLogDetLowRank() {
	exec := MustNewExec(backend.MustShared(), func(u, v *Node) *Node { return planar.LogDetLowRank(u, v) })
	u := tensors.FromFlatDataAndDimensions([]float64{1, 1, 1, 1}, 4, 1)
	v := tensors.FromFlatDataAndDimensions([]float64{0.5, 0.5, 0.5, 0.5}, 4, 1)
	out := exec.MustExec(u, v)[0]
	fmt.Printf("log|det| = %.6f, ln 3 = %.6f\n", tensors.ToScalar[float64](out), math.Log(3))
	// Output:
	// log|det| = 1.098612, ln 3 = 1.098612
}
