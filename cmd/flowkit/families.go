package main

// The flow families `flowkit train -flow NAME` can build. This is the one table to edit to add a
// family or change a default: each entry turns an Arch (event size and the -layers, -hidden,
// -bins sizes) into a flowkit.Flow. The architecture is rebuilt from the same Arch, stored in
// the checkpoint directory's flowkit.json, by sample, eval and density.

import (
	"fmt"
	"sort"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// Arch is everything needed to rebuild a model's architecture.
type Arch struct {
	Family string `json:"family"`
	// Dims is the size of one (flattened) example: the flow works on vectors [Dims].
	Dims   int   `json:"dims"`
	Layers int   `json:"layers"`
	Hidden []int `json:"hidden"`
	// Bins is the number of spline bins (families with spline transformers only).
	Bins int `json:"bins,omitempty"`
}

// family is one row of the table.
type family struct {
	Name string
	// Kind groups families in `flowkit list`: "coupling", "autoregressive", "elementwise".
	Kind        string
	Description string
	// Layers, Hidden and Bins are the defaults for -layers, -hidden and -bins (Bins 0: the
	// family has no spline and -bins does not apply).
	Layers int
	Hidden []int
	Bins   int
	// Transform builds the bijector for a.Dims-dimensional data.
	Transform func(a Arch) flowkit.Bijector
}

// splineBound is the interval [-B, B] of the spline transformers (identity tails outside):
// the toys and the standardized data live well inside it.
const splineBound = 5

var families = []family{
	{
		Name: "realnvp", Kind: "coupling", Layers: 8, Hidden: []int{64, 64},
		Description: "RealNVP: affine couplings (soft-bounded log-scale) on alternating halves, MLP conditioners",
		Transform:   func(a Arch) flowkit.Bijector { return coupling.RealNVP(a.Dims, a.Layers, a.Hidden...) },
	},
	{
		Name: "nice", Kind: "coupling", Layers: 8, Hidden: []int{64, 64},
		Description: "NICE: additive (volume-preserving) couplings on alternating halves, then a learned diagonal scaling",
		Transform: func(a Arch) flowkit.Bijector {
			return flowkit.NewChain(coupling.NICE(a.Dims, a.Layers, a.Hidden...), elementwise.New(transformer.NewAffine()))
		},
	},
	{
		Name: "nsf", Kind: "coupling", Layers: 4, Hidden: []int{64, 64}, Bins: 8,
		Description: "neural spline flow: rational-quadratic spline couplings on [-5, 5] (identity tails), alternating halves",
		Transform: func(a Arch) flowkit.Bijector {
			return coupling.NSF(a.Dims, a.Layers, a.Bins, splineBound, a.Hidden...)
		},
	},
	{
		Name: "maf", Kind: "autoregressive", Layers: 5, Hidden: []int{64, 64},
		Description: "masked autoregressive flow: affine MADE layers, orders reversed between layers (fast density, D-pass sampling)",
		Transform:   func(a Arch) flowkit.Bijector { return autoregressive.MAF(a.Dims, a.Layers, a.Hidden...) },
	},
	{
		Name: "iaf", Kind: "autoregressive", Layers: 5, Hidden: []int{64, 64},
		Description: "inverse autoregressive flow: inverted MAF layers (fast sampling, D-pass density: slow to train)",
		Transform:   func(a Arch) flowkit.Bijector { return autoregressive.IAF(a.Dims, a.Layers, a.Hidden...) },
	},
	{
		Name: "naf", Kind: "autoregressive", Layers: 3, Hidden: []int{64, 64},
		Description: "neural autoregressive flow: MADE layers with a deep sigmoidal flow transformer (DSF, 16 units)",
		Transform:   func(a Arch) flowkit.Bijector { return autoregressive.NAF(a.Dims, a.Layers, a.Hidden...) },
	},
	{
		Name: "nsf-ar", Kind: "autoregressive", Layers: 3, Hidden: []int{64, 64}, Bins: 8,
		Description: "autoregressive neural spline flow: MADE layers with rational-quadratic splines",
		Transform: func(a Arch) flowkit.Bijector {
			return autoregressive.Config{Layers: a.Layers, Hidden: a.Hidden,
				Transformer: transformer.NewRQSpline(a.Bins, splineBound)}.Build(a.Dims)
		},
	},
	{
		Name: "spline", Kind: "elementwise", Layers: 4, Bins: 8,
		Description: "elementwise rational-quadratic splines between learned LU linear maps (no neural network; -hidden unused)",
		Transform: func(a Arch) flowkit.Bijector {
			var bs []flowkit.Bijector
			for i := 0; i < a.Layers; i++ {
				bs = append(bs, linear.NewLU(), elementwise.New(transformer.NewRQSpline(a.Bins, splineBound)))
			}
			return flowkit.NewChain(bs...)
		},
	},
}

// familyNames lists the families in table order.
func familyNames() []string {
	out := make([]string, len(families))
	for i, f := range families {
		out[i] = f.Name
	}
	return out
}

// lookupFamily returns the family named name.
func lookupFamily(name string) (family, bool) {
	for _, f := range families {
		if f.Name == name {
			return f, true
		}
	}
	return family{}, false
}

// buildFlow returns the flow of a: a standard normal base on [a.Dims] pushed through the family's
// bijector.
func buildFlow(a Arch) (f *flowkit.Flow, err error) {
	fam, ok := lookupFamily(a.Family)
	if !ok {
		names := familyNames()
		sort.Strings(names)
		return nil, fmt.Errorf("unknown flow family %q (known: %v)", a.Family, names)
	}
	if a.Dims <= 0 || a.Layers <= 0 {
		return nil, fmt.Errorf("flow %s needs dims > 0 and layers > 0, got dims %d, layers %d", a.Family, a.Dims, a.Layers)
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("building flow %s: %v", a.Family, r)
		}
	}()
	return flowkit.NewFlow(flowkit.StandardNormal(a.Dims), fam.Transform(a)), nil
}
