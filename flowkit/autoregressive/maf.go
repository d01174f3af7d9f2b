package autoregressive

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// Sampling chooses how MAF runs its sequential direction (D passes of the conditioner).
type Sampling int

const (
	// Unrolled writes the D passes into the graph one after the other: the graph grows with D,
	// and gradients flow through every pass (needed by reverse-KL training of a MAF, and by
	// check.Bijector's Jacobians).
	Unrolled Sampling = iota
	// Loop runs the first D-1 passes in a GoMLX While loop whose body is one MADE evaluation and
	// one transformer inverse, and only the last pass outside it: the graph has the same size for
	// every D. GoMLX has no gradient for While, so this mode is for sampling and density
	// evaluation only, not for differentiating the sequential direction.
	Loop
)

// MAFLayer is one masked autoregressive flow layer (Papamakarios et al. 2017; eq. 16.15-16.17): a
// transformer g (affine, spline, DSF, ...) whose parameters for dimension d come from a MADE
// conditioner on the previous dimensions of the data x, in the order Net.Order:
//
//	normalizing (Inverse, x → z):  z_d = g(x_d; φ_d(x_{<d}))         one parallel pass
//	generative  (Forward, z → x):  x_d = g⁻¹(z_d; φ_d(x_{<d}))       D sequential passes
//
// log|det ∂z/∂x| = Σ_d log g'(x_d; φ_d), since the Jacobian is triangular in the order (eq. 16.7).
// The density direction is cheap, as the book's section 16.3.5 says: MAF is defined in the
// normalizing direction. Sampling recomputes φ from the partial result D times: pass k makes the
// k-th dimension in the order exact (eq. 16.17), so after D passes x is exact, not approximate.
// Flip the directions with IAF (or flowkit.Invert) to make sampling cheap instead.
//
// The conditioning input cond [batch, C] (or nil) reaches the transformer through the MADE.
// Variables live under the scope's "made" sub-scope; a fresh layer is the identity map (the
// MADE's output layer starts at zero weights and the transformer's IdentityParams as biases; a DSF
// starts at the near-identity its IdentityParams describe).
//
// Cost: Inverse is one MADE evaluation and one transformer pass; Forward is D of each (see
// Sampling for how they are laid out in the graph).
type MAFLayer struct {
	// Transformer is g; nil means transformer.NewAffine().
	Transformer transformer.Transformer
	// Net is the conditioner. Its Params and OutputBias are set from the transformer.
	Net MADE
	// Sampling is how the sequential direction runs (default Unrolled).
	Sampling Sampling
}

// NewMAFLayer returns a MAF layer with transformer t (nil for affine), a MADE with the given hidden
// widths, the natural order and ReLU activations.
func NewMAFLayer(t transformer.Transformer, hidden ...int) *MAFLayer {
	return &MAFLayer{Transformer: t, Net: MADE{Hidden: append([]int(nil), hidden...)}}
}

// WithOrder sets the autoregressive order (a permutation of 0..D-1, see MADE.Order) and returns m.
func (m *MAFLayer) WithOrder(order []int) *MAFLayer {
	m.Net.Order = append([]int(nil), order...)
	return m
}

// WithActivation sets the MADE's hidden activation and returns m.
func (m *MAFLayer) WithActivation(act activation.Type) *MAFLayer {
	m.Net.Activation = act
	return m
}

// WithSampling sets how the sequential direction runs and returns m.
func (m *MAFLayer) WithSampling(s Sampling) *MAFLayer {
	m.Sampling = s
	return m
}

func (m *MAFLayer) transformer() transformer.Transformer {
	if m.Transformer == nil {
		return transformer.NewAffine()
	}
	return m.Transformer
}

// Name implements flowkit.Named.
func (m *MAFLayer) Name() string {
	return fmt.Sprintf("MAF(%s,%s)", m.transformer().Name(), widths(m.Net.Hidden))
}

// Domain implements flowkit.Domained: a bounded transformer (e.g. piecewise-linear on [0, 1])
// bounds the data.
func (m *MAFLayer) Domain() (lo, hi float64, bounded bool) {
	if b, ok := m.transformer().(transformer.Bounded); ok {
		lo, hi = b.Domain()
		return lo, hi, true
	}
	return 0, 0, false
}

// conditioner returns the MADE configured for the transformer.
func (m *MAFLayer) conditioner() *MADE {
	t := m.transformer()
	net := m.Net
	net.Params = t.NumParams()
	net.OutputBias = t.IdentityParams()
	return &net
}

func checkInput(name string, v *Node) {
	if v.Rank() != 2 {
		panic(fmt.Errorf("autoregressive.%s: input shape %s: want [batch, D]", name, v.Shape()))
	}
}

// Inverse implements flowkit.Bijector: z = g(x; φ(x)) in one pass, the density direction.
func (m *MAFLayer) Inverse(s *model.Scope, x, cond *Node) (*Node, *Node) {
	checkInput("MAF", x)
	params := m.conditioner().Apply(s.At("made"), x, cond)
	z, ld := m.transformer().Forward(x, params)
	return z, flowkit.SumEvent(ld)
}

// Forward implements flowkit.Bijector: x = g⁻¹(z; φ(x)) by D sequential passes (eq. 16.17).
func (m *MAFLayer) Forward(s *model.Scope, z, cond *Node) (*Node, *Node) {
	checkInput("MAF", z)
	t := m.transformer()
	net := m.conditioner().build(s.At("made"), z, cond)
	x := sequential(net, t, z, m.Sampling)
	x, ld := t.Inverse(z, net.apply(x))
	return x, flowkit.SumEvent(ld)
}

// Passes runs the generative direction pass by pass (eq. 16.17) and returns x after each of the
// D passes, the last being Forward's x. Pass k (1-based) computes φ from the previous result and
// makes the first k dimensions in the order exact: the staircase of figure 16.7b. It always
// unrolls, whatever Sampling says.
func (m *MAFLayer) Passes(s *model.Scope, z, cond *Node) []*Node {
	checkInput("MAF", z)
	t := m.transformer()
	net := m.conditioner().build(s.At("made"), z, cond)
	out := make([]*Node, net.d)
	x := z
	for k := range out {
		x, _ = t.Inverse(z, net.apply(x))
		out[k] = x
	}
	return out
}

// sequential runs D-1 passes x ← g⁻¹(z; φ(x)) from x = z; after them the first D-1 dimensions in
// the order are exact, and the caller's last pass gives the rest and the log-determinant.
func sequential(net *madeNet, t transformer.Transformer, z *Node, mode Sampling) *Node {
	x := z
	passes := net.d - 1
	if passes <= 0 {
		return x
	}
	if mode == Loop {
		return repeat(z, passes, func(x *Node) *Node {
			y, _ := t.Inverse(z, net.apply(x))
			return y
		})
	}
	for range passes {
		x, _ = t.Inverse(z, net.apply(x))
	}
	return x
}

func widths(h []int) string {
	if len(h) == 0 {
		return "linear"
	}
	s := ""
	for i, w := range h {
		if i > 0 {
			s += "x"
		}
		s += fmt.Sprint(w)
	}
	return s
}
