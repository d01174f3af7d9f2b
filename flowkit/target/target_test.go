package target_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/target"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// hostU returns Rezende & Mohamed's U_k(z) (table 1) plus the envelope for k ≥ 2, on the host.
func hostU(k int, z1, z2 float64) float64 {
	g := func(v, s float64) float64 { return math.Exp(-0.5 * (v / s) * (v / s)) }
	w1 := math.Sin(2 * math.Pi * z1 / 4)
	w2 := 3 * g(z1-1, 0.6)
	w3 := 3 / (1 + math.Exp(-(z1-1)/0.3))
	env := 0.5 * math.Pow(z1/4, 6)
	switch k {
	case 1:
		r := math.Hypot(z1, z2)
		return 0.5*math.Pow((r-2)/0.4, 2) - math.Log(g(z1-2, 0.6)+g(z1+2, 0.6))
	case 2:
		return 0.5*math.Pow((z2-w1)/0.4, 2) + env
	case 3:
		return -math.Log(g(z2-w1, 0.35)+g(z2-w1+w2, 0.35)) + env
	default:
		return -math.Log(g(z2-w1, 0.4)+g(z2-w1+w3, 0.35)) + env
	}
}

// TestEnergiesMatchRezendeMohamedTable1: the graph versions of U1-U4 equal the table's
// formulas (computed on the host) at random points.
func TestEnergiesMatchRezendeMohamedTable1(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][]float64, 200)
	for i := range pts {
		pts[i] = []float64{4 * (2*rng.Float64() - 1), 4 * (2*rng.Float64() - 1)}
	}
	for _, e := range target.Energies() {
		lq, err := target.Eval(e, pts)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			if want := -hostU(e.K, p[0], p[1]); math.Abs(lq[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s at %v: %v, want %v", e.Name(), p, lq[i], want)
			}
		}
	}
}

// TestLogZGridConverges: on the normalised targets (log Z = 0 exactly) the grid gives 0 to
// 1e-6; on U1-U4 doubling the grid changes log Z by less than 1e-6.
func TestLogZGridConverges(t *testing.T) {
	for _, d := range []interface {
		target.Density
		target.Boxed
		target.Normalised
	}{target.NewBanana(), target.TwoModes(), target.NewMixture([][]float64{{0, 1}, {1, -1}, {-2, 0}}, 0.7, []float64{0.2, 0.3, 0.5})} {
		lz, err := target.LogZGrid(d, d.Box(), 400)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lz-d.ExactLogZ()) > 1e-6 {
			t.Errorf("%s: grid log Z %v, exact %v", target.NameOf(d), lz, d.ExactLogZ())
		}
	}
	for _, e := range target.Energies() {
		a, err := target.LogZGrid(e, e.Box(), 300)
		if err != nil {
			t.Fatal(err)
		}
		b, err := target.LogZGrid(e, e.Box(), 600)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: log Z = %.8f (300²) %.8f (600²)", e.Name(), a, b)
		if math.Abs(a-b) > 1e-6 {
			t.Errorf("%s: log Z %v on 300² vs %v on 600²", e.Name(), a, b)
		}
	}
}

// TestFunnelMatchesFormula: the funnel's log-density equals the host formula in D = 3.
func TestFunnelMatchesFormula(t *testing.T) {
	f := target.NewFunnel(3)
	pts := [][]float64{{0, 0, 0}, {-2, 0.1, -0.3}, {4, 10, -5}}
	lq, err := target.Eval(f, pts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pts {
		v := p[0]
		want := -0.5*v*v/9 - 0.5*math.Log(2*math.Pi*9)
		for _, x := range p[1:] {
			want += -0.5*x*x*math.Exp(-v) - 0.5*v - 0.5*math.Log(2*math.Pi)
		}
		if math.Abs(lq[i]-want) > 1e-10 {
			t.Fatalf("funnel at %v: %v, want %v", p, lq[i], want)
		}
	}
}

// TestScaledAddsLogK: Scaled(d, log K) is log q̃ + log K exactly (problem 16.11's constant).
func TestScaledAddsLogK(t *testing.T) {
	pts := [][]float64{{0.3, -1}, {2, 2}}
	base, _ := target.Eval(target.U3(), pts)
	for _, lk := range []float64{math.Log(1e-3), math.Log(1e3)} {
		sc, err := target.Eval(target.Scaled(target.U3(), lk), pts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pts {
			if math.Abs(sc[i]-base[i]-lk) > 1e-12 {
				t.Fatalf("log K = %v: %v - %v", lk, sc[i], base[i])
			}
		}
	}
}

// TestFromFunc: a user-supplied function is evaluated as written; a wrong output shape is a
// readable error.
func TestFromFunc(t *testing.T) {
	d := target.FromFunc(2, "quadratic", func(x *Node) *Node { return MulScalar(ReduceSum(Square(x), 1), -0.5) })
	lq, err := target.Eval(d, [][]float64{{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if lq[0] != -2.5 {
		t.Fatalf("got %v, want -2.5", lq[0])
	}
	bad := target.FromFunc(2, "bad", func(x *Node) *Node { return x })
	if _, err := target.Eval(bad, [][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), "one log-density per example") {
		t.Fatalf("want a readable error, got %v", err)
	}
	if _, err := target.Eval(target.U1(), [][]float64{{1, 2, 3}}); err == nil || !strings.Contains(err.Error(), "want 2") {
		t.Fatalf("want a readable dimension error, got %v", err)
	}
}

// TestTeacherEqualsModelLogProb: a flow used as a target gives exactly its model's LogProb,
// also when the model computes in float32 and the target is evaluated in float64.
func TestTeacherEqualsModelLogProb(t *testing.T) {
	flow := flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(
		elementwise.WithParams(transformer.NewAffine(), []float64{0.5, 0.3}),
		flowkit.ReversePermute(2),
		elementwise.New(transformer.NewRQSpline(4, 3)),
	))
	m, err := flowkit.NewModel(flow, flowkit.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	pts := [][]float64{{0.1, 0.2}, {-1, 2}, {2.5, -0.7}}
	want, err := m.LogProb(pts, nil) // creates the variables
	if err != nil {
		t.Fatal(err)
	}
	got, err := target.Eval(target.FromModel(m), pts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pts {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Fatalf("point %v: teacher %v, model %v", pts[i], got[i], want[i])
		}
	}
}

// TestSamplersMatchDensities: the host samplers draw from the densities they come with: the
// mean log-density of the samples is minus the entropy, which for the banana is that of its
// Gaussian (unit-Jacobian bending): ln(2πe·Sigma), and for TwoModes (well separated) is
// ln 2 + ln(2πe·0.25).
func TestSamplersMatchDensities(t *testing.T) {
	for _, tc := range []struct {
		d interface {
			target.Density
			target.Sampler
		}
		entropy float64
	}{
		{target.NewBanana(), math.Log(2 * math.Pi * math.E * 1.5)},
		{target.TwoModes(), math.Log(2) + math.Log(2*math.Pi*math.E*0.25)},
	} {
		const n = 40000
		lq, err := target.Eval(tc.d, tc.d.Sample(n, 1))
		if err != nil {
			t.Fatal(err)
		}
		mean := 0.0
		for _, v := range lq {
			mean -= v / n
		}
		if math.Abs(mean-tc.entropy) > 0.03 {
			t.Errorf("%s: mean -log q of its samples %.4f, entropy %.4f", target.NameOf(tc.d), mean, tc.entropy)
		}
	}
}
