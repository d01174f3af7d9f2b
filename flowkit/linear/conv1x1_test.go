package linear

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestConv1x1Glow runs the invertible 1×1 convolution on a float32 batch [8, 16, 16, 64], with
// its parameters moved away from the initial rotation: the round trip f⁻¹(f(z)) must be within
// 1e-4 of z, and the log-determinant must equal H·W·log|det W| with W rebuilt from the
// variables and its determinant computed densely by gonum in float64.
func TestConv1x1Glow(t *testing.T) {
	const B, H, W, C = 8, 16, 16, 64
	vals := randn(B*H*W*C, 5)
	f32 := make([]float32, len(vals))
	for i, v := range vals {
		f32[i] = float32(v)
	}
	z := tensors.FromFlatDataAndDimensions(f32, B, H, W, C)
	store := model.NewStore()
	b := NewConv1x1()
	exec, err := model.NewExec(testBackend(t), store, func(s *model.Scope, z *Node) []*Node {
		x, ldF := b.Forward(s, z, nil)
		back, ldI := b.Inverse(s, x, nil)
		return []*Node{x, ldF, back, ldI}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec(z); err != nil { // creates the variables
		t.Fatal(err)
	}
	perturb(t, variableByName(t, store, "lower"), 0.3/math.Sqrt(C), 1)
	perturb(t, variableByName(t, store, "upper"), 0.3/math.Sqrt(C), 2)
	perturb(t, variableByName(t, store, "log_scale"), 0.3, 3)
	shift(t, variableByName(t, store, "log_scale"), 0.05)
	out, err := exec.Exec(z)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != z.DType() {
		t.Fatalf("output dtype %s, want float32", out[0].DType())
	}
	roundTrip := maxAbs(flowkit.Float64s(out[2]), flowkit.Float64s(z))
	t.Logf("round trip max |f⁻¹(f(z)) - z| = %.3g (float32)", roundTrip)
	if roundTrip >= 1e-4 {
		t.Errorf("round trip error %.3g ≥ 1e-4", roundTrip)
	}
	if moved := maxAbs(flowkit.Float64s(out[0]), flowkit.Float64s(z)); moved < 0.1 {
		t.Errorf("the convolution barely moves its input (%.3g): is W the identity?", moved)
	}
	want := H * W * logAbsDet(hostLUMatrix(t, store, C, MagnitudeExp))
	t.Logf("log-det %.6g, H·W·log|det W| by gonum %.6g", flowkit.Float64s(out[1])[0], want)
	for i := range B {
		if ld := flowkit.Float64s(out[1])[i]; math.Abs(ld-want) > 1e-5*math.Abs(want) {
			t.Errorf("forward log-det %.7g, want H·W·log|det W| = %.7g", ld, want)
		}
		if ld := flowkit.Float64s(out[3])[i]; math.Abs(ld+want) > 1e-5*math.Abs(want) {
			t.Errorf("inverse log-det %.7g, want %.7g", ld, -want)
		}
	}
}

// TestConv1x1Check runs the verification harness on image events, with the Jacobian's zero
// pattern: a pixel's outputs depend only on that pixel's channels.
func TestConv1x1Check(t *testing.T) {
	for _, event := range [][]int{{2, 3, 4}, {5}} {
		C := event[len(event)-1]
		r, err := check.Bijector(NewConv1x1(), check.Options{Event: event,
			Pattern: func(d int) [][]bool { return check.PatternOf(d, func(i, j int) bool { return i/C == j/C }) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}
