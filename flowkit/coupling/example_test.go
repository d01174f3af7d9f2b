package coupling_test

import (
	"fmt"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
)

// A RealNVP of 4 affine couplings on 2D data, trained briefly by maximum likelihood. A fresh flow is the
// identity map (the conditioners' last layers start at zero), so before training its density is
// the standard normal base's.
func ExampleRealNVP() {
	flow := coupling.Normal(coupling.RealNVP(2, 4, 32, 32), 2)
	m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64))
	if err != nil {
		panic(err)
	}
	lp, _ := m.LogProb([][]float64{{0, 0}, {1, -1}}, nil)
	fmt.Printf("before training: log p = %.4f, %.4f (N(0, I): -1.8379, -2.8379)\n", lp[0], lp[1])

	toy, _ := datasets.Toy("moons-std")
	if _, err := fit.MLE(m, toy.Sample(2000, 1), nil, fit.Config{Steps: 60, BatchSize: 256, LearningRate: 5e-3}); err != nil {
		panic(err)
	}
	nll, _ := m.NLL(toy.Sample(2000, 2), nil)
	fmt.Println("trained: NLL below the untrained 2.84 nats:", nll < 2.6)
	// Output:
	// before training: log p = -1.8379, -2.8379 (N(0, I): -1.8379, -2.8379)
	// trained: NLL below the untrained 2.84 nats: true
}

// One coupling layer (eq. 16.13) with a rational-quadratic spline transformer and an alternating
// mask, checked by the verification harness against its block-triangular Jacobian.
func ExampleNew() {
	c := coupling.New(coupling.Alternating(4, 0), transformer.NewRQSpline(8, 3), nn.MLP{Hidden: []int{32, 32}, ZeroLast: true})
	report, err := check.Bijector(c, check.Options{Event: []int{4}, Pattern: c.Mask.Pattern})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Mask)
	fmt.Println("all checks passed:", report.OK())
	// Output:
	// alternating(0)[4]: 2 kept, 2 transformed
	// all checks passed: true
}

// A network with a mixing bijector between couplings: here fixed random permutations; a learned
// LU-parameterised linear map plugs in the same way.
func ExampleNetwork() {
	n := coupling.Network{
		Event:       []int{3},
		Layers:      3,
		Transformer: transformer.NewAffine(),
		Mixing:      coupling.RandomPermutations(3, 5),
	}
	for _, b := range n.Chain().Bijectors {
		fmt.Println(flowkit.NameOf(b))
	}
	// Output:
	// Coupling[half](Affine(bound=5))
	// Permute[2 1 0]
	// Coupling[half'](Affine(bound=5))
	// Permute[1 2 0]
	// Coupling[half](Affine(bound=5))
}

// A conditional coupling flow: the conditioning input reaches every conditioner.
func ExampleNormal_conditional() {
	flow := coupling.Normal(coupling.NSF(2, 4, 8, 3, 32, 32), 2)
	m, err := flowkit.NewModel(flow, flowkit.WithCond(1))
	if err != nil {
		panic(err)
	}
	lp, err := m.LogProb([][]float64{{0.5, 0.5}}, [][]float64{{1}})
	fmt.Println(len(lp), err)
	_, err = m.LogProb([][]float64{{0.5, 0.5}}, nil)
	fmt.Println(err != nil)
	// Output:
	// 1 <nil>
	// true
}
