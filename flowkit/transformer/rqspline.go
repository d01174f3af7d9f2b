package transformer

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// RQSpline is the monotone rational-quadratic spline of Durkan et al. (2019, "Neural Spline
// Flows") with K bins on [-B, B] and linear (identity) tails outside it.
//
// Raw parameters per dimension: K bin widths, K bin heights (each through a softmax, then a
// minimum size MinBin so no bin collapses) and K-1 interior knot derivatives (softplus plus
// MinDerivative); the derivatives at ±B are 1 so the spline joins the identity tails smoothly.
// Inside the interval, with ξ = (x - x_k)/w_k and s_k = h_k/w_k in bin k:
//
//	g(x) = y_k + h_k (s_k ξ² + d_k ξ(1-ξ)) / (s_k + (d_{k+1} + d_k - 2 s_k) ξ(1-ξ))
//
// The inverse solves the quadratic in ξ in its numerically stable form. Inputs far outside the
// bound (even ±1e6) pass through with log-derivative 0: the spline math sees inputs clamped
// into [-B, B] first, so the unused branch of the select never produces NaN (and neither do
// gradients).
type RQSpline struct {
	K             int
	Bound         float64
	MinBin        float64
	MinDerivative float64
}

// NewRQSpline returns a spline with k bins on [-bound, bound] and the default minimum bin size
// and derivative (1e-3 each, as in Durkan et al.).
func NewRQSpline(k int, bound float64) *RQSpline {
	return &RQSpline{K: k, Bound: bound, MinBin: 1e-3, MinDerivative: 1e-3}
}

// Name implements Transformer.
func (r *RQSpline) Name() string { return fmt.Sprintf("RQSpline(K=%d,B=%g)", r.K, r.Bound) }

// NumParams implements Transformer: 3K-1.
func (r *RQSpline) NumParams() int { return 3*r.K - 1 }

// IdentityParams implements Transformer: equal bins and unit derivatives give g(x) = x.
func (r *RQSpline) IdentityParams() []float64 {
	p := make([]float64, r.NumParams())
	d := math.Log(math.Expm1(1 - r.MinDerivative)) // softplus(d) + min = 1
	for i := 2 * r.K; i < len(p); i++ {
		p[i] = d
	}
	return p
}

// knots returns, for raw params [..., 3K-1], the bin edges xs and ys [..., K+1], and the knot
// derivatives [..., K+1].
func (r *RQSpline) knots(params *Node) (xs, ys, ds *Node) {
	K, B := r.K, r.Bound
	edges := func(raw *Node) *Node {
		w := Softmax(raw, -1)
		w = AddScalar(MulScalar(w, 1-r.MinBin*float64(K)), r.MinBin)
		return AddScalar(MulScalar(cumulative(w), 2*B), -B)
	}
	xs = edges(paramRange(params, 0, K))
	ys = edges(paramRange(params, K, 2*K))
	inner := AddScalar(Softplus(paramRange(params, 2*K, 3*K-1)), r.MinDerivative)
	one := OnesLike(SliceAxis(inner, -1, AxisRange(0, 1)))
	ds = Concatenate([]*Node{one, inner, one}, -1)
	return xs, ys, ds
}

// bin gathers, for the bin selected by oh [..., K], the left edges, widths, heights and the
// derivatives at both ends.
func (r *RQSpline) bin(oh, xs, ys, ds *Node) (xk, wk, yk, hk, dk, dk1 *Node) {
	K := r.K
	lo := func(v *Node) *Node { return SliceAxis(v, -1, AxisRange(0, K)) }
	hi := func(v *Node) *Node { return SliceAxis(v, -1, AxisRange(1, K+1)) }
	xk, yk = pick(oh, lo(xs)), pick(oh, lo(ys))
	wk, hk = Sub(pick(oh, hi(xs)), xk), Sub(pick(oh, hi(ys)), yk)
	dk, dk1 = pick(oh, lo(ds)), pick(oh, hi(ds))
	return
}

func (r *RQSpline) inside(v *Node) *Node {
	return LogicalAnd(GreaterOrEqual(v, Scalar(v.Graph(), v.DType(), -r.Bound)),
		LessOrEqual(v, Scalar(v.Graph(), v.DType(), r.Bound)))
}

// logDerivAt returns log g'(x) at relative position xi in a bin.
func logDerivAt(xi, sk, dk, dk1 *Node) *Node {
	omx := OneMinus(xi)
	den := Add(sk, Mul(Sub(Add(dk1, dk), MulScalar(sk, 2)), Mul(xi, omx)))
	num := Mul(Square(sk), Add(Add(Mul(dk1, Square(xi)), MulScalar(Mul(sk, Mul(xi, omx)), 2)), Mul(dk, Square(omx))))
	return Sub(Log(num), MulScalar(Log(den), 2))
}

// Forward implements Transformer.
func (r *RQSpline) Forward(x, params *Node) (*Node, *Node) {
	checkParams(r, x, params)
	xs, ys, ds := r.knots(broadcastParams(x, params))
	in := r.inside(x)
	xc := ClipScalar(x, -r.Bound, r.Bound)
	oh := binOneHot(xc, SliceAxis(xs, -1, AxisRange(1, r.K)), r.K)
	xk, wk, yk, hk, dk, dk1 := r.bin(oh, xs, ys, ds)
	sk := Div(hk, wk)
	xi := ClipScalar(Div(Sub(xc, xk), wk), 0, 1)
	omx := OneMinus(xi)
	num := Mul(hk, Add(Mul(sk, Square(xi)), Mul(dk, Mul(xi, omx))))
	den := Add(sk, Mul(Sub(Add(dk1, dk), MulScalar(sk, 2)), Mul(xi, omx)))
	y := Add(yk, Div(num, den))
	ld := logDerivAt(xi, sk, dk, dk1)
	return Where(in, y, x), Where(in, ld, ZerosLike(x))
}

// Inverse implements Transformer.
func (r *RQSpline) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(r, y, params)
	xs, ys, ds := r.knots(broadcastParams(y, params))
	in := r.inside(y)
	yc := ClipScalar(y, -r.Bound, r.Bound)
	oh := binOneHot(yc, SliceAxis(ys, -1, AxisRange(1, r.K)), r.K)
	xk, wk, yk, hk, dk, dk1 := r.bin(oh, xs, ys, ds)
	sk := Div(hk, wk)
	dy := Sub(yc, yk)
	t := Sub(Add(dk1, dk), MulScalar(sk, 2))
	a := Add(Mul(hk, Sub(sk, dk)), Mul(dy, t))
	b := Sub(Mul(hk, dk), Mul(dy, t))
	c := Neg(Mul(sk, dy))
	disc := Max(Sub(Square(b), MulScalar(Mul(a, c), 4)), ZerosLike(b))
	xi := ClipScalar(Div(MulScalar(c, 2), Sub(Neg(b), Sqrt(disc))), 0, 1)
	x := Add(Mul(xi, wk), xk)
	ld := Neg(logDerivAt(xi, sk, dk, dk1))
	return Where(in, x, y), Where(in, ld, ZerosLike(y))
}
