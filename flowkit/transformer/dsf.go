package transformer

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// DSF is the deep sigmoidal flow transformer of Huang et al. (2018, "Neural Autoregressive
// Flows"), the transformer of NAF: a one-hidden-layer monotone network with H sigmoid units,
// followed by a logit,
//
//	y = g(x) = logit( Σ_j w_j σ(a_j x + b_j) ),   a_j = softplus(ã_j) + MinSlope > 0,  w = softmax(w̃)
//
// with 3H raw parameters per dimension: ã (H), b (H), w̃ (H). The weights are positive and sum to
// one, so the sum S is a convex combination of increasing sigmoids: g is strictly increasing and
// maps R onto R. The log-derivative is analytic, evaluated in log space with log-sum-exp so it
// neither underflows nor overflows for inputs far from the origin:
//
//	log g'(x) = LSE_j(log w_j + log a_j + log σ(u_j) + log σ(-u_j)) - log S - log(1-S),
//	log S = LSE_j(log w_j + log σ(u_j)),  log(1-S) = LSE_j(log w_j + log σ(-u_j)),  u_j = a_j x + b_j
//
// (and y = log S - log(1-S)). With all a_j = 1, b_j = 0, g is the identity; IdentityParams
// returns a near-identity with distinct units instead (see DDSF.IdentityParams).
//
// The forward direction costs one pass; the inverse has no closed form and is computed by
// bisection (see DDSF.Inverse, which DSF shares: a DSF is a DDSF with one layer).
type DSF struct {
	// Hidden is H, the number of sigmoid units.
	Hidden int
	// MinSlope is added to the softplus of the slopes (default 1e-3), which keeps the inverse's
	// bracket finite.
	MinSlope float64
	// Bound caps the inverse's bisection bracket to [-Bound, Bound] (default 1e4): outputs whose
	// preimage lies beyond it come back clamped at ±Bound.
	Bound float64
	// Tol is the bisection tolerance on x (default 1e-6).
	Tol float64
}

// NewDSF returns a DSF transformer with hidden sigmoid units and the default MinSlope, Bound and
// Tol.
func NewDSF(hidden int) *DSF {
	return &DSF{Hidden: hidden, MinSlope: defaultMinSlope, Bound: defaultDSFBound, Tol: defaultDSFTol}
}

const (
	defaultMinSlope = 1e-3
	defaultDSFBound = 1e4
	defaultDSFTol   = 1e-6
)

func (d *DSF) deep() *DDSF {
	return &DDSF{Layers: 1, Hidden: d.Hidden, MinSlope: d.MinSlope, Bound: d.Bound, Tol: d.Tol, name: d.Name()}
}

// Name implements Transformer.
func (d *DSF) Name() string { return fmt.Sprintf("DSF(H=%d)", d.Hidden) }

// NumParams implements Transformer: 3H.
func (d *DSF) NumParams() int { return d.deep().NumParams() }

// IdentityParams implements Transformer: a near-identity with distinct units (see
// DDSF.IdentityParams).
func (d *DSF) IdentityParams() []float64 { return d.deep().IdentityParams() }

// Forward implements Transformer.
func (d *DSF) Forward(x, params *Node) (*Node, *Node) { return d.deep().Forward(x, params) }

// Inverse implements Transformer, by bisection (see DDSF.Inverse).
func (d *DSF) Inverse(y, params *Node) (*Node, *Node) { return d.deep().Inverse(y, params) }

// Iterations is the number of bisection steps the inverse takes (see DDSF.Iterations).
func (d *DSF) Iterations() int { return d.deep().Iterations() }

// DDSF is the deep dense sigmoidal flow transformer of Huang et al. (2018): Layers stacked dense
// sigmoidal layers, scalar in and scalar out, each layer mapping h ∈ R^in to h' ∈ R^out by
//
//	h'_o = logit( Σ_j w_oj σ(C_j) ),   C_j = a_j Σ_i u_ji h_i + b_j,   j = 1..H
//
// with a_j = softplus(ã_j) + MinSlope > 0, u = softmax of ũ over i (rows positive, summing to one)
// and w = softmax of w̃ over j. The widths are in = 1 for the first layer, out = 1 for the last,
// and Hidden in between; a one-layer DDSF is exactly DSF. Raw parameters per dimension, layer
// by layer: ã (H), b (H), ũ (H·in, omitted when in = 1), w̃ (out·H).
//
// Every layer is increasing in each input, so g is strictly increasing. Its derivative is the
// product of the layers' Jacobians, each with positive entries
//
//	∂h'_o/∂h_i = Σ_j w_oj σ(C_j) σ(-C_j) a_j u_ji / (S_o (1 - S_o)),   S_o = Σ_j w_oj σ(C_j),
//
// so log g'(x) is computed in log space: each layer's log-Jacobian by log-sum-exp over j and the
// chain by "log-matrix products" (log-sum-exp over the shared index). No autodiff is involved.
//
// Inverse: g has no closed-form inverse; it is found by bisection on an analytic bracket. Every
// h'_o lies between min_j C_j and max_j C_j (a convex combination of sigmoids, then the logit),
// and C_j between a_j min_i h_i + b_j and a_j max_i h_i + b_j, so going back from the last layer,
// T ← min_j (T - b_j)/a_j (from T = y) gives lo with g(lo) <= y, and the same with max gives hi
// with g(hi) >= y. The bracket is clamped into [-Bound, Bound] and halved
// Iterations() = ⌈log2(2·Bound/Tol)⌉ times, a fixed count for which the final bracket is at most
// Tol wide for every input. One Newton step x ← x - (g(x) - y)/g'(x), kept inside the final bracket,
// then polishes x and, with the bisection result held constant (StopGradient), carries the exact
// implicit-function gradient (∂x/∂y = 1/g'(x), ∂x/∂θ = -∂g/∂θ / g'(x)), so the inverse is
// differentiable. In a graph's main function the bisection runs in a GoMLX While loop (the graph
// holds one step); inside another loop body it is unrolled.
type DDSF struct {
	// Layers is the number of dense sigmoidal layers (at least 1).
	Layers int
	// Hidden is the number of sigmoid units of every layer and the width between layers.
	Hidden int
	// MinSlope, Bound and Tol are as for DSF (defaults 1e-3, 1e4, 1e-6).
	MinSlope, Bound, Tol float64

	name string // set when used through DSF
}

// NewDDSF returns a DDSF transformer with the given layers and hidden width, and the default
// MinSlope, Bound and Tol.
func NewDDSF(layers, hidden int) *DDSF {
	return &DDSF{Layers: layers, Hidden: hidden, MinSlope: defaultMinSlope, Bound: defaultDSFBound, Tol: defaultDSFTol}
}

// Name implements Transformer.
func (d *DDSF) Name() string {
	if d.name != "" {
		return d.name
	}
	return fmt.Sprintf("DDSF(L=%d,H=%d)", d.Layers, d.Hidden)
}

func (d *DDSF) validate() {
	if d.Layers < 1 || d.Hidden < 1 {
		panic(fmt.Errorf("transformer %s: Layers and Hidden must be at least 1", d.Name()))
	}
	if d.MinSlope < 0 || d.Bound < 0 || d.Tol < 0 {
		panic(fmt.Errorf("transformer %s: MinSlope, Bound and Tol must not be negative", d.Name()))
	}
}

func (d *DDSF) bound() float64 {
	if d.Bound > 0 {
		return d.Bound
	}
	return defaultDSFBound
}

func (d *DDSF) tol() float64 {
	if d.Tol > 0 {
		return d.Tol
	}
	return defaultDSFTol
}

// widths returns the input and output widths of layer l.
func (d *DDSF) widths(l int) (in, out int) {
	in, out = d.Hidden, d.Hidden
	if l == 0 {
		in = 1
	}
	if l == d.Layers-1 {
		out = 1
	}
	return in, out
}

// layerParams is the number of raw parameters of layer l.
func (d *DDSF) layerParams(l int) int {
	in, out := d.widths(l)
	n := 2*d.Hidden + out*d.Hidden
	if in > 1 {
		n += d.Hidden * in
	}
	return n
}

// NumParams implements Transformer.
func (d *DDSF) NumParams() int {
	d.validate()
	n := 0
	for l := 0; l < d.Layers; l++ {
		n += d.layerParams(l)
	}
	return n
}

// IdentityParams implements Transformer. A DDSF is the identity when every unit has slope 1 and
// offset 0, but then its units are identical and stay identical under gradient descent (they get
// proportional gradients, which Adam turns into equal steps), so the network would never use more
// than one unit. IdentityParams therefore returns a near-identity: slopes 1, offsets spread evenly
// over [-1/L, 1/L] in each of the L layers, and uniform weights. It is odd (g(0) = 0) with
// g'(0) ≈ 0.90 for a DSF (L = 1, H = 8), and g(x) - x tends to ∓c for x → ±∞ (c ≈ 0.2); deeper stacks are
// closer to the identity still. With a single unit (Hidden = 1) it is exactly the identity.
func (d *DDSF) IdentityParams() []float64 {
	p := make([]float64, 0, d.NumParams())
	raw := math.Log(math.Expm1(1 - d.MinSlope)) // softplus(raw) + MinSlope = 1
	H := d.Hidden
	for l := 0; l < d.Layers; l++ {
		for j := 0; j < H; j++ {
			p = append(p, raw)
		}
		for j := 0; j < H; j++ {
			b := 0.0
			if H > 1 {
				b = (-1 + 2*float64(j)/float64(H-1)) / float64(d.Layers)
			}
			p = append(p, b)
		}
		p = append(p, make([]float64, d.layerParams(l)-2*H)...)
	}
	return p
}

// Iterations is the number of bisection steps of the inverse: ⌈log2(2·Bound/Tol)⌉.
func (d *DDSF) Iterations() int {
	return int(math.Ceil(math.Log2(2 * d.bound() / d.tol())))
}

// dsfLayer holds one layer's constrained parameters, for inputs [..., D].
type dsfLayer struct {
	in, out    int
	a, logA, b *Node // [..., D, H]
	logU       *Node // [..., D, H, in]; nil when in = 1
	logW       *Node // [..., D, out, H]
}

// layers splits raw params [..., D, P] into constrained per-layer parameters.
func (d *DDSF) layers(params *Node) []dsfLayer {
	H := d.Hidden
	lead := params.Shape().Dimensions[:params.Rank()-1]
	shaped := func(v *Node, dims ...int) *Node {
		return Reshape(v, append(append([]int{}, lead...), dims...)...)
	}
	var out []dsfLayer
	off := 0
	for l := 0; l < d.Layers; l++ {
		in, o := d.widths(l)
		var ly dsfLayer
		ly.in, ly.out = in, o
		ly.a = AddScalar(softplus(paramRange(params, off, off+H)), d.MinSlope)
		ly.logA = Log(ly.a)
		ly.b = paramRange(params, off+H, off+2*H)
		off += 2 * H
		if in > 1 {
			ly.logU = LogSoftmax(shaped(paramRange(params, off, off+H*in), H, in), -1)
			off += H * in
		}
		ly.logW = LogSoftmax(shaped(paramRange(params, off, off+o*H), o, H), -1)
		off += o * H
		out = append(out, ly)
	}
	return out
}

// forward runs the layers on x [..., D]. It returns y [..., D] and, when withDeriv, log g'(x).
func (d *DDSF) forward(x *Node, ls []dsfLayer, withDeriv bool) (y, logDeriv *Node) {
	h := InsertAxes(x, -1) // [..., D, in=1]
	var logJ *Node         // [..., D, out, 1]: log ∂h/∂x so far
	for _, ly := range ls {
		var m *Node // [..., D, H]: Σ_i u_ji h_i
		if ly.logU == nil {
			m = h // [..., D, 1], broadcast over j
		} else {
			m = ReduceSum(Mul(Exp(ly.logU), InsertAxes(h, -2)), -1)
		}
		c := Add(Mul(ly.a, m), ly.b)
		lsp := Neg(softplus(Neg(c)))                               // log σ(C)
		lsn := Sub(lsp, c)                                         // log σ(-C) = log σ(C) - C
		logS := logSumExp(Add(ly.logW, InsertAxes(lsp, -2)), -1)   // [..., D, out]
		log1mS := logSumExp(Add(ly.logW, InsertAxes(lsn, -2)), -1) // [..., D, out]
		next := Sub(logS, log1mS)
		if withDeriv {
			t := Add(ly.logW, InsertAxes(Add(Add(lsp, lsn), ly.logA), -2)) // [..., D, out, H]
			var lj *Node                                                   // [..., D, out, in]
			if ly.logU == nil {
				lj = InsertAxes(logSumExp(t, -1), -1)
			} else {
				lj = logSumExp(Add(InsertAxes(t, -1), InsertAxes(ly.logU, -3)), -2)
			}
			lj = Sub(lj, InsertAxes(Add(logS, log1mS), -1))
			if logJ == nil {
				logJ = lj
			} else {
				// log (J_l · J): log-sum-exp over the shared index k.
				dims := append(append([]int{}, logJ.Shape().Dimensions[:logJ.Rank()-2]...), 1, ly.in)
				prev := Reshape(logJ, dims...)
				logJ = InsertAxes(logSumExp(Add(lj, prev), -1), -1)
			}
		}
		h = next
	}
	y = Squeeze(h, -1)
	if withDeriv {
		logDeriv = Reshape(logJ, y.Shape().Dimensions...)
	}
	return y, logDeriv
}

// Forward implements Transformer.
func (d *DDSF) Forward(x, params *Node) (*Node, *Node) {
	d.validate()
	checkParams(d, x, params)
	return d.forward(x, d.layers(broadcastParams(x, params)), true)
}

// bracket returns lo <= g⁻¹(y) <= hi (see DDSF), clamped into [-Bound, Bound].
func (d *DDSF) bracket(y *Node, ls []dsfLayer) (lo, hi *Node) {
	lo, hi = y, y
	for l := len(ls) - 1; l >= 0; l-- {
		ly := ls[l]
		lo = ReduceMin(Div(Sub(InsertAxes(lo, -1), ly.b), ly.a), -1)
		hi = ReduceMax(Div(Sub(InsertAxes(hi, -1), ly.b), ly.a), -1)
	}
	B := d.bound()
	return ClipScalar(lo, -B, B), ClipScalar(hi, -B, B)
}

// Inverse implements Transformer: bisection on the analytic bracket, then one Newton step that
// carries the implicit-function gradient (see DDSF).
func (d *DDSF) Inverse(y, params *Node) (*Node, *Node) {
	d.validate()
	checkParams(d, y, params)
	ls := d.layers(broadcastParams(y, params))
	// The bisection only locates the root: it sees constants, so no gradient flows through it.
	cls := make([]dsfLayer, len(ls))
	for i, ly := range ls {
		cls[i] = dsfLayer{in: ly.in, out: ly.out, a: StopGradient(ly.a), b: StopGradient(ly.b), logW: StopGradient(ly.logW)}
		if ly.logU != nil {
			cls[i].logU = StopGradient(ly.logU)
		}
	}
	yc := StopGradient(y)
	lo, hi := d.bracket(yc, cls)
	lo, hi = bisect(lo, hi, d.Iterations(), func(lo, hi *Node) (*Node, *Node) {
		mid := MulScalar(Add(lo, hi), 0.5)
		f, _ := d.forward(mid, cls, false)
		below := LessThan(f, yc)
		return Where(below, mid, lo), Where(below, hi, mid)
	})
	lo, hi = StopGradient(lo), StopGradient(hi)
	x0 := MulScalar(Add(lo, hi), 0.5)
	// Newton step, with gradients: x = x0 - (g(x0) - y) / g'(x0), kept in [lo, hi].
	f, ld := d.forward(x0, ls, true)
	x := Min(Max(Sub(x0, Mul(Sub(f, y), Exp(Neg(ld)))), lo), hi)
	_, ldx := d.forward(x, ls, true)
	return x, Neg(ldx)
}

// bisect runs step n times on the bracket (lo, hi): in a While loop in a graph's main function
// (one step in the graph, after a first step outside the loop), unrolled elsewhere.
func bisect(lo, hi *Node, n int, step func(lo, hi *Node) (*Node, *Node)) (*Node, *Node) {
	if n <= 0 {
		return lo, hi
	}
	g := lo.Graph()
	// The first step runs outside the loop: GoMLX caches scalar constants per graph, so every
	// scalar the step uses must first be created in the main function, where the loop's closure
	// may capture it (a scalar first created inside a closure is invalid elsewhere).
	lo, hi = step(lo, hi)
	if n == 1 {
		return lo, hi
	}
	if !g.IsMainFunc() {
		for range n - 1 {
			lo, hi = step(lo, hi)
		}
		return lo, hi
	}
	counter := shapes.Make(dtypes.Int32)
	limit, one := Const(g, int32(n-1)), Const(g, int32(1))
	cond := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		_ = Parameter(g, "lo", lo.Shape())
		_ = Parameter(g, "hi", hi.Shape())
		return []*Node{LessThan(i, limit)}
	})
	loop := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		l, h := step(Parameter(g, "lo", lo.Shape()), Parameter(g, "hi", hi.Shape()))
		return []*Node{Add(i, one), l, h}
	})
	out := While(cond, loop, Const(g, int32(0)), lo, hi)
	return out[1], out[2]
}

// softplus is log(1 + e^v), computed as max(v, 0) + log1p(e^{-|v|}) (no overflow).
func softplus(v *Node) *Node {
	return Add(Max(v, ZerosLike(v)), Log1p(Exp(Neg(Abs(v)))))
}

// logSumExp is log Σ exp(v) along axis, with the maximum factored out (held constant for the
// gradient, which does not depend on it).
func logSumExp(v *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(v, ReduceMax, axis))
	return Add(Squeeze(m, axis), Log(ReduceSum(Exp(Sub(v, m)), axis)))
}
