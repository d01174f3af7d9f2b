package transformer_test

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// TestRQSplineFarOutsideBound feeds ±1e6 (and values near the bound) through the spline in
// float32 with random parameters: outputs, log-derivatives and gradients must all be finite,
// and far-away inputs must pass through unchanged.
func TestRQSplineFarOutsideBound(t *testing.T) {
	sp := transformer.NewRQSpline(8, 3)
	xs := []float32{-1e6, -3.0001, -3, -2.9999, 0, 2.9999, 3, 3.0001, 1e6}
	P := sp.NumParams()
	params := make([]float32, len(xs)*P)
	for i := range params {
		params[i] = float32(math.Sin(float64(i)*1.7)) * 4 // far from identity
	}
	b := backend.MustShared()
	exec := MustNewExec(b, func(x, p *Node) []*Node {
		y, ld := sp.Forward(x, p)
		xi, ldi := sp.Inverse(x, p)
		loss := Add(ReduceAllSum(Add(y, ld)), ReduceAllSum(Add(xi, ldi)))
		grads := Gradient(loss, x, p)
		return []*Node{y, ld, grads[0], grads[1]}
	})
	outs := exec.MustExec(tensors.FromFlatDataAndDimensions(xs, len(xs)), tensors.FromFlatDataAndDimensions(params, len(xs), P))
	y := tensors.MustCopyFlatData[float32](outs[0])
	for i, o := range outs {
		for j, v := range tensors.MustCopyFlatData[float32](o) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("output %d element %d is %v", i, j, v)
			}
		}
	}
	if y[0] != -1e6 || y[len(y)-1] != 1e6 {
		t.Fatalf("far inputs not passed through: %v", y)
	}
}
