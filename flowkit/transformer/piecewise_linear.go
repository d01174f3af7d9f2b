package transformer

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// PiecewiseLinear is the monotone piecewise-linear map of [0, 1] onto itself with K equal-width
// bins (eq. 16.12):
//
//	g(h) = Σ_{k<b} φ_k + (hK - b)·φ_b,   b = ⌊hK⌋
//
// where φ = softmax(φ̃) are the masses of the bins (positive, summing to one), so the slope in bin
// b is K·φ_b and log g'(h) = ln(K φ_b). The inverse finds the bin of y among the cumulative
// masses and inverts the linear piece. The domain is [0, 1]: graphs clamp inputs into it, and
// flowkit's host-side entry points reject inputs outside it.
type PiecewiseLinear struct {
	K int
}

// NewPiecewiseLinear returns the piecewise-linear transformer with k bins.
func NewPiecewiseLinear(k int) *PiecewiseLinear { return &PiecewiseLinear{K: k} }

// Name implements Transformer.
func (p *PiecewiseLinear) Name() string { return fmt.Sprintf("PiecewiseLinear(K=%d)", p.K) }

// NumParams implements Transformer: K raw bin masses.
func (p *PiecewiseLinear) NumParams() int { return p.K }

// IdentityParams implements Transformer (equal masses: g(h) = h).
func (p *PiecewiseLinear) IdentityParams() []float64 { return make([]float64, p.K) }

// Domain implements Bounded.
func (p *PiecewiseLinear) Domain() (lo, hi float64) { return 0, 1 }

func (p *PiecewiseLinear) masses(params *Node) (phi, cum *Node) {
	phi = Softmax(params, -1)
	return phi, cumulative(phi)
}

// Forward implements Transformer.
func (p *PiecewiseLinear) Forward(h, params *Node) (*Node, *Node) {
	checkParams(p, h, params)
	K := p.K
	phi, cum := p.masses(broadcastParams(h, params))
	h = ClipScalar(h, 0, 1)
	// Interior knots of the input are at k/K, k = 1..K-1.
	knots := make([]float64, K-1)
	for k := range knots {
		knots[k] = float64(k+1) / float64(K)
	}
	oh := binOneHot(h, ConvertDType(Const(h.Graph(), knots), h.DType()), K)
	b := ReduceSum(Mul(oh, ConvertDType(Iota(h.Graph(), oh.Shape(), -1), h.DType())), -1)
	phiB := pick(oh, phi)
	y := Add(pick(oh, SliceAxis(cum, -1, AxisRange(0, K))), Mul(Sub(MulScalar(h, float64(K)), b), phiB))
	return y, Log(MulScalar(phiB, float64(K)))
}

// Inverse implements Transformer.
func (p *PiecewiseLinear) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(p, y, params)
	K := p.K
	phi, cum := p.masses(broadcastParams(y, params))
	y = ClipScalar(y, 0, 1)
	oh := binOneHot(y, SliceAxis(cum, -1, AxisRange(1, K)), K)
	b := ReduceSum(Mul(oh, ConvertDType(Iota(y.Graph(), oh.Shape(), -1), y.DType())), -1)
	phiB := pick(oh, phi)
	lo := pick(oh, SliceAxis(cum, -1, AxisRange(0, K)))
	h := DivScalar(Add(b, Div(Sub(y, lo), phiB)), float64(K))
	return ClipScalar(h, 0, 1), Neg(Log(MulScalar(phiB, float64(K))))
}
