package glow

import (
	"fmt"
	"slices"

	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// SigmoidAffine is the affine transformer of Glow's couplings (Kingma & Dhariwal 2018, their
// code's f_encode): with raw parameters (t, r) and the scale s = sigmoid(r + 2) ∈ (0, 1), the
// normalizing direction is
//
//	z = (x + t) · s,   log|dz/dx| = log s ≤ 0,
//
// and the generative direction x = z / s - t, log|dx/dz| = -log s = softplus(-(r + 2)). The
// normalizing direction can only contract, so a stack of couplings cannot amplify a rare
// input into an enormous latent (with an exp-scale, c·tanh-bounded as in transformer.Affine,
// each layer may expand by up to e^c, and eight layers compound); concentrating density is left
// to ActNorm, the 1×1 convolutions and the split priors. It implements
// transformer.Transformer, cheap in both directions. With zero raw parameters the scale is
// sigmoid(2) ≈ 0.88, Glow's initialisation: the identity is not representable, and
// IdentityParams returns these zeros.
type SigmoidAffine struct{}

// Name implements transformer.Transformer.
func (SigmoidAffine) Name() string { return "SigmoidAffine" }

// NumParams implements transformer.Transformer: the shift t and the raw scale r.
func (SigmoidAffine) NumParams() int { return 2 }

// IdentityParams implements transformer.Transformer: Glow's initialisation (t = 0, s =
// sigmoid(2)), the zero output of a zero-initialised conditioner.
func (SigmoidAffine) IdentityParams() []float64 { return []float64{0, 0} }

// shiftAndLogScale returns t and log s = -softplus(-(r + 2)) from raw params [..., D, 2]
// broadcast to x's shape.
func (a SigmoidAffine) shiftAndLogScale(x, params *Node) (shift, logScale *Node) {
	ps, xs := params.Shape(), x.Shape()
	if ps.Rank() != xs.Rank()+1 || ps.Dimensions[ps.Rank()-1] != 2 {
		panic(fmt.Errorf("glow.SigmoidAffine: params shape %s does not fit input %s: want [..., 2]", ps, xs))
	}
	want := append(append([]int{}, xs.Dimensions...), 2)
	if !slices.Equal(params.Shape().Dimensions, want) {
		params = BroadcastToDims(params, want...)
	}
	shift = Squeeze(SliceAxis(params, -1, AxisRange(0, 1)), -1)
	raw := Squeeze(SliceAxis(params, -1, AxisRange(1, 2)), -1)
	return shift, Neg(Softplus(Neg(AddScalar(raw, 2))))
}

// Forward implements transformer.Transformer: the generative direction x = z / s - t.
func (a SigmoidAffine) Forward(z, params *Node) (x, logDeriv *Node) {
	t, logS := a.shiftAndLogScale(z, params)
	return Sub(Mul(z, Exp(Neg(logS))), t), Neg(logS)
}

// Inverse implements transformer.Transformer: the normalizing direction z = (x + t) · s.
func (a SigmoidAffine) Inverse(x, params *Node) (z, logDeriv *Node) {
	t, logS := a.shiftAndLogScale(x, params)
	return Mul(Add(x, t), Exp(logS)), logS
}

var _ transformer.Transformer = SigmoidAffine{}
