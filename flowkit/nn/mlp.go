package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// MLP is a multilayer perceptron: len(Hidden) dense layers with Activation, then a linear output
// layer. The zero value is a linear map; Hidden: []int{64, 64} is the 2x64 conditioner of
// RealNVP-style flows.
type MLP struct {
	// Hidden lists the hidden layer widths.
	Hidden []int
	// Activation of the hidden layers; the zero value (activation.TypeNone) means ReLU.
	Activation activation.Type
	// ZeroLast zero-initialises the output layer, so the network outputs 0 at the start (or
	// OutBias, when set): a conditioner built this way makes a fresh flow start at (or near) the
	// identity.
	ZeroLast bool
	// Residual adds skip connections around hidden layers of equal width (a residual MLP, the
	// "small ResNet" conditioner of NSF).
	Residual bool
	// OutBias, when not nil, gives the initial values of the output layer's biases, repeated to
	// fill the output: with ZeroLast the network starts out constant at these values, e.g. a
	// transformer's identity parameters. nil means zeros.
	OutBias []float64
}

// Apply runs the network on x [..., in] and returns [..., out]. When cond is not nil it is
// concatenated to x on the last axis, so the network sees (x, cond): the conditioning input of
// conditional flows. cond is either [..., C] with the same leading axes as x, or [batch, C] for
// an x of higher rank [batch, ..., in], in which case it is repeated over x's middle axes. x may
// have zero features when cond is given (the network then sees cond only). Layer i's variables
// live under the sub-scope "layer_<i>" of s; the output layer under "out".
//
// The layers are plain matmul, bias-add and activation ops (see Dense for why not GoMLX's fused
// dense op): faster on the pure-Go backend.
func (m MLP) Apply(s *model.Scope, x, cond *Node, out int) *Node {
	x = WithCond("nn.MLP", x, cond)
	if x.Shape().Dimensions[x.Rank()-1] == 0 {
		panic(fmt.Errorf("nn.MLP: input %s has no features and there is no conditioning input", x.Shape()))
	}
	act := m.Activation
	if act == activation.TypeNone {
		act = activation.TypeRelu
	}
	h := x
	for i, width := range m.Hidden {
		y := denseLayer(s.At("layer_%d", i), "nn.MLP", h, width, act, false, nil)
		if m.Residual && i > 0 && h.Shape().Dimensions[h.Rank()-1] == width {
			y = Add(h, y)
		}
		h = y
	}
	return denseLayer(s.At("out"), "nn.MLP", h, out, activation.TypeNone, m.ZeroLast, m.OutBias)
}

// WithCond returns x with the conditioning input cond concatenated on its last axis (x itself
// when cond is nil). cond is [..., C] with x's leading axes, or [batch, C] repeated over the
// middle axes of a higher-rank x [batch, ..., in]; it is converted to x's dtype. who names the
// caller in error messages.
func WithCond(who string, x, cond *Node) *Node {
	if cond == nil {
		return x
	}
	if cond.DType() != x.DType() {
		cond = ConvertDType(cond, x.DType())
	}
	xd, cd := x.Shape().Dimensions, cond.Shape().Dimensions
	if cond.Rank() == 2 && x.Rank() > 2 && cd[0] == xd[0] {
		mid := xd[1 : x.Rank()-1]
		c := cond
		for range mid {
			c = InsertAxes(c, 1)
		}
		cond = BroadcastToDims(c, append(append([]int{cd[0]}, mid...), cd[1])...)
		cd = cond.Shape().Dimensions
	}
	if cond.Rank() != x.Rank() {
		panic(fmt.Errorf("%s: conditioning input %s does not fit input %s: want [batch, C] or the input's leading axes",
			who, cond.Shape(), x.Shape()))
	}
	for i := 0; i < x.Rank()-1; i++ {
		if cd[i] != xd[i] {
			panic(fmt.Errorf("%s: conditioning input %s does not fit input %s: leading axes differ", who, cond.Shape(), x.Shape()))
		}
	}
	if xd[x.Rank()-1] == 0 {
		return cond
	}
	return Concatenate([]*Node{x, cond}, -1)
}

// String describes the network, e.g. "MLP(64x64,relu)".
func (m MLP) String() string {
	act := m.Activation
	if act == activation.TypeNone {
		act = activation.TypeRelu
	}
	w := ""
	for i, h := range m.Hidden {
		if i > 0 {
			w += "x"
		}
		w += fmt.Sprint(h)
	}
	if w == "" {
		w = "linear"
	}
	kind := "MLP"
	if m.Residual {
		kind = "ResMLP"
	}
	return fmt.Sprintf("%s(%s,%s)", kind, w, act)
}
