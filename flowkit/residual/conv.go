package residual

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Conv is the convolutional residual branch for images [batch, H, W, C] (channels last):
//
//	g(x) = K_L ⋆ φ(… φ(K_1 ⋆ x + b_1) …) + b_L
//
// with stride-1 "same" convolutions of odd kernel sizes (default 3, 1, …, 1, 3: the 3x3 → 1x1 → 3x3
// design of Behrmann et al. and Chen et al.) and C output channels. Each kernel is spectrally
// normalised as the linear operator it applies to a whole H×W image (zero padding included), by
// power iteration on image-shaped vectors: u ← K⋆ᵀ(K ⋆ u)/‖·‖, where K⋆ᵀ is the convolution with
// the spatially flipped kernel with input and output channels swapped. The vectors depend on the
// image size, so one Conv serves one size. Conditioning inputs are not supported.
//
// Variables under the scope given to Build: "layer_<i>/kernel" [k, k, in, out],
// "layer_<i>/biases" [out], "layer_<i>/kernel_sn_u" [1, H, W, in] (not trainable).
type Conv struct {
	// Hidden lists the hidden channel counts (at least one).
	Hidden []int
	// Kernels lists the kernel sizes, len(Hidden)+1 odd numbers; nil means 3, 1, …, 1, 3.
	Kernels []int
	// Activation is φ (default ELU).
	Activation Activation
	// SpectralNorm configures the normalisation of every kernel.
	SpectralNorm SpectralNorm
	// InitScale multiplies the initial kernels (default 1).
	InitScale float64
}

// NewConv returns a convolutional branch with the given hidden channel counts, kernels 3, 1, …, 3,
// ELU and the default spectral normalisation.
func NewConv(hidden ...int) *Conv { return &Conv{Hidden: append([]int(nil), hidden...)} }

func (c *Conv) kernels() []int {
	if c.Kernels != nil {
		return c.Kernels
	}
	k := make([]int, len(c.Hidden)+1)
	for i := range k {
		k[i] = 1
	}
	k[0], k[len(k)-1] = 3, 3
	return k
}

// String implements Net, e.g. "Conv(3x3:16,1x1:16,3x3,ELU,SN(c=0.9))".
func (c *Conv) String() string {
	ks := c.kernels()
	parts := make([]string, 0, len(ks))
	for i, k := range ks {
		if i < len(c.Hidden) {
			parts = append(parts, fmt.Sprintf("%dx%d:%d", k, k, c.Hidden[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%dx%d", k, k))
		}
	}
	return fmt.Sprintf("Conv(%s,%s,%s)", strings.Join(parts, ","), c.Activation, c.SpectralNorm)
}

// Build implements Net.
func (c *Conv) Build(s *model.Scope, x, cond *Node) Residual {
	c.Activation.check()
	if x.Rank() != 4 {
		panic(fmt.Errorf("residual.Conv: input shape %s is not a batch of images [batch, H, W, C]", x.Shape()))
	}
	if cond != nil {
		panic(fmt.Errorf("residual.Conv: conditioning inputs are not supported"))
	}
	if len(c.Hidden) == 0 {
		panic(fmt.Errorf("residual.Conv: needs at least one hidden layer"))
	}
	ks := c.kernels()
	if len(ks) != len(c.Hidden)+1 {
		panic(fmt.Errorf("residual.Conv: %d kernel sizes for %d layers (want len(Hidden)+1)", len(ks), len(c.Hidden)+1))
	}
	for _, k := range ks {
		if k <= 0 || k%2 == 0 {
			panic(fmt.Errorf("residual.Conv: kernel sizes must be odd and positive (same padding), got %v", ks))
		}
	}
	g, dt := x.Graph(), x.DType()
	dims := x.Shape().Dimensions
	H, W, C := dims[1], dims[2], dims[3]
	r := &convResidual{act: c.Activation}
	in := C
	widths := append(append([]int{}, c.Hidden...), C)
	for i, out := range widths {
		ls := s.At("layer_%d", i)
		ws := scaledInit(ls, c.InitScale)
		kVar := ws.VariableWithShape("kernel", shapes.Make(dt, ks[i], ks[i], in, out))
		k := c.SpectralNorm.normalize(ls, "kernel", kVar.NodeValue(g), convOp{}, []int{1, H, W, in})
		b := ls.WithInitializer(initializer.Zero).VariableWithShape("biases", shapes.Make(dt, out)).NodeValue(g)
		r.ks = append(r.ks, k)
		r.kts = append(r.kts, adjointKernel(k))
		r.bs = append(r.bs, b)
		r.names = append(r.names, ls.Scope()+"/kernel")
		in = out
	}
	return r
}

// convOp is the operator u ↦ K ⋆ u on images [1, H, W, in] (stride 1, same padding).
type convOp struct{}

func (convOp) apply(k, u *Node) *Node   { return conv(u, k) }
func (convOp) adjoint(k, v *Node) *Node { return conv(v, adjointKernel(k)) }
func (convOp) gram(*Node) *Node         { return nil }

func conv(x, k *Node) *Node { return Convolve(x, k).PadSame().Done() }

// adjointKernel returns the kernel of the adjoint of a stride-1, same-padded convolution with
// an odd kernel k [kh, kw, in, out]: k flipped spatially with in and out swapped.
func adjointKernel(k *Node) *Node {
	return TransposeAllDims(Reverse(k, 0, 1), 0, 1, 3, 2)
}

type convResidual struct {
	act         Activation
	ks, kts, bs []*Node
	names       []string
}

func (r *convResidual) Weights() []NamedNode {
	out := make([]NamedNode, len(r.ks))
	for i, k := range r.ks {
		out[i] = NamedNode{Name: r.names[i], Node: k}
	}
	return out
}

func (r *convResidual) layer(i int, a *Node) *Node {
	p := conv(a, r.ks[i])
	return Add(p, ExpandLeftToRank(r.bs[i], p.Rank()))
}

// forward returns g(x) and, when keep, φ'(pre-activation) of each hidden layer.
func (r *convResidual) forward(x *Node, keep bool) (out *Node, derivs []*Node) {
	return forwardLayers(len(r.ks), r.layer, r.act, x, keep)
}

func (r *convResidual) Apply(x *Node) *Node {
	out, _ := r.forward(x, false)
	return out
}

func (r *convResidual) Linearize(x *Node) Linearization {
	out, derivs := r.forward(x, true)
	return &convLin{r: r, x: x, out: out, deriv: derivs}
}

type convLin struct {
	r      *convResidual
	x, out *Node
	deriv  []*Node
}

func (l *convLin) Input() *Node { return l.x }
func (l *convLin) Value() *Node { return l.out }

// convProbes applies a convolution to t [batch, P, H, W, C] by folding P into the batch.
func convProbes(t, k *Node) *Node {
	d := t.Shape().Dimensions
	y := conv(Reshape(t, d[0]*d[1], d[2], d[3], d[4]), k)
	yd := y.Shape().Dimensions
	return Reshape(y, d[0], d[1], yd[1], yd[2], yd[3])
}

func (l *convLin) JVP(t *Node) *Node {
	a := t
	for i, d := range l.deriv {
		a = Mul(convProbes(a, l.r.ks[i]), d)
	}
	return convProbes(a, l.r.ks[len(l.r.ks)-1])
}

func (l *convLin) VJP(v *Node) *Node {
	n := len(l.r.ks) - 1
	a := convProbes(v, l.r.kts[n])
	for i := n - 1; i >= 0; i-- {
		a = convProbes(Mul(a, l.deriv[i]), l.r.kts[i])
	}
	return a
}
