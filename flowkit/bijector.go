package flowkit

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
	"github.com/gomlx/gomlx/ml/model"
)

// Bijector is an invertible map with a tractable log-determinant, the building block of every flow.
//
// Direction follows Prince's Understanding Deep Learning, chapter 16:
//
//   - Forward is generative: x = f(z). It returns x and log|det ∂f/∂z| per example, shape [batch].
//   - Inverse is normalizing: z = f⁻¹(x). It returns z and log|det ∂f⁻¹/∂x| per example, which is
//     minus the forward log-determinant at the matching point (eq. 16.8).
//
// Inputs are [batch, event...]: [batch, D] for vectors, [batch, H, W, C] for images. cond is an
// optional conditioning input [batch, C] (nil when unused). A bijector creates its variables under
// the scope s it is given, in the dtype of its input, so the same bijector runs in float32 for
// training and in float64 for verification. Forward and Inverse of one bijector may both be called
// in one graph with the same scope: they share the variables.
type Bijector interface {
	Forward(s *model.Scope, z, cond *Node) (x, logDet *Node)
	Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node)
}

// Named is implemented by bijectors that describe themselves; reports and scopes use the name.
type Named interface {
	Name() string
}

// NameOf returns b's name when it implements Named, its Go type otherwise.
func NameOf(b any) string {
	if n, ok := b.(Named); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", b)
}

// Chain composes bijectors. Forward applies them in order, Bijectors[0] first, as
// x = f_K(...f_2(f_1(z))); Inverse applies them in reverse order. Log-determinants add up
// (eq. 16.7). Each bijector's variables live under the sub-scope "<index>_<name>".
type Chain struct {
	Bijectors []Bijector
}

// NewChain returns the composition of bs, bs[0] applied first in the generative direction.
func NewChain(bs ...Bijector) *Chain { return &Chain{Bijectors: bs} }

// Name implements Named.
func (c *Chain) Name() string { return fmt.Sprintf("Chain(%d)", len(c.Bijectors)) }

// Scope returns the sub-scope the i-th bijector of the chain uses.
func (c *Chain) Scope(s *model.Scope, i int) *model.Scope {
	return s.At("%02d_%s", i, scopeName(NameOf(c.Bijectors[i])))
}

// Forward implements Bijector.
func (c *Chain) Forward(s *model.Scope, z, cond *Node) (x, logDet *Node) {
	x = z
	for i, b := range c.Bijectors {
		var ld *Node
		x, ld = b.Forward(c.Scope(s, i), x, cond)
		logDet = addLogDet(logDet, ld)
	}
	return x, orZeroLogDet(logDet, z)
}

// Inverse implements Bijector.
func (c *Chain) Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	z = x
	for i := len(c.Bijectors) - 1; i >= 0; i-- {
		var ld *Node
		z, ld = c.Bijectors[i].Inverse(c.Scope(s, i), z, cond)
		logDet = addLogDet(logDet, ld)
	}
	return z, orZeroLogDet(logDet, x)
}

// ForwardTrace runs Forward and also returns the intermediate values after each bijector
// (len(Bijectors)+1 nodes, the input first): the layer-by-layer picture of figure 16.4.
func (c *Chain) ForwardTrace(s *model.Scope, z, cond *Node) []*Node {
	out := []*Node{z}
	x := z
	for i, b := range c.Bijectors {
		x, _ = b.Forward(c.Scope(s, i), x, cond)
		out = append(out, x)
	}
	return out
}

// Invert swaps the directions of a bijector: Invert(b).Forward is b.Inverse and vice versa. Use
// it to put a bijector's fast direction where it is needed, e.g. an IAF is an inverted MAF.
func Invert(b Bijector) Bijector {
	if inv, ok := b.(*inverted); ok {
		return inv.b
	}
	return &inverted{b: b}
}

type inverted struct{ b Bijector }

func (v *inverted) Name() string { return "Invert(" + NameOf(v.b) + ")" }
func (v *inverted) Forward(s *model.Scope, z, cond *Node) (*Node, *Node) {
	return v.b.Inverse(s, z, cond)
}
func (v *inverted) Inverse(s *model.Scope, x, cond *Node) (*Node, *Node) {
	return v.b.Forward(s, x, cond)
}

// IdentityMap is the identity bijector, with log-determinant 0.
type IdentityMap struct{}

// Name implements Named.
func (IdentityMap) Name() string { return "Identity" }

// Forward implements Bijector.
func (IdentityMap) Forward(_ *model.Scope, z, _ *Node) (*Node, *Node) { return z, ZeroLogDet(z) }

// Inverse implements Bijector.
func (IdentityMap) Inverse(_ *model.Scope, x, _ *Node) (*Node, *Node) { return x, ZeroLogDet(x) }

// ZeroLogDet returns zeros of shape [batch] in x's dtype.
func ZeroLogDet(x *Node) *Node {
	return Zeros(x.Graph(), shapes.Make(x.DType(), x.Shape().Dimensions[0]))
}

// SumEvent sums v [batch, event...] over its event axes, giving [batch]. Bijectors use it to turn
// elementwise log-derivatives into a per-example log-determinant.
func SumEvent(v *Node) *Node {
	if v.Rank() == 1 {
		return v
	}
	axes := make([]int, v.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceSum(v, axes...)
}

func addLogDet(acc, ld *Node) *Node {
	if acc == nil {
		return ld
	}
	return Add(acc, ld)
}

func orZeroLogDet(ld, x *Node) *Node {
	if ld == nil {
		return ZeroLogDet(x)
	}
	return ld
}

// scopeName makes a bijector name usable as a scope: no slashes, no spaces.
func scopeName(name string) string {
	r := []rune(name)
	for i, c := range r {
		switch c {
		case '/', ' ', '(', ')', ',':
			r[i] = '_'
		}
	}
	return model.EscapeScopeName(string(r))
}
