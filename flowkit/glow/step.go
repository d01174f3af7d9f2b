package glow

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
	"github.com/gomlx/gomlx/ml/model"
)

// DefaultHidden is the default number of channels of a Glow step's conditioner.
const DefaultHidden = 64

// Step is one step of flow of Glow (Kingma & Dhariwal 2018; section 16.5.2) on an image event
// [h, w, c], described in the normalizing direction (data → latent):
//
//  1. ActNorm: per-channel affine normalisation, initialised from the data (linear.ActNorm);
//  2. invertible 1×1 convolution with the LU parameterisation (linear.Conv1x1, eq. 16.9): a
//     learned c×c channel mixing at every pixel;
//  3. affine coupling on channels (eq. 16.13-16.14): half of the channels (coupling.Channels
//     with Parity) are kept, the other half is shifted and scaled at every pixel by parameters
//     a CNN computes from the kept half: 3×3 conv, ReLU, 1×1 conv, ReLU, 3×3 conv to the
//     parameters, the last one zero-initialised (Glow's Conv2dZeros). The scale is Glow's
//     sigmoid (SigmoidAffine: z₂ = (x₂ + t)·sigmoid(r + 2) in the normalizing direction).
//
// The generative direction runs them in the opposite order. log|det| is the sum of the three
// (H·W·Σ log_scale, H·W·log|det W|, Σ log scale of the coupling). Both directions cost one
// conditioner pass; ActNorm and the 1×1 convolution are O(c) and O(c²) per pixel. Variables live under the scopes "actnorm",
// "conv1x1" and "coupling" (the conditioner under "coupling/conditioner").
type Step struct {
	// Event is the step's input shape [h, w, c] (c ≥ 2).
	Event []int
	// Hidden is the conditioner's channel count (0: DefaultHidden).
	Hidden int
	// Kernels are the conditioner's kernel sizes (nil: Glow's [3, 1, 3]).
	Kernels []int
	// Parity chooses the kept half of the coupling: 0 keeps the first ⌊c/2⌋ channels, 1 the
	// last ⌈c/2⌉.
	Parity int
	// NoDataInit turns off ActNorm's data-dependent initialisation (for the verification
	// harness, which runs the generative direction first).
	NoDataInit bool
	// Transformer is the coupling's affine map (nil: SigmoidAffine, Glow's).
	Transformer transformer.Transformer
}

// NewStep returns a Glow step on event [h, w, c] with a conditioner of hidden channels.
func NewStep(event []int, hidden, parity int) *Step {
	return &Step{Event: append([]int(nil), event...), Hidden: hidden, Parity: parity}
}

// Name implements flowkit.Named.
func (st *Step) Name() string {
	return fmt.Sprintf("GlowStep(%v,hidden=%d,parity=%d)", st.Event, st.hidden(), st.Parity&1)
}

func (st *Step) hidden() int {
	if st.Hidden == 0 {
		return DefaultHidden
	}
	return st.Hidden
}

func (st *Step) affine() transformer.Transformer {
	if st.Transformer == nil {
		return SigmoidAffine{}
	}
	return st.Transformer
}

// Conditioner returns the step's CNN: 3×3 conv, 1×1 conv (ReLU after each) and a
// zero-initialised 3×3 output conv (a ConvNet, the network of nn.CNN computed with less data
// movement).
func Conditioner(hidden int) coupling.Conditioner {
	return ConvNet{Hidden: []int{hidden, hidden}, Kernels: []int{3, 1, 3}, ZeroLast: true}
}

func (st *Step) conditioner() coupling.Conditioner {
	if st.Kernels == nil {
		return Conditioner(st.hidden())
	}
	return ConvNet{Hidden: []int{st.hidden(), st.hidden()}, Kernels: st.Kernels, ZeroLast: true}
}

// parts returns the step's three bijectors.
func (st *Step) parts() (an *linear.ActNorm, conv *linear.Conv1x1, cp *coupling.Coupling) {
	if len(st.Event) != 3 || st.Event[2] < 2 {
		panic(fmt.Errorf("glow.Step: event %v: want an image [h, w, c] with c ≥ 2 channels (squeeze first)", st.Event))
	}
	if st.hidden() < 1 {
		panic(fmt.Errorf("glow.Step: Hidden = %d, want a positive channel count", st.Hidden))
	}
	mask := coupling.Channels(st.Event[0], st.Event[1], st.Event[2], st.Parity)
	return &linear.ActNorm{NoDataInit: st.NoDataInit}, linear.NewConv1x1(),
		coupling.New(mask, st.affine(), st.conditioner())
}

// Forward implements flowkit.Bijector: coupling, then 1×1 convolution, then ActNorm.
func (st *Step) Forward(s *model.Scope, z, cond *Node) (x, logDet *Node) {
	an, conv, cp := st.parts()
	x, ld1 := cp.Forward(s.At("coupling"), z, cond)
	x, ld2 := conv.Forward(s.At("conv1x1"), x, cond)
	x, ld3 := an.Forward(s.At("actnorm"), x, cond)
	return x, Add(Add(ld1, ld2), ld3)
}

// Inverse implements flowkit.Bijector: ActNorm, then 1×1 convolution, then coupling.
func (st *Step) Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	an, conv, cp := st.parts()
	z, ld1 := an.Inverse(s.At("actnorm"), x, cond)
	z, ld2 := conv.Inverse(s.At("conv1x1"), z, cond)
	z, ld3 := cp.Inverse(s.At("coupling"), z, cond)
	return z, Add(Add(ld1, ld2), ld3)
}

var _ flowkit.Bijector = (*Step)(nil)
