package residual

import (
	"fmt"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// MLP is the dense residual branch
//
//	g(x) = W_L φ(… φ(W_1 x + b_1) …) + b_L
//
// acting on the last axis of x, with every W_l spectrally normalised (SpectralNorm) and φ a
// 1-Lipschitz activation, so Lip(g) <= c^L <= c < 1. With one hidden layer of width k its Jacobian
// J = W_2ᵀ diag(φ') W_1ᵀ has rank <= k, which the LowRank log-determinant uses.
//
// Variables, under the scope given to Build: "layer_<i>/weights" [in, out] (trainable),
// "layer_<i>/biases" [out], "layer_<i>/weights_sn_u" (the power-iteration vector, not trainable),
// and for a conditional block "layer_0/cond_weights" [C, out] (the conditioning input enters the
// first layer unconstrained: Lipschitz continuity is only needed in x).
type MLP struct {
	// Hidden lists the hidden widths; empty makes g affine (one weight).
	Hidden []int
	// Activation is φ (default ELU).
	Activation Activation
	// SpectralNorm configures the normalisation of every weight.
	SpectralNorm SpectralNorm
	// InitScale multiplies the initial weights (default 1). With SpectralNorm.Off, a large value
	// makes g expansive, the case where the fixed-point inverse fails.
	InitScale float64
}

// NewMLP returns an MLP branch with the given hidden widths, ELU and the default spectral
// normalisation (c = 0.9).
func NewMLP(hidden ...int) *MLP { return &MLP{Hidden: append([]int(nil), hidden...)} }

// String implements Net, e.g. "MLP(64x64,ELU,SN(c=0.9))".
func (m *MLP) String() string {
	w := make([]string, len(m.Hidden))
	for i, h := range m.Hidden {
		w[i] = fmt.Sprint(h)
	}
	width := strings.Join(w, "x")
	if width == "" {
		width = "affine"
	}
	return fmt.Sprintf("MLP(%s,%s,%s)", width, m.Activation, m.SpectralNorm)
}

// Build implements Net.
func (m *MLP) Build(s *model.Scope, x, cond *Node) Residual {
	m.Activation.check()
	if x.Rank() < 2 {
		panic(fmt.Errorf("residual.MLP: input shape %s needs a batch axis and a feature axis", x.Shape()))
	}
	for _, h := range m.Hidden {
		if h <= 0 {
			panic(fmt.Errorf("residual.MLP: hidden widths must be positive, got %v", m.Hidden))
		}
	}
	if cond != nil && x.Rank() != 2 {
		panic(fmt.Errorf("residual.MLP: a conditioning input needs vector inputs [batch, D], got %s", x.Shape()))
	}
	g, dt := x.Graph(), x.DType()
	D := x.Shape().Dimensions[x.Rank()-1]
	r := &mlpResidual{act: m.Activation}
	in := D
	widths := append(append([]int{}, m.Hidden...), D)
	for i, out := range widths {
		ls := s.At("layer_%d", i)
		ws := scaledInit(ls, m.InitScale)
		wVar := ws.VariableWithShape("weights", shapes.Make(dt, in, out))
		w := m.SpectralNorm.normalize(ls, "weights", wVar.NodeValue(g), denseOp{}, []int{1, in})
		b := ls.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
		r.ws = append(r.ws, w)
		r.wts = append(r.wts, Transpose(w, 0, 1))
		r.bs = append(r.bs, b)
		r.names = append(r.names, ls.Scope()+"/weights")
		if i == 0 && cond != nil {
			c := cond
			if c.DType() != dt {
				c = ConvertDType(c, dt)
			}
			cw := ls.VariableWithShape("cond_weights", shapes.Make(dt, c.Shape().Dimensions[1], out)).NodeValue(g)
			r.condTerm = flowkit.MatMulLast(c, cw)
		}
		in = out
	}
	return r
}

type mlpResidual struct {
	act         Activation
	ws, wts, bs []*Node
	names       []string
	condTerm    *Node // [batch, out_0] or nil
}

func (r *mlpResidual) Weights() []NamedNode {
	out := make([]NamedNode, len(r.ws))
	for i, w := range r.ws {
		out[i] = NamedNode{Name: r.names[i], Node: w}
	}
	return out
}

// layer returns a·W_i + b_i (+ the conditioning term on the first layer).
func (r *mlpResidual) layer(i int, a *Node) *Node {
	p := flowkit.MatMulLast(a, r.ws[i])
	p = Add(p, ExpandLeftToRank(r.bs[i], p.Rank()))
	if i == 0 && r.condTerm != nil {
		p = Add(p, r.condTerm)
	}
	return p
}

// forward returns g(x) and, when keep, φ'(pre-activation) of each hidden layer.
func (r *mlpResidual) forward(x *Node, keep bool) (out *Node, derivs []*Node) {
	return forwardLayers(len(r.ws), r.layer, r.act, x, keep)
}

// forwardLayers runs layers affine layers (layer(i, a)) with act between them, and returns the
// output and, when keep, φ'(pre-activation) of each hidden layer, with an axis of 1 inserted
// after the batch axis ([batch, 1, ..., width]).
func forwardLayers(layers int, layer func(i int, a *Node) *Node, act Activation, x *Node, keep bool) (out *Node, derivs []*Node) {
	a := x
	n := layers - 1
	for i := 0; i < n; i++ {
		p := layer(i, a)
		if keep {
			var d *Node
			a, d = act.applyAndDeriv(p)
			derivs = append(derivs, InsertAxes(d, 1))
		} else {
			a = act.apply(p)
		}
	}
	return layer(n, a), derivs
}

func (r *mlpResidual) Linearize(x *Node) Linearization {
	out, derivs := r.forward(x, true)
	return &mlpLin{r: r, x: x, out: out, deriv: derivs}
}

// Apply returns g(x) alone (no Jacobian), for the fixed-point loop.
func (r *mlpResidual) Apply(x *Node) *Node {
	out, _ := r.forward(x, false)
	return out
}

type mlpLin struct {
	r      *mlpResidual
	x, out *Node
	deriv  []*Node // φ'(pre-activations), [batch, 1, ..., width]
}

func (l *mlpLin) Input() *Node { return l.x }
func (l *mlpLin) Value() *Node { return l.out }

func (l *mlpLin) JVP(t *Node) *Node {
	a := t
	for i, d := range l.deriv {
		a = Mul(flowkit.MatMulLast(a, l.r.ws[i]), d)
	}
	return flowkit.MatMulLast(a, l.r.ws[len(l.r.ws)-1])
}

func (l *mlpLin) VJP(v *Node) *Node {
	n := len(l.r.ws) - 1
	a := flowkit.MatMulLast(v, l.r.wts[n])
	for i := n - 1; i >= 0; i-- {
		a = flowkit.MatMulLast(Mul(a, l.deriv[i]), l.r.wts[i])
	}
	return a
}

// LowRankCore implements lowRanker for one hidden layer of width k on vector inputs:
// J = W_2ᵀ diag(φ') W_1ᵀ, so B A = diag(φ') W_1ᵀ W_2ᵀ, [batch, k, k].
func (l *mlpLin) LowRankCore() (*Node, error) {
	if len(l.deriv) != 1 || l.x.Rank() != 2 {
		return nil, fmt.Errorf("residual.LowRank needs an MLP with exactly one hidden layer on vector inputs [batch, D], "+
			"got %d hidden layers on %s", len(l.deriv), l.x.Shape())
	}
	c := Dot(l.r.wts[0], l.r.wts[1]).Product() // W_1ᵀ W_2ᵀ, [k, k]
	d := dropProbeAxis(l.deriv[0])             // φ'(pre) [batch, k]
	return Mul(InsertAxes(d, 2), InsertAxes(c, 0)), nil
}

// scaledInit returns s with its initializer's values multiplied by scale (0 or 1: s unchanged),
// for the weights of a residual branch started larger or smaller than the default.
func scaledInit(s *model.Scope, scale float64) *model.Scope {
	if scale == 0 || scale == 1 {
		return s
	}
	base := s.Initializer()
	return s.WithInitializer(func(g *Graph, shape shapes.Shape) *Node { return MulScalar(base(g, shape), scale) })
}
