package glow

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// ConvNet is the CNN conditioner of Glow's couplings: the network of nn.CNN (len(Hidden)
// convolutions with ReLU, then an output convolution, "same" padding, stride 1; variables
// "conv_<i>/weights" [k, k, in, out], "conv_<i>/biases" and "out/…", the same names and layout,
// so the two compute the same function from the same store) with its k×k convolutions computed
// on whichever side of the channel matrix product is narrower:
//
//   - few input channels (the first layer, fed the kept half of a coupling): the k·k shifted
//     copies of the input are concatenated (im2col) and multiplied by the [k·k·in, out] kernel,
//     as nn.CNN does;
//   - few output channels (the last layer, which emits 2 parameters per transformed channel
//     from the 64 hidden ones): the input is multiplied by the kernel arranged [in, k·k·out]
//     and the k·k output blocks are shifted and summed, y = Σ_{dy,dx} shift_{dy,dx}(x·W_{dy,dx}).
//
// Both are exact rewritings of the convolution; the second moves k·k·out instead of k·k·in
// values per pixel, which on a 64-channel hidden layer and 4 outputs cuts the data the
// pure-Go backend copies (slices, concatenations and their gradients) by a factor of 16. The
// matrix products use flowkit.MatMulLast.
type ConvNet struct {
	// Hidden lists the channels of the hidden convolutions.
	Hidden []int
	// Kernels gives the (odd, square) kernel size of each convolution, the output one last
	// (len(Hidden)+1 values); nil means 3×3 everywhere.
	Kernels []int
	// ZeroLast starts the output convolution at zero (weights and biases): a fresh coupling is
	// the identity.
	ZeroLast bool
}

// String describes the network, e.g. "ConvNet(64x64,k3-1-3)".
func (c ConvNet) String() string {
	s := "ConvNet("
	for i, h := range c.Hidden {
		if i > 0 {
			s += "x"
		}
		s += fmt.Sprint(h)
	}
	s += ",k"
	for i := 0; i <= len(c.Hidden); i++ {
		if i > 0 {
			s += "-"
		}
		s += fmt.Sprint(c.kernel(i))
	}
	return s + ")"
}

func (c ConvNet) kernel(i int) int {
	if c.Kernels == nil {
		return 3
	}
	return c.Kernels[i]
}

// Apply implements coupling.Conditioner: x [batch, H, W, Cin] (with cond, [batch, C] or
// [batch, H, W, C], concatenated to its channels) → [batch, H, W, out].
func (c ConvNet) Apply(s *model.Scope, x, cond *Node, out int) *Node {
	if x.Rank() != 4 {
		panic(fmt.Errorf("glow.ConvNet: input shape %s: want [batch, H, W, C]", x.Shape()))
	}
	if c.Kernels != nil && len(c.Kernels) != len(c.Hidden)+1 {
		panic(fmt.Errorf("glow.ConvNet: %d kernel sizes for %d convolutions", len(c.Kernels), len(c.Hidden)+1))
	}
	h := nn.WithCond("glow.ConvNet", x, cond)
	for i, width := range c.Hidden {
		h = relu(convolve(s.At("conv_%d", i), h, c.kernel(i), width, false))
	}
	return convolve(s.At("out"), h, c.kernel(len(c.Hidden)), out, c.ZeroLast)
}

// relu is x·[x > 0]: its gradient is one product (see nn's relu).
func relu(x *Node) *Node {
	return Mul(x, ConvertDType(GreaterThan(x, ScalarZero(x.Graph(), x.DType())), x.DType()))
}

// convolve is a k×k "same" convolution of x [b, H, W, in] with a bias, to out channels.
func convolve(s *model.Scope, x *Node, k, out int, zero bool) *Node {
	if k <= 0 || k%2 == 0 {
		panic(fmt.Errorf("glow.ConvNet: kernel size %d: want a positive odd size", k))
	}
	if out <= 0 {
		panic(fmt.Errorf("glow.ConvNet: output channels %d must be positive", out))
	}
	g, dt := x.Graph(), x.DType()
	d := x.Shape().Dimensions
	in := d[3]
	ws := s
	if zero {
		ws = s.WithInitializer(initializer.Zero)
	}
	w := ws.VariableWithShape("weights", shapes.Make(dt, k, k, in, out)).NodeValue(g)
	b := s.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
	var y *Node
	switch {
	case k == 1:
		y = flowkit.MatMulLast(x, Reshape(w, in, out))
	case in <= out:
		y = flowkit.MatMulLast(im2col(x, k), Reshape(w, k*k*in, out))
	default:
		// [in, k·k·out]: column block (dy·k + dx) holds W[dy, dx, :, :].
		wt := Reshape(TransposeAllAxes(w, 2, 0, 1, 3), in, k*k*out)
		u := flowkit.MatMulLast(x, wt) // [b, H, W, k·k·out]
		r := k / 2
		u = Pad(u, ScalarZero(g, dt), PadAxis{}, PadAxis{Start: r, End: r}, PadAxis{Start: r, End: r}, PadAxis{})
		for dy := 0; dy < k; dy++ {
			for dx := 0; dx < k; dx++ {
				blk := (dy*k + dx) * out
				part := Slice(u, AxisRange(), AxisRange(dy, dy+d[1]), AxisRange(dx, dx+d[2]), AxisRange(blk, blk+out))
				if y == nil {
					y = part
				} else {
					y = Add(y, part)
				}
			}
		}
	}
	return Add(y, ExpandLeftToRank(b, 4))
}

// im2col returns the k×k patches around every pixel of x [b, H, W, C] with zero padding,
// [b, H, W, k·k·C], ordered (row offset, column offset, channel) like a kernel [k, k, C, out].
func im2col(x *Node, k int) *Node {
	d := x.Shape().Dimensions
	r := k / 2
	padded := Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, PadAxis{Start: r, End: r}, PadAxis{Start: r, End: r}, PadAxis{})
	parts := make([]*Node, 0, k*k)
	for dy := 0; dy < k; dy++ {
		for dx := 0; dx < k; dx++ {
			parts = append(parts, Slice(padded, AxisRange(), AxisRange(dy, dy+d[1]), AxisRange(dx, dx+d[2]), AxisRange()))
		}
	}
	return Concatenate(parts, -1)
}
