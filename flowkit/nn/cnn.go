package nn

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// CNN is a small convolutional network for image events [batch, H, W, C] (channels last):
// len(Hidden) convolutions with Activation, then an output convolution, all with "same" padding
// and stride 1 so the spatial size is kept. It is the conditioner of image couplings: with
// ZeroLast its output convolution starts at zero, the zero-initialised last convolution of
// Glow's affine couplings, so a fresh coupling is the identity.
//
// The zero value is a single 3x3 convolution; Hidden: []int{32, 32} with Kernels {3, 1, 3} is
// Glow's conditioner (3x3, 1x1, zero 3x3).
type CNN struct {
	// Hidden lists the channels of the hidden convolutions.
	Hidden []int
	// Kernels gives the (square) kernel size of each convolution, the output one last
	// (len(Hidden)+1 values); nil means 3x3 everywhere.
	Kernels []int
	// Activation of the hidden layers; the zero value (activation.TypeNone) means ReLU.
	Activation activation.Type
	// ZeroLast zero-initialises the output convolution (weights and biases, or OutBias).
	ZeroLast bool
	// OutBias, when not nil, gives the initial output biases, repeated to fill the output
	// channels (see MLP.OutBias).
	OutBias []float64
}

// Apply runs the network on x [batch, H, W, Cin] and returns [batch, H, W, out]. cond, when not
// nil, is [batch, C] (repeated at every pixel) or [batch, H, W, C]; it is concatenated to x's
// channels. Layer i's variables ("weights" [k, k, in, out] and "biases" [out]) live under the
// sub-scope "conv_<i>" of s, the output layer's under "out".
func (c CNN) Apply(s *model.Scope, x, cond *Node, out int) *Node {
	if x.Rank() != 4 {
		panic(fmt.Errorf("nn.CNN: input shape %s: want [batch, H, W, C]", x.Shape()))
	}
	if c.Kernels != nil && len(c.Kernels) != len(c.Hidden)+1 {
		panic(fmt.Errorf("nn.CNN: %d kernel sizes for %d convolutions", len(c.Kernels), len(c.Hidden)+1))
	}
	x = WithCond("nn.CNN", x, cond)
	act := c.Activation
	if act == activation.TypeNone {
		act = activation.TypeRelu
	}
	kernel := func(i int) int {
		if c.Kernels == nil {
			return 3
		}
		return c.Kernels[i]
	}
	h := x
	for i, width := range c.Hidden {
		h = conv(s.At("conv_%d", i), h, kernel(i), width, false, nil)
		if act == activation.TypeRelu {
			h = relu(h)
		} else {
			h = activation.Apply(act, h)
		}
	}
	return conv(s.At("out"), h, kernel(len(c.Hidden)), out, c.ZeroLast, c.OutBias)
}

// String describes the network, e.g. "CNN(32x32,k3-1-3,relu)".
func (c CNN) String() string {
	act := c.Activation
	if act == activation.TypeNone {
		act = activation.TypeRelu
	}
	w := "linear"
	for i, h := range c.Hidden {
		if i == 0 {
			w = ""
		} else {
			w += "x"
		}
		w += fmt.Sprint(h)
	}
	k := "k3"
	if c.Kernels != nil {
		k = "k"
		for i, v := range c.Kernels {
			if i > 0 {
				k += "-"
			}
			k += fmt.Sprint(v)
		}
	}
	return fmt.Sprintf("CNN(%s,%s,%s)", w, k, act)
}

// conv is a k×k convolution with "same" padding and a bias, written as one matrix product of the
// image patches (im2col) with the kernel. This avoids the backend's convolution op, whose
// pure-Go kernel waits for workers from inside the parallel executor and was seen to deadlock
// there (GoMLX compute v0.1.5); patches plus a matmul also train faster on small images.
func conv(s *model.Scope, x *Node, k, out int, zero bool, bias []float64) *Node {
	if k <= 0 || k%2 == 0 {
		panic(fmt.Errorf("nn.CNN: kernel size %d: want a positive odd size", k))
	}
	if out <= 0 {
		panic(fmt.Errorf("nn.CNN: output channels %d must be positive", out))
	}
	g, dt := x.Graph(), x.DType()
	in := x.Shape().Dimensions[3]
	ws := s
	if zero {
		ws = s.WithInitializer(initializer.Zero)
	}
	w := ws.VariableWithShape("weights", shapes.Make(dt, k, k, in, out)).NodeValue(g)
	binit := initializer.Zero
	if bias != nil {
		binit = repeatInit(bias)
	}
	b := s.WithInitializer(binit).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
	d := x.Shape().Dimensions
	patches := x
	if k > 1 {
		patches = im2col(x, k)
	}
	y := Reshape(Dot(Reshape(patches, -1, k*k*in), Reshape(w, k*k*in, out)).Product(), d[0], d[1], d[2], out)
	return Add(y, ExpandLeftToRank(b, 4))
}

// im2col returns, for x [batch, H, W, C] and an odd kernel size k, the k×k patches around every
// pixel with zero padding, [batch, H, W, k·k·C], ordered (row offset, column offset, channel)
// like a kernel [k, k, C, out] flattened.
func im2col(x *Node, k int) *Node {
	d := x.Shape().Dimensions
	r := k / 2
	padded := Pad(x, ScalarZero(x.Graph(), x.DType()),
		PadAxis{}, PadAxis{Start: r, End: r}, PadAxis{Start: r, End: r}, PadAxis{})
	parts := make([]*Node, 0, k*k)
	for dy := 0; dy < k; dy++ {
		for dx := 0; dx < k; dx++ {
			parts = append(parts, Slice(padded, AxisRange(), AxisRange(dy, dy+d[1]), AxisRange(dx, dx+d[2]), AxisRange()))
		}
	}
	return Concatenate(parts, -1)
}
