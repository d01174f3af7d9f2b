package coupling

import (
	"fmt"
	"slices"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
	"github.com/gomlx/gomlx/ml/model"
)

// Conditioner is the network φ[·] of a coupling: it maps the kept part h₁ [batch, ..., k] (and
// the conditioning input cond, nil or [batch, C]) to out values per position,
// [batch, ..., out]. nn.MLP (vectors) and nn.CNN (images) implement it. Its variables live under
// the scope it is given.
type Conditioner interface {
	Apply(s *model.Scope, h1, cond *Node, out int) *Node
}

// Coupling is the coupling flow of eq. 16.13-16.14. Mask splits the event into h₁ (kept) and h₂
// (transformed); the generative direction is
//
//	x₁ = z₁,   x₂ = g[z₂, φ[z₁, cond]]
//
// and the normalizing direction x₁ = z₁, z₂ = g⁻¹[x₂, φ[x₁, cond]]. g is any Transformer applied
// elementwise to h₂ (Affine: RealNVP, Additive: NICE, RQSpline: NSF, PiecewiseLinear), with its
// raw parameters φ [.., |h₂|, P] computed by Conditioner from h₁. The Jacobian is block
// triangular, [[I, 0], [∂x₂/∂z₁, diag g']], so log|det ∂x/∂z| = Σ log g'(z₂): both directions
// cost one conditioner pass and are equally cheap.
//
// The conditioner's output is the transformer's raw parameters minus its IdentityParams: a
// conditioner whose last layer starts at zero (nn.MLP{ZeroLast: true}, the default) makes a fresh
// coupling the identity map. For nn.MLP and nn.CNN the offset is folded into the output layer's
// initial bias (no extra op); other conditioners get it added.
//
// The conditioner's variables live under the scope "conditioner".
type Coupling struct {
	Mask        Mask
	Transformer transformer.Transformer
	Conditioner Conditioner
}

// New returns the coupling with the given mask, transformer and conditioner. A nil conditioner
// means nn.MLP{Hidden: []int{64, 64}, ZeroLast: true}.
func New(mask Mask, t transformer.Transformer, c Conditioner) *Coupling {
	if c == nil {
		c = DefaultConditioner()
	}
	return &Coupling{Mask: mask, Transformer: t, Conditioner: c}
}

// DefaultConditioner is the conditioner New uses: an MLP with two hidden layers of 64 ReLU units
// and a zero-initialised output layer.
func DefaultConditioner() Conditioner { return nn.MLP{Hidden: []int{64, 64}, ZeroLast: true} }

// Name implements flowkit.Named, e.g. "Coupling[half](Affine(bound=5))".
func (c *Coupling) Name() string {
	t := "?"
	if c.Transformer != nil {
		t = c.Transformer.Name()
	}
	return fmt.Sprintf("Coupling[%s](%s)", c.Mask.name, t)
}

// String describes the coupling in full: mask, transformer and conditioner.
func (c *Coupling) String() string {
	return fmt.Sprintf("Coupling(%s; %s; conditioner %v)", c.Mask, c.transformerName(), c.Conditioner)
}

func (c *Coupling) transformerName() string {
	if c.Transformer == nil {
		return "no transformer"
	}
	return c.Transformer.Name()
}

// Domain implements flowkit.Domained: a coupling with a bounded transformer (PiecewiseLinear on
// [0, 1]) takes inputs in that interval.
func (c *Coupling) Domain() (lo, hi float64, bounded bool) {
	if b, ok := c.Transformer.(transformer.Bounded); ok {
		lo, hi = b.Domain()
		return lo, hi, true
	}
	return 0, 0, false
}

// Forward implements flowkit.Bijector: the generative direction, eq. 16.13.
func (c *Coupling) Forward(s *model.Scope, z, cond *Node) (x, logDet *Node) {
	return c.apply(s, z, cond, false)
}

// Inverse implements flowkit.Bijector: the normalizing direction, eq. 16.14.
func (c *Coupling) Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	return c.apply(s, x, cond, true)
}

func (c *Coupling) check(v *Node) {
	if c.Transformer == nil || c.Conditioner == nil {
		panic(fmt.Errorf("coupling: %T needs a transformer and a conditioner (use coupling.New)", c))
	}
	if len(c.Mask.keep) == 0 {
		panic(fmt.Errorf("coupling: the mask is empty (build it with Half, Alternating, Checkerboard, Channels or NewMask)"))
	}
	want := append([]int{v.Shape().Dimensions[0]}, c.Mask.event...)
	if v.Rank() < 2 || !slices.Equal(v.Shape().Dimensions, want) {
		panic(fmt.Errorf("coupling: input shape %v does not match the mask's event %v: want %v",
			v.Shape().Dimensions, c.Mask.event, want))
	}
}

func (c *Coupling) transform(h, params *Node, inverse bool) (*Node, *Node) {
	if inverse {
		return c.Transformer.Inverse(h, params)
	}
	return c.Transformer.Forward(h, params)
}

// conditioner returns the conditioner with the transformer's identity parameters folded into its
// output bias when it supports that (nn.MLP, nn.CNN; their own OutBias is replaced), and the
// offset that must still be added to its output otherwise (nil when none).
func (c *Coupling) conditioner() (Conditioner, []float64) {
	id := c.Transformer.IdentityParams()
	nonzero := false
	for _, v := range id {
		if v != 0 {
			nonzero = true
		}
	}
	if !nonzero {
		return c.Conditioner, nil
	}
	switch m := c.Conditioner.(type) {
	case nn.MLP:
		m.OutBias = id
		return m, nil
	case *nn.MLP:
		cp := *m
		cp.OutBias = id
		return cp, nil
	case nn.CNN:
		m.OutBias = id
		return m, nil
	case *nn.CNN:
		cp := *m
		cp.OutBias = id
		return cp, nil
	}
	return c.Conditioner, id
}

// params runs the conditioner on h1 and returns the raw parameters [batch, lead..., m, P].
func (c *Coupling) params(s *model.Scope, h1, cond *Node, lead []int, m int) *Node {
	P := c.Transformer.NumParams()
	net, offset := c.conditioner()
	out := net.Apply(s.At("conditioner"), h1, cond, m*P)
	want := append(append([]int{h1.Shape().Dimensions[0]}, lead...), m*P)
	if !slices.Equal(out.Shape().Dimensions, want) {
		panic(fmt.Errorf("coupling: conditioner %v returned shape %v, want %v", c.Conditioner, out.Shape().Dimensions, want))
	}
	params := Reshape(out, append(append([]int{h1.Shape().Dimensions[0]}, lead...), m, P)...)
	if offset != nil {
		o := Reshape(ConvertDType(Const(params.Graph(), offset), params.DType()), P)
		params = Add(params, ExpandLeftToRank(o, params.Rank()))
	}
	return params
}

func (c *Coupling) apply(s *model.Scope, v, cond *Node, inverse bool) (*Node, *Node) {
	c.check(v)
	if cond != nil && (cond.Rank() != 2 || cond.Shape().Dimensions[0] != v.Shape().Dimensions[0]) {
		panic(fmt.Errorf("coupling: conditioning input shape %v: want [batch=%d, C]", cond.Shape().Dimensions, v.Shape().Dimensions[0]))
	}
	lay := c.Mask.layout()
	if forceSelect && lay.k > 0 && lay.k < lay.n {
		lay = layout{strategy: bySelect}
	}
	if lay.strategy == bySelect {
		return c.applySelect(s, v, cond, inverse)
	}
	if lay.k == lay.n {
		// Everything kept: the identity. (A new node, not v itself: GoMLX v0.28.6 fails to run
		// a graph whose output is one of its parameters while another parameter, here cond, is
		// unused; its plain Identity has no gradient.)
		return IdentityWithCustomGradient(v, func(_, g *Node) *Node { return g }), flowkit.ZeroLogDet(v)
	}
	if lay.strategy == byPermutation {
		v = permuteLast(v, lay.permutation)
	}
	dims := v.Shape().Dimensions
	lead := dims[1 : len(dims)-1]
	var h1, h2 *Node
	switch {
	case lay.k == 0:
		h2 = v
	case lay.keptFirst:
		h1, h2 = SliceAxis(v, -1, AxisRange(0, lay.k)), SliceAxis(v, -1, AxisRange(lay.k, lay.n))
	default:
		h2, h1 = SliceAxis(v, -1, AxisRange(0, lay.n-lay.k)), SliceAxis(v, -1, AxisRange(lay.n-lay.k, lay.n))
	}
	netIn := h1
	if netIn == nil {
		// Nothing kept: the conditioner sees a constant zero feature (and cond), so the
		// parameters depend on cond alone or are learned constants.
		netIn = Zeros(v.Graph(), shapes.Make(v.DType(), append(slices.Clone(dims[:len(dims)-1]), 1)...))
	}
	params := c.params(s, netIn, cond, lead, lay.n-lay.k)
	y2, ld := c.transform(h2, params, inverse)
	var out *Node
	switch {
	case h1 == nil:
		out = y2
	case lay.keptFirst:
		out = Concatenate([]*Node{h1, y2}, -1)
	default:
		out = Concatenate([]*Node{y2, h1}, -1)
	}
	if lay.strategy == byPermutation {
		out = permuteLast(out, inversePermutation(lay.permutation))
	}
	return out, flowkit.SumEvent(ld)
}

// applySelect realises any mask by masking: the conditioner sees v with the transformed elements
// zeroed and returns parameters for every element; the transformer runs on every element and a
// select keeps the kept ones unchanged.
func (c *Coupling) applySelect(s *model.Scope, v, cond *Node, inverse bool) (*Node, *Node) {
	g, dt := v.Graph(), v.DType()
	dims := v.Shape().Dimensions
	event := dims[1:]
	keep := make([]float64, len(c.Mask.keep))
	for i, k := range c.Mask.keep {
		if k {
			keep[i] = 1
		}
	}
	keepF := Reshape(ConvertDType(Const(g, keep), dt), append([]int{1}, event...)...)
	keepB := BroadcastToDims(GreaterThan(keepF, ScalarZero(g, dt)), dims...)
	h1 := Mul(v, keepF)
	C := event[len(event)-1]
	params := c.params(s, h1, cond, event[:len(event)-1], C)
	y, ld := c.transform(v, params, inverse)
	out := Where(keepB, v, y)
	ld = Where(keepB, ZerosLike(ld), ld)
	return out, flowkit.SumEvent(ld)
}

// permuteLast returns v with its last axis gathered at perm, out[..., i] = v[..., perm[i]], by a
// product with a constant 0/1 matrix (exact, differentiable, and for the feature counts of
// couplings as fast as a gather).
func permuteLast(v *Node, perm []int) *Node {
	d := len(perm)
	m := make([]float64, d*d)
	for i, j := range perm {
		m[j*d+i] = 1
	}
	P := Reshape(ConvertDType(Const(v.Graph(), m), v.DType()), d, d)
	return flowkit.MatMulLast(v, P)
}

func inversePermutation(perm []int) []int {
	inv := make([]int, len(perm))
	for i, j := range perm {
		inv[j] = i
	}
	return inv
}

// forceSelect makes every coupling use the masking strategy (benchmarks compare it).
var forceSelect bool
