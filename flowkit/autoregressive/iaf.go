package autoregressive

import (
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// IAFLayer is one inverse autoregressive flow layer (Kingma et al. 2016; section 16.3.5): a MAF layer
// used the other way round, so the generative direction is the parallel one and each x_d is
// computed from the previous dimensions of the latent z:
//
//	generative  (Forward, z → x):  x_d = g(z_d; φ_d(z_{<d}))         one parallel pass
//	normalizing (Inverse, x → z):  z_d = g⁻¹(x_d; φ_d(z_{<d}))       D sequential passes
//
// Sampling, and SampleAndLogProb (reverse-KL training, section 16.5.3), are cheap; LogProb of
// given data is D times as expensive. The layer is MAF's mathematics with the directions swapped,
// exactly flowkit.Invert(&maf), with its own name; the variables live under "made" as for MAF.
type IAFLayer struct {
	MAFLayer
}

// NewIAFLayer returns an IAF layer with transformer t (nil for affine) and a MADE with the given
// hidden widths and the natural order.
func NewIAFLayer(t transformer.Transformer, hidden ...int) *IAFLayer {
	return &IAFLayer{MAFLayer: *NewMAFLayer(t, hidden...)}
}

// Name implements flowkit.Named.
func (a *IAFLayer) Name() string { return "IAF" + a.MAFLayer.Name()[len("MAF"):] }

// Forward implements flowkit.Bijector: x = g(z; φ(z)) in one pass.
func (a *IAFLayer) Forward(s *model.Scope, z, cond *Node) (*Node, *Node) {
	return a.MAFLayer.Inverse(s, z, cond)
}

// Inverse implements flowkit.Bijector: z = g⁻¹(x; φ(z)) by D sequential passes.
func (a *IAFLayer) Inverse(s *model.Scope, x, cond *Node) (*Node, *Node) {
	return a.MAFLayer.Forward(s, x, cond)
}

// WithOrder sets the autoregressive order (see MADE.Order) and returns a.
func (a *IAFLayer) WithOrder(order []int) *IAFLayer {
	a.MAFLayer.WithOrder(order)
	return a
}

// WithActivation sets the MADE's hidden activation and returns a.
func (a *IAFLayer) WithActivation(act activation.Type) *IAFLayer {
	a.MAFLayer.WithActivation(act)
	return a
}

// WithSampling sets how the sequential direction (here the density direction) runs and returns a.
func (a *IAFLayer) WithSampling(s Sampling) *IAFLayer {
	a.MAFLayer.WithSampling(s)
	return a
}

// Passes runs the sequential direction pass by pass, which for an IAF is the normalizing one: it
// returns z after each of the D passes of z_d = g⁻¹(x_d; φ_d(z_{<d})) (see MAFLayer.Passes).
func (a *IAFLayer) Passes(s *model.Scope, x, cond *Node) []*Node {
	return a.MAFLayer.Passes(s, x, cond)
}
