package autoregressive

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// MADE is the masked autoencoder for distribution estimation of Germain et al. (2015): a
// multilayer perceptron on x [batch, D] whose weight matrices are multiplied by fixed binary
// masks so that the P outputs for dimension d depend only on the dimensions that come before d in
// the autoregressive order. One pass computes the conditioner φ[x_{<d}] of eq. 16.15 for every d
// at once, which makes the density direction of MAF parallel.
//
// Degrees: input i has degree Order[i] ∈ {0, …, D-1} (its position in the order). A hidden unit of
// degree m sees the inputs of degree <= m; hidden degrees cycle through 0, …, D-2, or through
// -1, …, D-2 when there is a conditioning input (or are given by HiddenDegrees). Masks, with
// W[i, k] connecting unit i of one layer to unit k of the next:
//
//	input → hidden:   M[i, k] = 1 if m_k >= Order[i]
//	hidden → hidden:  M[j, k] = 1 if m_k >= m_j
//	hidden → output:  M[j, (d, p)] = 1 if Order[d] > m_j
//
// so output (d, p) depends only on inputs i with Order[i] < Order[d]. Units of degree -1 see no
// input at all; with D = 1 every hidden unit has degree -1.
//
// The conditioning input cond [batch, C] (optional) feeds every unit of the first layer through an
// unmasked weight matrix, so conditional flows are free; the hidden units of degree -1 then carry
// cond, nonlinearly, to the first dimension's outputs, which see no input. Masks are constants
// multiplied into the weights once per graph (W ⊙ M), not per example.
//
// Outputs have shape [batch, D, P], ordered for the transformer interface. The output layer's
// weights start at zero and its biases at OutputBias repeated for every d, so a fresh MADE outputs
// OutputBias everywhere: with a transformer's IdentityParams, a fresh MAF layer is the identity map
// (or, for DSF, the near-identity its IdentityParams describe).
//
// Variables, under the scope given to Apply: "layer_<l>/weights" [in, out] and
// "layer_<l>/biases" [out] for each hidden layer, "<first layer>/cond_weights" [C, out] when cond
// is given, "out/weights" [H, D·P] and "out/biases" [D·P].
type MADE struct {
	// Order gives the position of each input in the autoregressive order: a permutation of
	// 0..D-1. nil is the natural order, Order[i] = i.
	Order []int
	// Hidden lists the hidden layer widths (e.g. []int{64, 64}).
	Hidden []int
	// HiddenDegrees optionally sets the degree of every hidden unit (one slice per hidden layer,
	// values in -1..D-2); nil cycles through 0, …, D-2.
	HiddenDegrees [][]int
	// Params is P, the number of outputs per input dimension.
	Params int
	// Activation of the hidden layers; the zero value (activation.TypeNone) means ReLU.
	Activation activation.Type
	// OutputBias (length Params) initialises the output biases; nil means zeros.
	OutputBias []float64
}

// order returns the order for d inputs, validated.
func (m *MADE) order(d int) []int {
	if m.Order == nil {
		o := make([]int, d)
		for i := range o {
			o[i] = i
		}
		return o
	}
	if len(m.Order) != d {
		panic(fmt.Errorf("autoregressive.MADE: Order %v has %d entries but the input has %d dimensions", m.Order, len(m.Order), d))
	}
	seen := make([]bool, d)
	for _, o := range m.Order {
		if o < 0 || o >= d || seen[o] {
			panic(fmt.Errorf("autoregressive.MADE: Order %v is not a permutation of 0..%d", m.Order, d-1))
		}
		seen[o] = true
	}
	return m.Order
}

// degrees returns the degrees of the hidden units of layer l for d inputs.
func (m *MADE) degrees(l, d int, cond bool) []int {
	width := m.Hidden[l]
	if width <= 0 {
		panic(fmt.Errorf("autoregressive.MADE: hidden width %d of layer %d must be positive", width, l))
	}
	if m.HiddenDegrees != nil {
		if len(m.HiddenDegrees) != len(m.Hidden) || len(m.HiddenDegrees[l]) != width {
			panic(fmt.Errorf("autoregressive.MADE: HiddenDegrees must have one entry per hidden unit (widths %v)", m.Hidden))
		}
		for _, v := range m.HiddenDegrees[l] {
			if v < -1 || v > max(d-2, -1) {
				panic(fmt.Errorf("autoregressive.MADE: hidden degree %d of layer %d is outside -1..%d", v, l, max(d-2, -1)))
			}
		}
		return m.HiddenDegrees[l]
	}
	deg := make([]int, width)
	for k := range deg {
		switch {
		case cond:
			deg[k] = k%d - 1
		case d == 1:
			deg[k] = -1
		default:
			deg[k] = k % (d - 1)
		}
	}
	return deg
}

// Masks returns the binary masks of every layer, hidden layers first and the output layer last,
// each as rows [in][out] (true where the connection is kept), for d inputs, with or without a
// conditioning input. It is what Apply multiplies into the weights, exposed for figures (e.g.
// viz.Matrix) and tests.
func (m *MADE) Masks(d int, cond bool) [][][]bool {
	order := m.order(d)
	prev := order // degrees of the current layer's inputs
	var masks [][][]bool
	for l := range m.Hidden {
		deg := m.degrees(l, d, cond)
		mask := make([][]bool, len(prev))
		for i, pi := range prev {
			mask[i] = make([]bool, len(deg))
			for k, dk := range deg {
				mask[i][k] = dk >= pi
			}
		}
		masks = append(masks, mask)
		prev = deg
	}
	// Output (d, p) sees a unit of degree m when Order[d] > m. Without hidden layers the units
	// are the inputs, and the same rule keeps input i for outputs after it.
	P := m.numParams()
	out := make([][]bool, len(prev))
	for j, pj := range prev {
		out[j] = make([]bool, d*P)
		for dd := 0; dd < d; dd++ {
			for p := 0; p < P; p++ {
				out[j][dd*P+p] = order[dd] > pj
			}
		}
	}
	return append(masks, out)
}

func (m *MADE) numParams() int {
	if m.Params <= 0 {
		panic(fmt.Errorf("autoregressive.MADE: Params (outputs per dimension) must be positive, got %d", m.Params))
	}
	return m.Params
}

// Apply runs the network on x [batch, D] (and cond [batch, C], or nil) and returns the
// conditioner outputs [batch, D, P], output (b, d, :) depending only on x[b, i] with
// Order[i] < Order[d] (and on cond).
func (m *MADE) Apply(s *model.Scope, x, cond *Node) *Node {
	return m.build(s, x, cond).apply(x)
}

// madeNet is a MADE with its masked weights built in one graph: apply evaluates it on any x of
// the same shape, so the sequential passes of MAF's sampling share one set of weight nodes.
type madeNet struct {
	d, p     int
	act      activation.Type
	weights  []*Node // masked, [in, out]
	biases   []*Node // [out]
	condProj *Node   // cond · W_cond [batch, out of the first layer], or nil
}

func (m *MADE) build(s *model.Scope, x, cond *Node) *madeNet {
	if x.Rank() != 2 {
		panic(fmt.Errorf("autoregressive.MADE: input shape %s: want [batch, D]", x.Shape()))
	}
	g, dt := x.Graph(), x.DType()
	d := x.Shape().Dimensions[1]
	P := m.numParams()
	if m.OutputBias != nil && len(m.OutputBias) != P {
		panic(fmt.Errorf("autoregressive.MADE: OutputBias has %d values, want Params = %d", len(m.OutputBias), P))
	}
	masks := m.Masks(d, cond != nil)
	net := &madeNet{d: d, p: P, act: m.Activation}
	if net.act == activation.TypeNone {
		net.act = activation.TypeRelu
	}
	in := d
	zeroInit := s.WithInitializer(initializer.Zero)
	for l := 0; l <= len(m.Hidden); l++ {
		ls := s.At("layer_%d", l)
		out := d * P
		if l == len(m.Hidden) {
			ls = s.At("out")
		} else {
			out = m.Hidden[l]
		}
		var w, b *Node
		if l == len(m.Hidden) {
			w = zeroInit.At("out").VariableWithShape("weights", shapes.Make(dt, in, out)).NodeValue(g)
			bias := make([]float64, out)
			if m.OutputBias != nil {
				for i := range bias {
					bias[i] = m.OutputBias[i%P]
				}
			}
			b = ls.WithInitializer(valuesInit(bias)).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
		} else {
			w = ls.VariableWithShape("weights", shapes.Make(dt, in, out)).NodeValue(g)
			b = zeroInit.At("layer_%d", l).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
		}
		net.weights = append(net.weights, Mul(w, maskConst(g, dt, masks[l])))
		net.biases = append(net.biases, b)
		if l == 0 && cond != nil {
			if cond.Rank() != 2 || cond.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
				panic(fmt.Errorf("autoregressive.MADE: cond shape %s does not fit input %s: want [batch, C]", cond.Shape(), x.Shape()))
			}
			if cond.DType() != dt {
				cond = ConvertDType(cond, dt)
			}
			cs := ls
			if l == len(m.Hidden) { // no hidden layer: cond feeds the outputs, zero at the start.
				cs = zeroInit.At("out")
			}
			wc := cs.VariableWithShape("cond_weights", shapes.Make(dt, cond.Shape().Dimensions[1], out)).NodeValue(g)
			net.condProj = Dot(cond, wc).Product()
		}
		in = out
	}
	return net
}

// apply evaluates the network on x [batch, D], returning [batch, D, P].
func (n *madeNet) apply(x *Node) *Node {
	h := x
	last := len(n.weights) - 1
	for l, w := range n.weights {
		y := linear(h, w, n.biases[l])
		if l == 0 && n.condProj != nil {
			y = Add(y, n.condProj)
		}
		if l < last {
			y = activate(n.act, y)
		}
		h = y
	}
	return Reshape(h, x.Shape().Dimensions[0], n.d, n.p)
}

// maskConst returns the mask as a constant [in, out] of dtype dt.
func maskConst(g *Graph, dt dtypes.DType, mask [][]bool) *Node {
	in, out := len(mask), 0
	if in > 0 {
		out = len(mask[0])
	}
	v := make([]float64, in*out)
	for i, row := range mask {
		for k, keep := range row {
			if keep {
				v[i*out+k] = 1
			}
		}
	}
	return ConvertDType(Reshape(Const(g, v), in, out), dt)
}

// valuesInit initialises a variable with the given values (its size must match).
func valuesInit(values []float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		return Reshape(ConvertDType(Const(g, values), shape.DType), shape.Dimensions...)
	}
}

// activate applies the hidden activation.
//
// ReLU is computed as x·s with the gate s = min(1, max(0, x·c)) held constant for the gradient
// (c = 1e30, or 1e300 in float64): s is exactly 1 for x >= 1/c and 0 for x <= 0, so the values
// and the gradient v·[x > 0] are ReLU's (up to |x| < 1/c, where the value differs by less than
// 1/c). Unlike GoMLX's Max(x, 0), whose gradient takes two Signs, or a Where, it uses only
// branch-free arithmetic: on the pure-Go backend, with random signs, the branchy element loops of
// Sign, Where and bool conversions mispredict half the time and cost about as much as a matrix
// product of the layer.
func activate(act activation.Type, x *Node) *Node {
	if act == activation.TypeRelu {
		c := 1e30
		if x.DType() == dtypes.Float64 {
			c = 1e300
		}
		gate := StopGradient(MinScalar(MaxScalar(MulScalar(x, c), 0), 1))
		return Mul(x, gate)
	}
	return activation.Apply(act, x)
}
