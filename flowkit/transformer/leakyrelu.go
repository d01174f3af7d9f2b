package transformer

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// LeakyReLU is the elementwise leaky ReLU of problem 16.7, a piecewise-linear bijection of R:
//
//	g(x) = x       for x >= 0
//	g(x) = α·x     for x < 0,  α = exp(α̃) > 0
//
// Its inverse divides the negative part by α; log g'(x) is 0 or ln α.
type LeakyReLU struct{}

// Name implements Transformer.
func (LeakyReLU) Name() string { return "LeakyReLU" }

// NumParams implements Transformer: the raw log-slope α̃ of the negative half.
func (LeakyReLU) NumParams() int { return 1 }

// IdentityParams implements Transformer (α = 1).
func (LeakyReLU) IdentityParams() []float64 { return []float64{0} }

// Forward implements Transformer.
func (t LeakyReLU) Forward(x, params *Node) (*Node, *Node) {
	checkParams(t, x, params)
	logA := param(broadcastParams(x, params), 0)
	neg := IsNegative(x)
	return Where(neg, Mul(x, Exp(logA)), x), Where(neg, logA, ZerosLike(x))
}

// Inverse implements Transformer.
func (t LeakyReLU) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(t, y, params)
	logA := param(broadcastParams(y, params), 0)
	neg := IsNegative(y)
	return Where(neg, Mul(y, Exp(Neg(logA))), y), Where(neg, Neg(logA), ZerosLike(y))
}
