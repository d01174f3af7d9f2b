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

// rqBin holds, per element, the clamped input and the parameters of the bin it falls in.
type rqBin struct {
	in                          *Node // inside [-B, B]
	v                           *Node // the input clamped into [-B, B]
	xk, wk, yk, hk, dk, dk1, sk *Node
}

// locate finds the bin of v among the x knots (forward) or the y knots (inverse).
func (r *RQSpline) locate(v, params *Node, byY bool) rqBin {
	xs, ys, ds := r.knots(broadcastParams(v, params))
	knots := xs
	if byY {
		knots = ys
	}
	b := rqBin{in: r.inside(v), v: ClipScalar(v, -r.Bound, r.Bound)}
	oh := binOneHot(b.v, SliceAxis(knots, -1, AxisRange(1, r.K)), r.K)
	b.xk, b.wk, b.yk, b.hk, b.dk, b.dk1 = r.bin(oh, xs, ys, ds)
	b.sk = Div(b.hk, b.wk)
	return b
}

// Forward implements Transformer.
func (r *RQSpline) Forward(x, params *Node) (*Node, *Node) {
	checkParams(r, x, params)
	b := r.locate(x, params, false)
	xi := ClipScalar(Div(Sub(b.v, b.xk), b.wk), 0, 1)
	omx := OneMinus(xi)
	num := Mul(b.hk, Add(Mul(b.sk, Square(xi)), Mul(b.dk, Mul(xi, omx))))
	den := Add(b.sk, Mul(Sub(Add(b.dk1, b.dk), MulScalar(b.sk, 2)), Mul(xi, omx)))
	y := Add(b.yk, Div(num, den))
	ld := logDerivAt(xi, b.sk, b.dk, b.dk1)
	return Where(b.in, y, x), Where(b.in, ld, ZerosLike(x))
}

// Inverse implements Transformer.
func (r *RQSpline) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(r, y, params)
	b := r.locate(y, params, true)
	dy := Sub(b.v, b.yk)
	t := Sub(Add(b.dk1, b.dk), MulScalar(b.sk, 2))
	qa := Add(Mul(b.hk, Sub(b.sk, b.dk)), Mul(dy, t))
	qb := Sub(Mul(b.hk, b.dk), Mul(dy, t))
	qc := Neg(Mul(b.sk, dy))
	disc := Max(Sub(Square(qb), MulScalar(Mul(qa, qc), 4)), ZerosLike(qb))
	xi := ClipScalar(Div(MulScalar(qc, 2), Sub(Neg(qb), Sqrt(disc))), 0, 1)
	x := Add(Mul(xi, b.wk), b.xk)
	ld := Neg(logDerivAt(xi, b.sk, b.dk, b.dk1))
	return Where(b.in, x, y), Where(b.in, ld, ZerosLike(y))
}
