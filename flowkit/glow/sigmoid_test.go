package glow

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestSigmoidAffineByHand: Glow's coupling map against its formula on the host, z = (x + t)·s,
// s = sigmoid(r + 2), log|dz/dx| = log s ≤ 0 (a contraction), the generative map inverting it
// with log-derivative -log s, and zero parameters giving s = sigmoid(2).
func TestSigmoidAffineByHand(t *testing.T) {
	be, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{-3, -0.5, 0, 0.7, 12}
	ps := []float64{0.3, -1, -2, 4, 0, 0, 1.5, 0.2, -0.1, -9}
	exec, err := model.NewExec(be, model.NewStore(), func(s *model.Scope, x, p *graph.Node) []*graph.Node {
		z, ldI := SigmoidAffine{}.Inverse(x, p)
		back, ldF := SigmoidAffine{}.Forward(z, p)
		return []*graph.Node{z, ldI, back, ldF}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(xs, 1, 5), tensors.FromFlatDataAndDimensions(ps, 1, 5, 2))
	if err != nil {
		t.Fatal(err)
	}
	z, ldI, back, ldF := flowkit.Float64s(out[0]), flowkit.Float64s(out[1]), flowkit.Float64s(out[2]), flowkit.Float64s(out[3])
	for i, x := range xs {
		tt, r := ps[2*i], ps[2*i+1]
		s := 1 / (1 + math.Exp(-(r + 2)))
		if d := math.Abs(z[i] - (x+tt)*s); d > 1e-12 {
			t.Errorf("x = %g: z = %.15g, (x + t)·s = %.15g", x, z[i], (x+tt)*s)
		}
		if d := math.Abs(ldI[i] - math.Log(s)); d > 1e-12 || ldI[i] > 0 {
			t.Errorf("x = %g: log-derivative %.15g, log s = %.15g (must be ≤ 0)", x, ldI[i], math.Log(s))
		}
		if math.Abs(back[i]-x) > 1e-12 || math.Abs(ldF[i]+ldI[i]) > 1e-12 {
			t.Errorf("x = %g: generative map gives %.15g with log-derivative %.15g", x, back[i], ldF[i])
		}
	}
	if s := 1 / (1 + math.Exp(-2.0)); math.Abs(math.Exp(ldI[2])-s) > 1e-12 {
		t.Errorf("zero parameters: scale %.6g, want sigmoid(2) = %.6g", math.Exp(ldI[2]), s)
	}
}
