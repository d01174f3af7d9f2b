package autoregressive

import (
	"fmt"
	"math/rand/v2"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// Permutation chooses how a Config varies the autoregressive order from layer to layer, so that
// every dimension is, in some layer, conditioned on every other.
//
// The order is changed inside the MADE masks rather than by moving data: a layer with order
// π(d) is exactly P⁻¹∘f∘P for the natural-order layer f and the permutation P, so a stack whose
// layers alternate orders is the same family of densities as a stack of natural-order layers with
// permutation layers between them (as in the MAF paper), up to a fixed permutation of the latent,
// to which the standard normal base is indifferent. It saves the permutation's matrix products.
type Permutation int

const (
	// ReversePermutation alternates the natural order (even layers) and the reversed order (odd
	// layers): MAF's reverse permutation between layers.
	ReversePermutation Permutation = iota
	// RandomPermutation gives every layer a random order drawn from Config.Seed.
	RandomPermutation
	// NoPermutation gives every layer the natural order.
	NoPermutation
)

// Config describes a deep autoregressive flow: Layers autoregressive layers, each a MADE with the
// Hidden widths and one shared kind of transformer, the orders varying between layers as
// Permutation says, and optionally another bijector (e.g. BatchNorm, as in the MAF paper) between
// consecutive layers. Build it with Build for a given dimension; the functions MAF, IAF, NAF, NSF
// and PiecewiseLinearFlow fill it in.
//
// Layer 0 is applied first in the generative direction (flowkit.Chain order) and last when
// evaluating densities.
type Config struct {
	// Layers is the number of autoregressive layers (at least 1).
	Layers int
	// Hidden lists the MADE hidden widths.
	Hidden []int
	// Transformer is shared by every layer; nil means transformer.NewAffine().
	Transformer transformer.Transformer
	// Activation of the MADE hidden layers (zero value: ReLU).
	Activation activation.Type
	// Permutation is how the orders vary between layers (default ReversePermutation).
	Permutation Permutation
	// Seed draws the RandomPermutation orders.
	Seed uint64
	// Between, when set, builds a bijector put between two consecutive autoregressive layers
	// (gap = 0 .. Layers-2), e.g. a BatchNorm layer as in the MAF paper:
	//
	//	Between: func(gap, d int) flowkit.Bijector { return linear.NewBatchNorm() }
	//
	// It may return nil for no bijector in that gap.
	Between func(gap, d int) flowkit.Bijector
	// Inverted builds IAF layers (fast sampling, sequential density) instead of MAF layers.
	Inverted bool
	// Sampling is how the layers run their sequential direction (default Unrolled).
	Sampling Sampling
}

// Order returns the autoregressive order of layer i for d dimensions (see MADE.Order).
func (c Config) Order(i, d int) []int {
	o := make([]int, d)
	for k := range o {
		o[k] = k
	}
	switch c.Permutation {
	case ReversePermutation:
		if i%2 == 1 {
			for k := range o {
				o[k] = d - 1 - k
			}
		}
	case RandomPermutation:
		r := rand.New(rand.NewPCG(c.Seed, uint64(i)+0x5eed))
		o = r.Perm(d)
	case NoPermutation:
	default:
		panic(fmt.Errorf("autoregressive.Config: unknown Permutation %d", c.Permutation))
	}
	return o
}

// Build returns the flow for d-dimensional data as a flowkit.Chain, layer 0 first in the
// generative direction.
func (c Config) Build(d int) *flowkit.Chain {
	if d <= 0 {
		panic(fmt.Errorf("autoregressive.Config: dimension %d must be positive", d))
	}
	if c.Layers <= 0 {
		panic(fmt.Errorf("autoregressive.Config: Layers must be at least 1, got %d", c.Layers))
	}
	var bs []flowkit.Bijector
	for i := 0; i < c.Layers; i++ {
		if i > 0 && c.Between != nil {
			if b := c.Between(i-1, d); b != nil {
				bs = append(bs, b)
			}
		}
		m := NewMAFLayer(c.Transformer, c.Hidden...).WithActivation(c.Activation).WithSampling(c.Sampling).WithOrder(c.Order(i, d))
		if c.Inverted {
			bs = append(bs, &IAFLayer{MAFLayer: *m})
		} else {
			bs = append(bs, m)
		}
	}
	return flowkit.NewChain(bs...)
}

// MAF returns a masked autoregressive flow for d-dimensional data: layers affine MAF layers
// (transformer.NewAffine, soft-bounded log-scale) with MADE conditioners of the hidden widths,
// reversing the dimensions between layers. Density (LogProb) is one pass per layer; sampling is
// d passes per layer.
func MAF(d, layers int, hidden ...int) *flowkit.Chain {
	return Config{Layers: layers, Hidden: hidden}.Build(d)
}

// IAF returns an inverse autoregressive flow: the MAF of MAF(d, layers, hidden...) with every
// layer inverted (section 16.3.5). Sampling is one pass per layer, density d passes.
func IAF(d, layers int, hidden ...int) *flowkit.Chain {
	return Config{Layers: layers, Hidden: hidden, Inverted: true}.Build(d)
}

// NAF returns a neural autoregressive flow (Huang et al. 2018): MAF layers whose transformer is
// the deep sigmoidal flow transformer.NewDSF(16), reversing the dimensions between layers.
// Density is one pass per layer; sampling inverts the DSF by bisection, d passes per layer.
func NAF(d, layers int, hidden ...int) *flowkit.Chain {
	return Config{Layers: layers, Hidden: hidden, Transformer: transformer.NewDSF(16)}.Build(d)
}

// NSF returns an autoregressive neural spline flow (Durkan et al. 2019): MAF layers whose
// transformer is the rational-quadratic spline transformer.NewRQSpline(8, 5) (8 bins on [-5, 5],
// identity tails), reversing the dimensions between layers.
func NSF(d, layers int, hidden ...int) *flowkit.Chain {
	return Config{Layers: layers, Hidden: hidden, Transformer: transformer.NewRQSpline(8, 5)}.Build(d)
}

// PiecewiseLinearFlow returns the book's piecewise-linear autoregressive flow on [0, 1]^d
// (eq. 16.12 and 16.15): each layer maps h_d with the K-bin piecewise-linear transformer whose bin
// masses φ_d come from the previous dimensions h_{<d} through a MADE with the hidden widths, and
// the layers reverse the dimensions between them. Use it with a uniform base on [0, 1]^d
// (flowkit.NewUniform(0, 1, d)).
func PiecewiseLinearFlow(d, layers, bins int, hidden ...int) *flowkit.Chain {
	return Config{Layers: layers, Hidden: hidden, Transformer: transformer.NewPiecewiseLinear(bins)}.Build(d)
}
