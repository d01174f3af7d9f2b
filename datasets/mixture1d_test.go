package datasets

import (
	"math"
	"strings"
	"testing"
)

func TestNewMixture1DRejectsBadInput(t *testing.T) {
	cases := []struct {
		name    string
		w, m, s []float64
		want    string
	}{
		{"empty", nil, nil, nil, "at least one"},
		{"lengths", []float64{1}, []float64{0, 1}, []float64{1}, "must match"},
		{"zero weight", []float64{0, 1}, []float64{0, 1}, []float64{1, 1}, "weight 0"},
		{"negative stddev", []float64{1}, []float64{0}, []float64{-1}, "stddev 0"},
		{"nan mean", []float64{1}, []float64{math.NaN()}, []float64{1}, "mean 0"},
		{"inf weight", []float64{math.Inf(1)}, []float64{0}, []float64{1}, "weight 0"},
	}
	for _, c := range cases {
		_, err := NewMixture1D(c.w, c.m, c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func TestMixture1DNormalizesWeights(t *testing.T) {
	m, err := NewMixture1D([]float64{3, 7}, []float64{0, 1}, []float64{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Weights(); math.Abs(w[0]-0.3) > 1e-15 || math.Abs(w[1]-0.7) > 1e-15 {
		t.Errorf("weights %v, want [0.3 0.7]", w)
	}
}

func TestMixture1DSampleIsReproducible(t *testing.T) {
	m := Bimodal()
	a, b := m.Sample(1000, 42), m.Sample(1000, 42)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("sample %d differs between identical calls: %v vs %v", i, a[i], b[i])
		}
	}
	if c := m.Sample(1000, 43); c[0] == a[0] && c[1] == a[1] {
		t.Errorf("seeds 42 and 43 gave the same first values")
	}
	if got := m.Sample(0, 1); len(got) != 0 {
		t.Errorf("Sample(0) has %d values", len(got))
	}
	if got := m.Sample(-5, 1); len(got) != 0 {
		t.Errorf("Sample(-5) has %d values", len(got))
	}
}

func TestMixture1DSampleMoments(t *testing.T) {
	m := Bimodal()
	xs := m.Sample(400000, 7)
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	n := float64(len(xs))
	mean, variance := s/n, s2/n-(s/n)*(s/n)
	if se := math.Sqrt(m.Variance() / n); math.Abs(mean-m.Mean()) > 5*se {
		t.Errorf("sample mean %v, want %v ± %v", mean, m.Mean(), se)
	}
	if math.Abs(variance-m.Variance()) > 0.01 {
		t.Errorf("sample variance %v, want %v", variance, m.Variance())
	}
	if m.Mean() != 0.25 || math.Abs(m.Variance()-1.4995) > 1e-12 {
		t.Errorf("Bimodal mean %v variance %v, want 0.25 and 1.4995", m.Mean(), m.Variance())
	}
}

func TestMixture1DDensityCDFAndEntropy(t *testing.T) {
	m := Bimodal()
	mass := integrateBreaks(m.Prob, []float64{-12, -1.5, 1, 12}, 1e-12)
	if math.Abs(mass-1) > 1e-10 {
		t.Errorf("∫p = %v, want 1", mass)
	}
	for _, x := range []float64{-3, -1.5, 0, 0.7, 2.5} {
		breaks := []float64{-12, x}
		for _, b := range []float64{-1.5, 1} { // the modes, when inside [-12, x]
			if b < x {
				breaks = append(breaks, b)
			}
		}
		want := integrateBreaks(m.Prob, breaks, 1e-13)
		if got := m.CDF(x); math.Abs(got-want) > 1e-10 {
			t.Errorf("CDF(%v) = %v, ∫p = %v", x, got, want)
		}
	}
	if lp := m.LogProb(-60); math.IsInf(lp, 0) || lp > -3000 {
		t.Errorf("LogProb(-60) = %v, want a finite, very negative value", lp)
	}
	if got, want := m.Entropy(), 1.1736794793947618; math.Abs(got-want) > 1e-9 {
		t.Errorf("Bimodal entropy %.12f, want %.12f", got, want)
	}
}

func TestMixture1DEntropyMatchesClosedFormAndMonteCarlo(t *testing.T) {
	for _, s := range []float64{1e-3, 0.5, 30} {
		g, _ := NewMixture1D([]float64{1}, []float64{2}, []float64{s})
		if got, want := g.Entropy(), 0.5*math.Log(2*math.Pi*math.E*s*s); math.Abs(got-want) > 1e-9 {
			t.Errorf("entropy of N(2, %v²) = %.12f, want %.12f", s, got, want)
		}
	}
	// Two far-apart equal components of very different widths: H = ln 2 + mean component entropy.
	m, _ := NewMixture1D([]float64{1, 1}, []float64{-100, 100}, []float64{0.01, 10})
	want := math.Ln2 + 0.5*(0.5*math.Log(2*math.Pi*math.E*1e-4)+0.5*math.Log(2*math.Pi*math.E*100))
	if got := m.Entropy(); math.Abs(got-want) > 1e-8 {
		t.Errorf("entropy %.12f, want %.12f", got, want)
	}
	// Monte Carlo: -mean log p over samples.
	b := Bimodal()
	xs := b.Sample(200000, 3)
	var s, s2 float64
	for _, x := range xs {
		v := -b.LogProb(x)
		s += v
		s2 += v * v
	}
	n := float64(len(xs))
	mc, se := s/n, math.Sqrt((s2/n-(s/n)*(s/n))/n)
	if math.Abs(mc-b.Entropy()) > 4*se {
		t.Errorf("Monte Carlo entropy %v ± %v, quadrature %v", mc, se, b.Entropy())
	}
}

func TestMixture1DString(t *testing.T) {
	if got := Bimodal().String(); got != "0.3 N(-1.5, 0.5²) + 0.7 N(1, 0.4²)" {
		t.Errorf("String() = %q", got)
	}
}
