package multiscale

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestLogitByHand compares Logit's normalizing map and log-det with the formulas computed on the
// host, u = logit(p), p = α + (1-2α)y, log|det| = Σ log(1-2α) - log p - log(1-p), including the
// endpoints y = 0 and y = 1, and checks the generative map returns y.
func TestLogitByHand(t *testing.T) {
	const alpha = 0.05
	ys := []float64{0, 1e-4, 0.2, 0.5, 0.93, 1 - 1e-7, 1}
	out := run(t, nil, func(s *model.Scope, in []*graph.Node) []*graph.Node {
		u, ldI := Logit{Alpha: alpha}.Inverse(s, in[0], nil)
		y, ldF := Logit{Alpha: alpha}.Forward(s, u, nil)
		return []*graph.Node{u, ldI, y, ldF}
	}, tensor64(ys, 1, len(ys)))
	u, ldI, y, ldF := flowkit.Float64s(out[0]), flowkit.Float64s(out[1])[0], flowkit.Float64s(out[2]), flowkit.Float64s(out[3])[0]
	want := 0.0
	for i, v := range ys {
		p := alpha + (1-2*alpha)*v
		if d := math.Abs(u[i] - math.Log(p/(1-p))); d > 1e-12 {
			t.Errorf("y = %g: u = %.15g, logit(p) = %.15g", v, u[i], math.Log(p/(1-p)))
		}
		want += math.Log(1-2*alpha) - math.Log(p) - math.Log(1-p)
	}
	if d := math.Abs(ldI - want); d > 1e-10 {
		t.Errorf("inverse log-det %.12g, by hand %.12g", ldI, want)
	}
	if d := math.Abs(ldF + ldI); d > 1e-10 {
		t.Errorf("forward log-det %.12g is not minus the inverse's %.12g", ldF, ldI)
	}
	if d := maxAbsDiff(y, ys); d > 1e-12 {
		t.Errorf("generative map does not return y: max error %.3g", d)
	}
}

// TestLogitHarness runs the verification harness (a diagonal Jacobian).
func TestLogitHarness(t *testing.T) {
	r, err := check.Bijector(Logit{}, check.Options{Event: []int{2, 2, 1}, Pattern: diagonal})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}

func diagonal(d int) [][]bool {
	p := make([][]bool, d)
	for i := range p {
		p[i] = make([]bool, d)
		p[i][i] = true
	}
	return p
}

// TestLogitDomain: a model whose data side is a Logit rejects pixels outside [0, 1] with an error
// naming the domain, and a bad α is an error naming α.
func TestLogitDomain(t *testing.T) {
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), Logit{}), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LogProb([][]float64{{0.5, 1.5}}, nil); err == nil || !strings.Contains(err.Error(), "domain [0, 1]") {
		t.Fatalf("LogProb(1.5): error %v, want one naming the domain [0, 1]", err)
	}
	lp, err := m.LogProb([][]float64{{0, 1}}, nil)
	if err != nil || math.IsInf(lp[0], 0) || math.IsNaN(lp[0]) {
		t.Fatalf("LogProb at the endpoints: %v, %v; want a finite value", lp, err)
	}
	bad, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), Logit{Alpha: 0.7}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.LogProb([][]float64{{0.5, 0.5}}, nil); err == nil || !strings.Contains(err.Error(), "Alpha") {
		t.Fatalf("Alpha 0.7: error %v, want one naming Alpha", err)
	}
}
