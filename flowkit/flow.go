package flowkit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Flow is a normalizing flow: a base distribution pushed through a bijector, x = f(z), z ~ Base.
//
// Its density is the change-of-variables formula (eq. 16.3 and 16.8):
//
//	log p(x) = log p_Base(f⁻¹(x)) + log|det ∂f⁻¹/∂x|
//
// The bijector's variables live under the scope "transform", the base's under "base", so a Flow
// can be embedded in a larger model by passing it a sub-scope.
type Flow struct {
	Base      Distribution
	Transform Bijector
}

// NewFlow returns the flow pushing base through transform.
func NewFlow(base Distribution, transform Bijector) *Flow {
	return &Flow{Base: base, Transform: transform}
}

// EventShape implements Distribution: the base's event shape (flowkit's bijectors keep the
// event shape, except multi-scale ones which document their own).
func (f *Flow) EventShape() []int { return f.Base.EventShape() }

func (f *Flow) transformScope(s *model.Scope) *model.Scope { return s.At("transform") }
func (f *Flow) baseScope(s *model.Scope) *model.Scope      { return s.At("base") }

// LogProb implements Distribution: the density of x [batch, event...] in nats, [batch].
func (f *Flow) LogProb(s *model.Scope, x, cond *Node) *Node {
	z, ld := f.Transform.Inverse(f.transformScope(s), x, cond)
	return Add(f.Base.LogProb(f.baseScope(s), z, cond), ld)
}

// Latent returns z = f⁻¹(x) and log|det ∂f⁻¹/∂x|, the normalizing direction.
func (f *Flow) Latent(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	return f.Transform.Inverse(f.transformScope(s), x, cond)
}

// Sample implements Distribution: z from the base, then the generative direction.
func (f *Flow) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, cond *Node) *Node {
	x, _ := f.SampleAndLogProb(s, g, dtype, n, cond)
	return x
}

// SampleAndLogProb draws n samples and returns them with their log-density, in one generative
// pass and without any inverse (section 16.5.3):
//
//	log p(x) = log p_Base(z) - log|det ∂f/∂z|
//
// This is what reverse-KL training needs, and it is cheap for flows whose generative direction
// is the fast one (IAF, couplings).
func (f *Flow) SampleAndLogProb(s *model.Scope, g *Graph, dtype shapesDType, n int, cond *Node) (x, logProb *Node) {
	z := f.Base.Sample(f.baseScope(s), g, dtype, n, cond)
	return f.Generate(s, z, cond)
}

// Generate runs the generative direction on given latents z and returns x and log p(x).
func (f *Flow) Generate(s *model.Scope, z, cond *Node) (x, logProb *Node) {
	lpz := f.Base.LogProb(f.baseScope(s), z, cond)
	x, ld := f.Transform.Forward(f.transformScope(s), z, cond)
	return x, Sub(lpz, ld)
}
