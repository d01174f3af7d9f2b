package numcheck

import (
	"math"
	"testing"
)

func TestTanhSinh(t *testing.T) {
	cases := []struct {
		name string
		f    func(float64) float64
		a, b float64
		want float64
	}{
		{"inverse sqrt singularity", func(x float64) float64 { return 1 / (2 * math.Sqrt(x)) }, 0, 1, 1},
		{"inverse sqrt piece", func(x float64) float64 { return 1 / (2 * math.Sqrt(x)) }, 0, 0.05, math.Sqrt(0.05)},
		{"exp", math.Exp, -1, 2, math.Exp(2) - math.Exp(-1)},
		{"log singularity", math.Log, 0, 1, -1},
		{"gaussian", func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }, -8, 8, math.Erf(8 / math.Sqrt2)},
	}
	for _, c := range cases {
		got := TanhSinh(c.f, c.a, c.b)
		if math.Abs(got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: got %.17g want %.17g", c.name, got, c.want)
		}
	}
}

func TestJacobianFD(t *testing.T) {
	f := func(x []float64) []float64 { return []float64{x[0] * x[1], math.Sin(x[0]), math.Exp(x[1])} }
	x := []float64{0.3, -1.2}
	j := JacobianFD(f, x, 1e-5)
	want := [][]float64{{x[1], x[0]}, {math.Cos(x[0]), 0}, {0, math.Exp(x[1])}}
	if d := MaxAbsDiff(j, want); d > 1e-9 {
		t.Fatalf("FD Jacobian off by %g: %v", d, j)
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram([]float64{0, 0.1, 0.5, 0.99, 1, 2, -1}, UniformEdges(0, 1, 2))
	if h.Counts[0] != 2 || h.Counts[1] != 3 || h.N != 7 {
		t.Fatalf("counts %v N %d", h.Counts, h.N)
	}
}

func TestJudgeBins(t *testing.T) {
	bins := []BinCheck{
		{Lo: 0, Hi: 1, ExactDensity: 0.05, RelErr: 0.5, RelSigma: 0.001}, // below threshold: ignored
		{Lo: 1, Hi: 2, ExactDensity: 0.5, RelErr: 0.01, RelSigma: 0.001}, // passes
		{Lo: 2, Hi: 3, ExactDensity: 0.5, RelErr: 0.04, RelSigma: 0.001}, // fails the tolerance
		{Lo: 3, Hi: 4, ExactDensity: 0.5, RelErr: 0.001, RelSigma: 0.01}, // 0.03 < 5 sd: unsound
	}
	v := JudgeBins(bins, 0.03, 0.1, 5)
	if v.Checked != 3 || v.Worst != 0.04 || len(v.Failed) != 1 || v.Failed[0].Lo != 2 ||
		len(v.Unsound) != 1 || v.Unsound[0].Lo != 3 {
		t.Fatalf("JudgeBins = %+v", v)
	}
}
