package multiscale

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Split is the factor-out of figure 16.10: of an image [batch, h, w, c], the first k = ⌊c/2⌋
// channels leave to the latent and the other c - k continue through Inner (the deeper levels).
// Generative direction, with z = [z₁ | z₂] split on channels:
//
//	x₂ = Inner(z₂),   x₁ = μ(x₂) + σ(x₂) ⊙ z₁   (x₁ = z₁ without a prior),   x = [x₁ | x₂]
//
// and the normalizing direction z₂ = Inner⁻¹(x₂), z₁ = (x₁ - μ(x₂)) / σ(x₂). With Prior set,
// (μ, log σ) come from the network Prior run on the continuing half x₂: this is Glow's learned
// conditional split prior, p(x₁ | x₂) = N(x₁; μ(x₂), σ(x₂)²), written as a bijector whose
// log-det, -Σ log σ(x₂) in the normalizing direction, makes a standard normal base on z₁ give
// exactly that density (see the package documentation). log σ is soft-bounded as in
// transformer.Affine (c·tanh(s/c), c = LogScaleBound). The Jacobian is block triangular, so the
// log-det is Inner's plus the prior's; both directions cost one Inner pass and one Prior pass.
//
// Split keeps the event shape: the factored-out half stays in place in the output, which is how
// Network keeps the whole latent in the image's shape. Inner's variables live under the scope
// "inner", the prior's under "prior".
type Split struct {
	// Prior, when not nil, is the conditional prior's network: from x₂ [batch, h, w, c-k] it
	// returns [batch, h, w, 2k], per factored-out channel the shift μ and the raw log-scale of
	// σ. Start it at zero (nn.CNN{ZeroLast: true}, Glow's zero-initialised convolution) so a
	// fresh prior is N(0, 1). nil: the factored-out half is evaluated under the base directly.
	Prior coupling.Conditioner
	// Inner transforms the continuing half (nil: the identity).
	Inner flowkit.Bijector
	// LogScaleBound bounds log σ softly (0: transformer.DefaultLogScaleBound; negative: no
	// bound).
	LogScaleBound float64
}

// NewSplit returns a Split with Glow's learned prior (a zero-initialised 3×3 convolution) when
// prior is true, and inner on the continuing half (nil for none).
func NewSplit(inner flowkit.Bijector, prior bool) *Split {
	s := &Split{Inner: inner}
	if prior {
		s.Prior = DefaultPrior()
	}
	return s
}

// DefaultPrior is the conditional prior network NewSplit uses: one 3×3 convolution starting at
// zero, Glow's Conv2dZeros.
func DefaultPrior() coupling.Conditioner { return nn.CNN{ZeroLast: true} }

// Name implements flowkit.Named.
func (sp *Split) Name() string {
	p := "N(0,1)"
	if sp.Prior != nil {
		p = "prior"
	}
	if sp.Inner == nil {
		return "Split(" + p + ")"
	}
	return fmt.Sprintf("Split(%s,%s)", p, flowkit.NameOf(sp.Inner))
}

func (sp *Split) affine() *transformer.Affine {
	switch {
	case sp.LogScaleBound == 0:
		return transformer.NewAffine()
	case sp.LogScaleBound < 0:
		return &transformer.Affine{}
	}
	return &transformer.Affine{LogScaleBound: sp.LogScaleBound}
}

// halves cuts v [batch, h, w, c] into the factored-out first k = ⌊c/2⌋ channels and the rest.
func halves(v *graph.Node) (out, rest *graph.Node) {
	_, _, _, c := imageDims("multiscale.Split", v)
	if c < 2 {
		panic(fmt.Errorf("multiscale.Split: an image with %d channel cannot be split: want at least 2 channels (squeeze first)", c))
	}
	k := c / 2
	return graph.SliceAxis(v, -1, graph.AxisRange(0, k)), graph.SliceAxis(v, -1, graph.AxisRange(k, c))
}

// priorParams runs the prior on the continuing half and returns raw affine parameters
// [batch, h, w, k, 2].
func (sp *Split) priorParams(s *model.Scope, rest, cond *graph.Node, k int) *graph.Node {
	out := sp.Prior.Apply(s.At("prior"), rest, cond, 2*k)
	d := rest.Shape().Dimensions
	if out.Rank() != 4 || out.Shape().Dimensions[0] != d[0] || out.Shape().Dimensions[1] != d[1] ||
		out.Shape().Dimensions[2] != d[2] || out.Shape().Dimensions[3] != 2*k {
		panic(fmt.Errorf("multiscale.Split: prior %v returned shape %v, want [%d, %d, %d, %d]",
			sp.Prior, out.Shape().Dimensions, d[0], d[1], d[2], 2*k))
	}
	return graph.Reshape(out, d[0], d[1], d[2], k, 2)
}

// Forward implements flowkit.Bijector: the deeper levels run first on z₂, then the prior maps
// z₁ to x₁ given x₂.
func (sp *Split) Forward(s *model.Scope, z, cond *graph.Node) (x, logDet *graph.Node) {
	return sp.forward(s, z, cond, sp.innerFunc(s, cond, false))
}

// Inverse implements flowkit.Bijector: the prior standardises x₁ given x₂, then the deeper
// levels run on x₂.
func (sp *Split) Inverse(s *model.Scope, x, cond *graph.Node) (z, logDet *graph.Node) {
	return sp.inverse(s, x, cond, sp.innerFunc(s, cond, true))
}

// innerFn applies the deeper levels to the continuing half, returning it and its log-det.
type innerFn func(v *graph.Node) (*graph.Node, *graph.Node)

func (sp *Split) innerFunc(s *model.Scope, cond *graph.Node, inverse bool) innerFn {
	if sp.Inner == nil {
		return nil
	}
	return func(v *graph.Node) (*graph.Node, *graph.Node) {
		if inverse {
			return sp.Inner.Inverse(s.At("inner"), v, cond)
		}
		return sp.Inner.Forward(s.At("inner"), v, cond)
	}
}

// forward is Split's generative direction with the deeper levels given as a function (Network
// passes its own recursion); the prior's variables live under s.At("prior").
func (sp *Split) forward(s *model.Scope, z, cond *graph.Node, inner innerFn) (x, logDet *graph.Node) {
	z1, z2 := halves(z)
	x2, logDet := z2, flowkit.ZeroLogDet(z)
	if inner != nil {
		x2, logDet = inner(z2)
	}
	x1 := z1
	if sp.Prior != nil {
		var ld *graph.Node
		x1, ld = sp.affine().Forward(z1, sp.priorParams(s, x2, cond, z1.Shape().Dimensions[3]))
		logDet = graph.Add(logDet, flowkit.SumEvent(ld))
	}
	return graph.Concatenate([]*graph.Node{x1, x2}, -1), logDet
}

// inverse is Split's normalizing direction with the deeper levels given as a function.
func (sp *Split) inverse(s *model.Scope, x, cond *graph.Node, inner innerFn) (z, logDet *graph.Node) {
	x1, x2 := halves(x)
	z1, logDet := x1, flowkit.ZeroLogDet(x)
	if sp.Prior != nil {
		var ld *graph.Node
		z1, ld = sp.affine().Inverse(x1, sp.priorParams(s, x2, cond, x1.Shape().Dimensions[3]))
		logDet = flowkit.SumEvent(ld)
	}
	z2 := x2
	if inner != nil {
		var ld *graph.Node
		z2, ld = inner(x2)
		logDet = graph.Add(logDet, ld)
	}
	return graph.Concatenate([]*graph.Node{z1, z2}, -1), logDet
}

var _ flowkit.Bijector = (*Split)(nil)
