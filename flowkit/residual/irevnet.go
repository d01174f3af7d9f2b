package residual

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// IRevNet is the additive residual coupling of iRevNet (Jacobsen et al. 2018; section 16.3.6,
// figure 16.8). The last axis is split into h = [h₁, h₂] and, in the generative direction
// (eq. 16.18),
//
//	h₁' = h₁ + f₁(h₂)
//	h₂' = h₂ + f₂(h₁')
//
// with f₁, f₂ arbitrary (not necessarily invertible) networks. The normalizing direction reverses
// the order and turns additions into subtractions (eq. 16.19):
//
//	h₂ = h₂' - f₂(h₁')
//	h₁ = h₁' - f₁(h₂)
//
// Both directions cost one pass of each network and are exact. The Jacobian is block triangular
// with identity blocks on the diagonal (∂h₁'/∂h₁ = I, ∂h₂'/∂h₂ = I), so log|det| = 0 in both
// directions: this holds for the additive form only (an affine coupling would add Σ log|s|).
// The split fixes which variables mix; put permutations between blocks (flowkit.ReversePermute).
//
// Variables: "f1/..." and "f2/..." under the block's scope: dense layers "layer_<i>/weights",
// "layer_<i>/biases", the last one zero-initialised so a new block is the identity. A
// conditioning input is concatenated to each network's input.
type IRevNet struct {
	// Hidden lists the hidden widths of f₁ and f₂ (default 64, 64).
	Hidden []int
	// Activation of the hidden layers (default ELU; the networks need not be Lipschitz).
	Activation Activation
	// Split is the size of h₁ (default D/2, rounded down; h₂ gets the rest). Both halves must be
	// non-empty, so D >= 2.
	Split int
}

// NewIRevNet returns an iRevNet coupling whose networks have the given hidden widths.
func NewIRevNet(hidden ...int) *IRevNet { return &IRevNet{Hidden: append([]int(nil), hidden...)} }

// Name implements flowkit.Named.
func (b *IRevNet) Name() string { return fmt.Sprintf("IRevNet(%v,%s)", b.hidden(), b.Activation) }

func (b *IRevNet) hidden() []int {
	if b.Hidden == nil {
		return []int{64, 64}
	}
	return b.Hidden
}

func (b *IRevNet) split(x *Node) (d1, d2 int) {
	if x.Rank() < 2 {
		panic(fmt.Errorf("residual.IRevNet: input shape %s needs a batch axis and a feature axis", x.Shape()))
	}
	D := x.Shape().Dimensions[x.Rank()-1]
	d1 = b.Split
	if d1 == 0 {
		d1 = D / 2
	}
	if D < 2 || d1 <= 0 || d1 >= D {
		panic(fmt.Errorf("residual.IRevNet: cannot split %d features into two non-empty halves (Split %d); "+
			"the coupling needs at least 2 features on the last axis", D, b.Split))
	}
	return d1, D - d1
}

func halves(x *Node, d1 int) (h1, h2 *Node) {
	last := x.Rank() - 1
	return SliceAxis(x, last, AxisRange(0, d1)), SliceAxis(x, last, AxisRangeToEnd(d1))
}

// net is a plain MLP on the last axis of h (with cond concatenated), output width out, last
// layer zero-initialised.
func (b *IRevNet) net(s *model.Scope, h, cond *Node, out int) *Node {
	b.Activation.check()
	a := h
	if cond != nil {
		if h.Rank() != 2 {
			panic(fmt.Errorf("residual.IRevNet: a conditioning input needs vector inputs [batch, D], got %s", h.Shape()))
		}
		c := cond
		if c.DType() != h.DType() {
			c = ConvertDType(c, h.DType())
		}
		a = Concatenate([]*Node{a, c}, -1)
	}
	widths := append(append([]int{}, b.hidden()...), out)
	for i, w := range widths {
		ls := s.At("layer_%d", i)
		in := a.Shape().Dimensions[a.Rank()-1]
		ws := ls
		if i == len(widths)-1 {
			ws = ls.WithInitializer(initializer.Zero)
		}
		wt := ws.VariableWithShape("weights", shapes.Make(h.DType(), in, w)).NodeValue(h.Graph())
		bs := ls.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(h.DType(), w)).NodeValue(h.Graph())
		a = flowkit.MatMulLast(a, wt)
		a = Add(a, ExpandLeftToRank(bs, a.Rank()))
		if i < len(widths)-1 {
			a = b.Activation.apply(a)
		}
	}
	return a
}

// Forward implements flowkit.Bijector (eq. 16.18); log-det 0.
func (b *IRevNet) Forward(s *model.Scope, z, cond *Node) (x, logDet *Node) {
	d1, d2 := b.split(z)
	h1, h2 := halves(z, d1)
	h1p := Add(h1, b.net(s.At("f1"), h2, cond, d1))
	h2p := Add(h2, b.net(s.At("f2"), h1p, cond, d2))
	return Concatenate([]*Node{h1p, h2p}, -1), flowkit.ZeroLogDet(z)
}

// Inverse implements flowkit.Bijector (eq. 16.19); log-det 0.
func (b *IRevNet) Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	d1, d2 := b.split(x)
	h1p, h2p := halves(x, d1)
	h2 := Sub(h2p, b.net(s.At("f2"), h1p, cond, d2))
	h1 := Sub(h1p, b.net(s.At("f1"), h2, cond, d1))
	return Concatenate([]*Node{h1, h2}, -1), flowkit.ZeroLogDet(x)
}
