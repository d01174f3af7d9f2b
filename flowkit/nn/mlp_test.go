package nn_test

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func run(t testing.TB, store *model.Store, fn func(s *model.Scope, in []*Node) *Node, args ...any) []float64 {
	t.Helper()
	b, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	e, err := model.NewExec(b, store, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float64](out[0])
}

func input(n, d int) *tensors.Tensor {
	v := make([]float64, n*d)
	for i := range v {
		v[i] = math.Sin(float64(i)*0.7) * 2
	}
	return tensors.FromFlatDataAndDimensions(v, n, d)
}

func TestMLPZeroLastOutputsZero(t *testing.T) {
	store := model.NewStore()
	out := run(t, store, func(s *model.Scope, in []*Node) *Node {
		return nn.MLP{Hidden: []int{16, 16}, ZeroLast: true}.Apply(s, in[0], nil, 3)
	}, input(5, 4))
	if len(out) != 15 {
		t.Fatalf("output has %d values, want 5x3", len(out))
	}
	for i, v := range out {
		if v != 0 {
			t.Fatalf("output[%d] = %g, want 0 with a zero-initialised last layer", i, v)
		}
	}
}

func TestMLPUsesCondition(t *testing.T) {
	store := model.NewStore()
	x := input(4, 3)
	c0 := tensors.FromFlatDataAndDimensions(make([]float64, 8), 4, 2)
	c1 := tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)
	fn := func(s *model.Scope, in []*Node) *Node {
		return nn.MLP{Hidden: []int{8}, Residual: true}.Apply(s.At("net"), in[0], in[1], 2)
	}
	a := run(t, store, fn, x, c0)
	b := run(t, store, fn, x, c1)
	same := true
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			same = false
		}
	}
	if same {
		t.Fatal("changing the conditioning input did not change the output")
	}
	// The variables have the documented shapes: 3+2 inputs into the first layer.
	v := store.GetVariable("/net/layer_0/weights")
	if v == nil {
		t.Fatal("variable /net/layer_0/weights not found")
	}
	if got := v.Shape(); !got.Equal(shapes.Make(dtypes.Float64, 5, 8)) {
		t.Fatalf("first layer weights shape %s, want (Float64)[5 8]", got)
	}
}

func TestMLPString(t *testing.T) {
	if got := (nn.MLP{Hidden: []int{64, 64}}).String(); got != "MLP(64x64,Relu)" {
		t.Fatalf("String() = %q", got)
	}
}

// TestMLPTrainingAndEvaluationGraphsAgree: graphs marked as training and the others give the
// same values and gradients, and neither uses GoMLX's fused dense op (slower here; see Dense).
func TestMLPTrainingAndEvaluationGraphsAgree(t *testing.T) {
	net := nn.MLP{Hidden: []int{7, 5}, OutBias: []float64{0.25, -1, 2}}
	store := model.NewStore()
	x := input(6, 3)
	fusedSeen := map[bool]bool{}
	eval := func(training bool) []float64 {
		return run(t, store, func(s *model.Scope, in []*Node) *Node {
			s.Store().SetTraining(in[0].Graph(), training)
			y := net.Apply(s, in[0], nil, 3)
			// The value, then the gradients of a weighted sum with respect to x and a weight.
			loss := ReduceAllSum(Mul(y, Sin(y)))
			w := s.At("layer_0").GetVariable("weights").NodeValue(in[0].Graph())
			grads := Gradient(loss, in[0], w)
			for _, n := range in[0].Graph().Nodes() {
				if strings.Contains(n.Type().String(), "Fused") {
					fusedSeen[training] = true
				}
			}
			return Concatenate([]*Node{Reshape(y, -1), Reshape(grads[0], -1), Reshape(grads[1], -1)}, 0)
		}, x)
	}
	a, b := eval(true), eval(false)
	if fusedSeen[true] || fusedSeen[false] {
		t.Fatalf("fused dense ops seen in the training graph: %v, in the evaluation graph: %v; want neither",
			fusedSeen[true], fusedSeen[false])
	}
	if len(a) != 6*3+6*3+3*7 {
		t.Fatalf("%d values", len(a))
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Fatalf("value %d: training graph %v, evaluation graph %v", i, a[i], b[i])
		}
	}
}

// TestMLPOutBias: with ZeroLast and OutBias the network starts as the constant OutBias,
// repeated over the outputs.
func TestMLPOutBias(t *testing.T) {
	out := run(t, model.NewStore(), func(s *model.Scope, in []*Node) *Node {
		return nn.MLP{Hidden: []int{4}, ZeroLast: true, OutBias: []float64{1, 2, 3}}.Apply(s, in[0], nil, 6)
	}, input(2, 3))
	want := []float64{1, 2, 3, 1, 2, 3}
	for i, v := range out {
		if v != want[i%6] {
			t.Fatalf("output[%d] = %v, want %v", i, v, want[i%6])
		}
	}
}

// TestMLPCondOnHigherRank: a [batch, C] condition is repeated over the middle axes of a
// [batch, H, W, in] input; a bad condition shape is reported.
func TestMLPCondOnHigherRank(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions(make([]float64, 2*3*2*1), 2, 3, 2, 1)
	c := tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 4}, 2, 2)
	store := model.NewStore()
	out := run(t, store, func(s *model.Scope, in []*Node) *Node {
		return nn.MLP{Hidden: []int{4}}.Apply(s, in[0], in[1], 2)
	}, x, c)
	if len(out) != 2*3*2*2 {
		t.Fatalf("%d outputs, want 2x3x2x2", len(out))
	}
	// x is zero, so every pixel of one example sees the same input: equal outputs.
	for i := 0; i < len(out); i++ {
		if out[i] != out[(i/12)*12+i%2] {
			t.Fatalf("pixels of example %d differ: %v", i/12, out)
		}
	}
	b, _ := backend.Shared()
	e, err := model.NewExec(b, model.NewStore(), func(s *model.Scope, in []*Node) *Node {
		return nn.MLP{}.Apply(s, in[0], in[1], 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(x, tensors.FromFlatDataAndDimensions([]float64{1, 2, 3}, 3, 1)); err == nil {
		t.Fatal("a condition with 3 rows for a batch of 2 was accepted")
	}
}
