package datasets

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

func TestNewGaussianMixtureNDRejectsBadInput(t *testing.T) {
	eye := [][]float64{{1, 0}, {0, 1}}
	cases := []struct {
		name  string
		w     []float64
		mu    [][]float64
		cov   [][][]float64
		wants string
	}{
		{"empty", nil, nil, nil, "at least one"},
		{"counts", []float64{1, 1}, [][]float64{{0, 0}}, [][][]float64{eye}, "must match"},
		{"weight", []float64{-1}, [][]float64{{0, 0}}, [][][]float64{eye}, "weight 0"},
		{"dim", []float64{1, 1}, [][]float64{{0, 0}, {0}}, [][][]float64{eye, eye}, "mean 1 has length 1"},
		{"nan mean", []float64{1}, [][]float64{{0, math.NaN()}}, [][][]float64{eye}, "mean 0 has NaN"},
		{"not symmetric", []float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1, 0.5}, {0.4, 1}}}, "not symmetric"},
		{"not PD", []float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1, 2}, {2, 1}}}, "not positive definite"},
		{"shape", []float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1, 0}}}, "1 rows"},
		{"zero dim", []float64{1}, [][]float64{{}}, [][][]float64{{}}, "at least 1"},
	}
	for _, c := range cases {
		_, err := NewGaussianMixtureND(c.w, c.mu, c.cov)
		if err == nil || !strings.Contains(err.Error(), c.wants) {
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.wants)
		}
	}
	for _, dk := range [][2]int{{0, 3}, {3, 0}, {5000, 1}} {
		if _, err := NewCorrelatedMixture(dk[0], dk[1], 1); err == nil {
			t.Errorf("NewCorrelatedMixture(%d, %d) accepted", dk[0], dk[1])
		}
	}
}

// TestGaussianMixtureNDLogProbMatchesGonum checks the density against gonum's multivariate
// normal, component by component.
func TestGaussianMixtureNDLogProbMatchesGonum(t *testing.T) {
	m, err := NewCorrelatedMixture(6, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	var comps []*distmv.Normal
	for k := 0; k < m.Len(); k++ {
		cov := m.ComponentCov(k)
		flat := make([]float64, 0, 36)
		for _, row := range cov {
			flat = append(flat, row...)
		}
		n, ok := distmv.NewNormal(m.ComponentMean(k), mat.NewSymDense(6, flat), nil)
		if !ok {
			t.Fatalf("gonum rejects covariance %d", k)
		}
		comps = append(comps, n)
	}
	w := m.Weights()
	for _, x := range m.Sample(200, 3) {
		terms := make([]float64, len(comps))
		for k, c := range comps {
			terms[k] = math.Log(w[k]) + c.LogProb(x)
		}
		if got, want := m.LogProb(x), logSumExp(terms); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Fatalf("LogProb(%v) = %v, gonum gives %v", x, got, want)
		}
	}
}

func TestGaussianMixtureNDSampleMoments(t *testing.T) {
	m := Mixture8D()
	const n = 400000
	rows := m.Sample(n, 4)
	mean, cov := m.Mean(), m.Covariance()
	d := m.Dim()
	sm := make([]float64, d)
	for _, x := range rows {
		for i := range sm {
			sm[i] += x[i] / n
		}
	}
	for i := 0; i < d; i++ {
		if math.Abs(sm[i]-mean[i]) > 5*math.Sqrt(cov[i][i]/n) {
			t.Errorf("mean[%d] = %.4f, want %.4f", i, sm[i], mean[i])
		}
		for j := 0; j <= i; j++ {
			var c float64
			for _, x := range rows {
				c += (x[i] - sm[i]) * (x[j] - sm[j]) / n
			}
			if tol := 6 * math.Sqrt((cov[i][i]*cov[j][j]+cov[i][j]*cov[i][j])/n) * 2; math.Abs(c-cov[i][j]) > tol {
				t.Errorf("cov[%d][%d] = %.4f, want %.4f ± %.4f", i, j, c, cov[i][j], tol)
			}
		}
	}
}

func TestGaussianMixtureNDReproducible(t *testing.T) {
	a, b := Mixture8D(), Mixture8D()
	if a.LogProb(make([]float64, 8)) != b.LogProb(make([]float64, 8)) {
		t.Errorf("Mixture8D is not deterministic")
	}
	want := []float64{-0.2724377548268089, 0.9135621081955142, -0.5162889441027444, 1.9670259064720121,
		0.7209809739889363, -0.34471874678344055, 1.433972746279945, -1.5628464724001476}
	got := a.Sample(1, 1)[0]
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Mixture8D().Sample(1, 1) = %v, want %v", got, want)
		}
	}
	x, y := a.Sample(100, 9), b.Sample(100, 9)
	for i := range x {
		for j := range x[i] {
			if math.Float64bits(x[i][j]) != math.Float64bits(y[i][j]) {
				t.Fatalf("Sample(100, 9) differs at [%d][%d]", i, j)
			}
		}
	}
}

func TestGaussianMixtureNDIsCorrelated(t *testing.T) {
	m := Mixture8D()
	for k := 0; k < m.Len(); k++ {
		cov := m.ComponentCov(k)
		maxCorr := 0.0
		for i := range cov {
			if cov[i][i] < 0.15*0.15-1e-12 || cov[i][i] > 0.6*0.6+1e-12 {
				t.Errorf("component %d variance[%d] = %v outside [0.15², 0.6²]", k, i, cov[i][i])
			}
			for j := 0; j < i; j++ {
				maxCorr = math.Max(maxCorr, math.Abs(cov[i][j])/math.Sqrt(cov[i][i]*cov[j][j]))
			}
		}
		if maxCorr < 0.3 {
			t.Errorf("component %d: largest |correlation| %.3f; the mixture should be correlated", k, maxCorr)
		}
	}
}

func TestGaussianMixtureNDEntropy(t *testing.T) {
	// One component: H = (D/2) ln(2πe) + ½ ln det Σ exactly.
	cov := [][]float64{{2, 0.6, 0}, {0.6, 1, -0.3}, {0, -0.3, 0.5}}
	g, err := NewGaussianMixtureND([]float64{1}, [][]float64{{1, 2, 3}}, [][][]float64{cov})
	if err != nil {
		t.Fatal(err)
	}
	det := 2*(1*0.5-0.09) - 0.6*(0.6*0.5-0) + 0
	want := 1.5*math.Log(2*math.Pi*math.E) + 0.5*math.Log(det)
	h, se, err := g.EntropyMC(200000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(h-want) > 4.5*se {
		t.Errorf("single Gaussian: EntropyMC %.5f ± %.5f, exact %.5f", h, se, want)
	}
	// The documented entropy of Mixture8D.
	h, se, err = Mixture8D().EntropyMC(1000000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(h-3.370) > 5e-4 || se > 0.0025 {
		t.Errorf("Mixture8D entropy %.5f ± %.5f, documented 3.370 ± 0.002", h, se)
	}
	if _, _, err := g.EntropyMC(1, 1); err == nil {
		t.Errorf("EntropyMC(1) accepted")
	}
}

func TestGaussianMixtureNDBadRows(t *testing.T) {
	m := Mixture8D()
	if lp := m.LogProb([]float64{1, 2}); !math.IsNaN(lp) {
		t.Errorf("LogProb of a short row = %v, want NaN", lp)
	}
	_, err := m.LogProbs([][]float64{make([]float64, 8), make([]float64, 7)})
	if err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("LogProbs error = %v, want one naming row 1", err)
	}
	lps, err := m.LogProbs(m.Sample(3, 1))
	if err != nil || len(lps) != 3 {
		t.Errorf("LogProbs = %v, %v", lps, err)
	}
	if m.ComponentMean(-1) != nil || m.ComponentCov(5) != nil {
		t.Errorf("out-of-range components should give nil")
	}
	if rows := m.Sample(0, 1); len(rows) != 0 {
		t.Errorf("Sample(0) gave %d rows", len(rows))
	}
}

func TestZeroMixtures(t *testing.T) {
	var m GaussianMixtureND
	if rows := m.Sample(3, 1); len(rows) != 0 {
		t.Errorf("zero GaussianMixtureND sampled %d rows", len(rows))
	}
	if lp := m.LogProb(nil); !math.IsNaN(lp) {
		t.Errorf("zero GaussianMixtureND LogProb = %v", lp)
	}
	var z Mixture1D
	if xs := z.Sample(3, 1); len(xs) != 0 || !math.IsNaN(z.Entropy()) || !math.IsInf(z.LogProb(0), -1) {
		t.Errorf("zero Mixture1D: %v %v %v", xs, z.Entropy(), z.LogProb(0))
	}
}
