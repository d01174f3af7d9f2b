package p16_02

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
)

// Monte Carlo design: with 4e6 samples and 20 bins of width 0.05, the least probable
// checked bins ([0.05,0.10] and [0.90,0.95], probability 0.0124 each) have a relative
// standard error of 0.45%, so the 3% tolerance is at least 6.6 standard deviations; the
// test asserts this for every checked bin. The outer bins have an average density near
// 0.03 (< 0.1) and are not checked, as the issue specifies.
const (
	nSamples   = 4_000_000
	nBins      = 20
	seed       = 16_02
	tol        = 0.03
	minDensity = 0.1
	minSigmas  = 5.0
)

// TestProblem16_2 checks the logit-normal density against a Monte Carlo histogram of
// sigmoid(z), z ~ N(0,1). Exact bin probabilities are tanh-sinh integrals of Density, and
// are also compared with Phi(logit(hi)) - Phi(logit(lo)) computed from math.Erf, which
// uses only the monotonicity of the sigmoid, not the derived density.
func TestProblem16_2(t *testing.T) {
	if total := numcheck.TanhSinh(Density, 0, 1); math.Abs(total-1) > 1e-12 {
		t.Fatalf("integral of Density over (0,1) = %.15f, want 1", total)
	}
	phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	h := numcheck.NewHistogram(Sample(nSamples, seed), numcheck.UniformEdges(0, 1, nBins))
	bins := numcheck.CompareHistogram(h, Density)
	for _, b := range bins {
		// Pr(lo < x < hi) = Pr(logit lo < z < logit hi) since the sigmoid is increasing.
		pz := phi(Logit(b.Hi)) - phi(Logit(b.Lo))
		if math.Abs(pz-b.Prob) > 1e-12 {
			t.Errorf("bin [%.2f,%.2f]: quadrature of Density %.15f, normal probability %.15f", b.Lo, b.Hi, b.Prob, pz)
		}
	}
	v := numcheck.JudgeBins(bins, tol, minDensity, minSigmas)
	for _, b := range v.Unsound {
		t.Fatalf("unsound design: bin [%.2f,%.2f] relative sd %.4f, tolerance %.2f < %g sd",
			b.Lo, b.Hi, b.RelSigma, tol, minSigmas)
	}
	for _, b := range v.Failed {
		t.Errorf("bin [%.2f,%.2f]: MC %.5f exact %.5f rel err %.4f > %.2f",
			b.Lo, b.Hi, b.MCDensity, b.ExactDensity, b.RelErr, tol)
	}
	checked, worst := v.Checked, v.Worst
	if checked != nBins-2 {
		t.Errorf("checked %d bins, want %d (all but the two outermost)", checked, nBins-2)
	}
	t.Logf("n=%d, %d bins checked, max relative error %.4f (tolerance %.2f)", nSamples, checked, worst, tol)

	// Pointwise change of variables: Pr(x) |dx/dz| = Pr(z).
	for _, z := range []float64{-3, -0.7, 0, 0.4, 2.5} {
		dxdz := numcheck.DerivativeFD(Sigmoid, z, 1e-5)
		if got, want := Density(Sigmoid(z))*dxdz, StdNormal(z); math.Abs(got-want) > 1e-9*want {
			t.Errorf("z=%g: Pr(x)|dx/dz| = %.12g, want %.12g", z, got, want)
		}
	}
	// Symmetry of the logit-normal with mean 0: Pr(x) = Pr(1 - x).
	for _, x := range []float64{0.01, 0.2, 0.45} {
		if a, b := Density(x), Density(1-x); math.Abs(a-b) > 1e-12*a {
			t.Errorf("Density(%g)=%g != Density(%g)=%g", x, a, 1-x, b)
		}
	}
}
