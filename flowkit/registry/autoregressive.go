package registry

import (
	"math/rand/v2"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// orderPattern is the Jacobian pattern of an autoregressive layer with the given order (see
// autoregressive.MADE.Order): x_i may depend on z_j only when j comes no later than i.
func orderPattern(order func(d int) []int) func(d int) [][]bool {
	return func(d int) [][]bool {
		o := order(d)
		return check.PatternOf(d, func(i, j int) bool { return o[j] <= o[i] })
	}
}

func reversed(d int) []int {
	o := make([]int, d)
	for i := range o {
		o[i] = d - 1 - i
	}
	return o
}

func shuffled(d int) []int { return rand.New(rand.NewPCG(7, 11)).Perm(d) }

func init() {
	lower := func(int) check.Options { return check.Options{Pattern: check.LowerTriangularPattern} }
	layer := func(name string, typ string, b func(d int) flowkit.Bijector, opts func(int) check.Options) {
		Register(Entry{Name: "autoregressive/" + name, Types: []string{typ}, New: b, Options: opts})
	}
	maf := func(t transformer.Transformer) func(int) flowkit.Bijector {
		return func(int) flowkit.Bijector { return autoregressive.NewMAFLayer(t, 8, 8) }
	}
	iaf := func(t transformer.Transformer) func(int) flowkit.Bijector {
		return func(int) flowkit.Bijector { return autoregressive.NewIAFLayer(t, 8, 8) }
	}

	// MAF and IAF layers with the transformers of issue 5, in the natural order: the Jacobian of
	// the generative direction is lower triangular.
	layer("maf-affine", "autoregressive.MAFLayer", maf(transformer.NewAffine()), lower)
	layer("maf-rqspline", "autoregressive.MAFLayer", maf(transformer.NewRQSpline(6, 3)), func(int) check.Options {
		return check.Options{Pattern: check.LowerTriangularPattern, InputScale: 2}
	})
	layer("iaf-affine", "autoregressive.IAFLayer", iaf(transformer.NewAffine()), lower)
	layer("iaf-rqspline", "autoregressive.IAFLayer", iaf(transformer.NewRQSpline(6, 3)), func(int) check.Options {
		return check.Options{Pattern: check.LowerTriangularPattern, InputScale: 2}
	})
	// NAF: MAF layers with the DSF and DDSF transformers (inverse by bisection).
	layer("naf-dsf", "autoregressive.MAFLayer", maf(transformer.NewDSF(6)), lower)
	layer("naf-ddsf", "autoregressive.MAFLayer", maf(transformer.NewDDSF(2, 4)), lower)
	// The book's piecewise-linear autoregressive flow on [0, 1]^d.
	layer("piecewise-linear", "autoregressive.MAFLayer", maf(transformer.NewPiecewiseLinear(5)), func(int) check.Options {
		return check.Options{Pattern: check.LowerTriangularPattern, Input: func(r *rand.Rand) float64 { return 0.01 + 0.98*r.Float64() }}
	})

	// Other orders: the zero pattern follows the order, not the index.
	layer("maf-reversed-order", "autoregressive.MAFLayer", func(d int) flowkit.Bijector {
		return autoregressive.NewMAFLayer(transformer.NewAffine(), 8, 8).WithOrder(reversed(d))
	}, func(int) check.Options { return check.Options{Pattern: orderPattern(reversed)} })
	layer("iaf-random-order", "autoregressive.IAFLayer", func(d int) flowkit.Bijector {
		return autoregressive.NewIAFLayer(transformer.NewRQSpline(4, 3), 8).WithOrder(shuffled(d))
	}, func(int) check.Options { return check.Options{Pattern: orderPattern(shuffled), InputScale: 2} })

	// Conditional: a context of 3 features feeds the MADE.
	layer("maf-conditional", "autoregressive.MAFLayer", maf(transformer.NewAffine()), func(int) check.Options {
		return check.Options{Pattern: check.LowerTriangularPattern, Cond: 3}
	})

	// The model builders: stacks with orders alternating (dense Jacobian).
	for _, s := range []struct {
		name  string
		build func(d int) flowkit.Bijector
		opts  check.Options
	}{
		{"maf-stack", func(d int) flowkit.Bijector { return autoregressive.MAF(d, 3, 8, 8) }, check.Options{}},
		{"iaf-stack", func(d int) flowkit.Bijector { return autoregressive.IAF(d, 3, 8) }, check.Options{}},
		{"naf-stack", func(d int) flowkit.Bijector {
			return autoregressive.Config{Layers: 2, Hidden: []int{8}, Transformer: transformer.NewDSF(4)}.Build(d)
		}, check.Options{}},
		{"nsf-stack", func(d int) flowkit.Bijector { return autoregressive.NSF(d, 2, 8) }, check.Options{InputScale: 2}},
		{"maf-random-orders", func(d int) flowkit.Bijector {
			return autoregressive.Config{Layers: 3, Hidden: []int{8}, Permutation: autoregressive.RandomPermutation, Seed: 5}.Build(d)
		}, check.Options{}},
	} {
		opts := s.opts
		layer(s.name, "flowkit.Chain", s.build, func(int) check.Options { return opts })
	}
}
