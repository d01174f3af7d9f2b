package nn_test

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func image(n, h, w, c int) *tensors.Tensor {
	v := make([]float64, n*h*w*c)
	for i := range v {
		v[i] = math.Cos(float64(i)*1.3) * 1.5
	}
	return tensors.FromFlatDataAndDimensions(v, n, h, w, c)
}

// TestCNNMatchesConvolution: the CNN's convolution (image patches times the kernel) equals
// GoMLX's Convolve with "same" padding on the same kernel.
func TestCNNMatchesConvolution(t *testing.T) {
	for _, k := range []int{1, 3, 5} {
		store := model.NewStore()
		x := image(2, 4, 5, 3)
		got := run(t, store, func(s *model.Scope, in []*Node) *Node {
			return nn.CNN{Kernels: []int{k}}.Apply(s, in[0], nil, 4)
		}, x)
		w := store.GetVariable("/out/weights")
		b := store.GetVariable("/out/biases")
		if w == nil || b == nil {
			t.Fatal("variables /out/weights and /out/biases not found")
		}
		if !w.Shape().Equal(shapes.Make(dtypes.Float64, k, k, 3, 4)) {
			t.Fatalf("kernel shape %s, want [%d %d 3 4]", w.Shape(), k, k)
		}
		want := run(t, model.NewStore(), func(s *model.Scope, in []*Node) *Node {
			return Add(Convolve(in[0], in[1]).PadSame().Done(), ExpandLeftToRank(in[2], 4))
		}, x, w.MustValue(), b.MustValue())
		if len(got) != 2*4*5*4 {
			t.Fatalf("output has %d values, want 2x4x5x4", len(got))
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("k=%d: output[%d] = %v, Convolve gives %v", k, i, got[i], want[i])
			}
		}
	}
}

// TestCNNZeroLastAndCond: a zero-initialised last convolution outputs OutBias everywhere at the
// start; with perturbed weights the output depends on the conditioning input, given as
// [batch, C] and repeated at every pixel.
func TestCNNZeroLastAndCond(t *testing.T) {
	net := nn.CNN{Hidden: []int{5, 5}, Kernels: []int{3, 1, 3}, ZeroLast: true, OutBias: []float64{0.5, -2}}
	store := model.NewStore()
	x := image(2, 3, 3, 2)
	c0 := tensors.FromFlatDataAndDimensions([]float64{0, 0, 0, 0}, 2, 2)
	c1 := tensors.FromFlatDataAndDimensions([]float64{1, -1, 2, 0.5}, 2, 2)
	fn := func(s *model.Scope, in []*Node) *Node { return net.Apply(s, in[0], in[1], 4) }
	out := run(t, store, fn, x, c0)
	for i, v := range out {
		if want := []float64{0.5, -2}[i%2]; v != want {
			t.Fatalf("output[%d] = %v, want the bias %v", i, v, want)
		}
	}
	if w := store.GetVariable("/conv_0/weights"); w == nil || !w.Shape().Equal(shapes.Make(dtypes.Float64, 3, 3, 4, 5)) {
		t.Fatalf("first kernel %v: want [3 3 (2 channels + 2 cond) 5]", w)
	}
	if w := store.GetVariable("/conv_1/weights"); w == nil || !w.Shape().Equal(shapes.Make(dtypes.Float64, 1, 1, 5, 5)) {
		t.Fatalf("second kernel %v: want [1 1 5 5]", w)
	}
	v := store.GetVariable("/out/weights")
	flat := tensors.MustCopyFlatData[float64](v.MustValue())
	for i := range flat {
		flat[i] = 0.1 * math.Sin(float64(i))
	}
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(flat, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
	a := run(t, store, fn, x, c0)
	b := run(t, store, fn, x, c1)
	same := true
	for i := range a {
		if a[i] != b[i] {
			same = false
		}
	}
	if same {
		t.Fatal("the conditioning input does not change the output")
	}
}
