package residual

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
)

// Activation is a 1-Lipschitz nonlinearity φ for the residual branch g: with every weight's
// spectral norm at most c, Lip(g) <= c^L for L weight layers. Both choices have |φ'| <= 1 and a
// smooth enough derivative to train through the log-determinant.
type Activation int

const (
	// ELU is φ(x) = x for x > 0, exp(x) - 1 otherwise; φ'(x) = 1 or exp(x), in (0, 1].
	ELU Activation = iota
	// LipSwish is φ(x) = x·σ(x)/1.1 (Chen et al. 2019 with β = 1): Swish's derivative peaks at
	// 1.0998, so dividing by 1.1 makes it 1-Lipschitz.
	LipSwish
)

// String names the activation.
func (a Activation) String() string {
	switch a {
	case ELU:
		return "ELU"
	case LipSwish:
		return "LipSwish"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

func (a Activation) check() {
	if a != ELU && a != LipSwish {
		panic(fmt.Errorf("residual: unknown activation %d (use residual.ELU or residual.LipSwish)", int(a)))
	}
}

// apply returns φ(x). (Like all code that may run inside a While loop's closure, it creates its
// constants with lit, never with GoMLX's per-graph scalar cache: a cached scalar created inside a
// closure would later be reused outside it.)
func (a Activation) apply(x *Node) *Node {
	switch a {
	case LipSwish:
		return Div(Mul(x, Sigmoid(x)), lit(x, 1.1))
	default:
		zero := lit(x, 0)
		neg := Sub(Exp(Min(x, zero)), lit(x, 1))
		return Where(GreaterThan(x, zero), x, neg)
	}
}

// applyAndDeriv returns φ(x) and φ'(x), sharing the exponential / sigmoid.
func (a Activation) applyAndDeriv(x *Node) (y, dy *Node) {
	switch a {
	case LipSwish:
		s := Sigmoid(x)
		y = Div(Mul(x, s), lit(x, 1.1))
		dy = Div(Add(s, Mul(x, Mul(s, Sub(lit(x, 1), s)))), lit(x, 1.1))
	default:
		zero := lit(x, 0)
		pos := GreaterThan(x, zero)
		e := Exp(Min(x, zero))
		y = Where(pos, x, Sub(e, lit(x, 1)))
		dy = Where(pos, lit(x, 1), e)
	}
	return y, dy
}

// lit returns the scalar constant v in x's dtype, as a new node (not GoMLX's cached Scalar, which
// breaks when first created inside a closure and reused outside it).
func lit(x *Node, v float64) *Node { return ConstAsDType(x.Graph(), x.DType(), v) }
