package p16_01

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
)

// Monte Carlo design shared by the histogram checks: n samples, equal-width bins, and a bin
// is checked when the bin average of the exact density exceeds minDensity. The tolerance
// tol on the relative error must be at least minSigmas binomial standard deviations for every
// checked bin, otherwise the test itself is unsound and fails.
const (
	nSamples   = 2_000_000
	nBins      = 20
	seed       = 16_01
	tol        = 0.03
	minDensity = 0.1
	minSigmas  = 5.0
)

// TestProblem16_1 checks Pr(x) = 1/(2 sqrt x) against a Monte Carlo histogram of z^2,
// z ~ U[0,1]. The exact bin probability is the tanh-sinh integral of Density itself (not of
// the derived CDF), so the check is independent of the derivation; the bin average (not the
// mid-point value) is compared because the density has an integrable spike at x = 0.
func TestProblem16_1(t *testing.T) {
	// The density must integrate to one over its support.
	if total := numcheck.TanhSinh(Density, 0, 1); math.Abs(total-1) > 1e-12 {
		t.Fatalf("integral of Density over [0,1] = %.15f, want 1", total)
	}
	h := numcheck.NewHistogram(Sample(nSamples, seed), numcheck.UniformEdges(0, 1, nBins))
	bins := numcheck.CompareHistogram(h, Density)
	for _, b := range bins {
		// The derived CDF must give the same bin probability as quadrature of Density.
		if p := CDF(b.Hi) - CDF(b.Lo); math.Abs(p-b.Prob) > 1e-12 {
			t.Errorf("bin [%.3f,%.3f]: CDF difference %.15f, quadrature %.15f", b.Lo, b.Hi, p, b.Prob)
		}
	}
	v := numcheck.JudgeBins(bins, tol, minDensity, minSigmas)
	for _, b := range v.Unsound {
		t.Fatalf("unsound design: bin [%.3f,%.3f] has relative sd %.4f, tolerance %.3f is < %g sd",
			b.Lo, b.Hi, b.RelSigma, tol, minSigmas)
	}
	for _, b := range v.Failed {
		t.Errorf("bin [%.3f,%.3f]: MC density %.5f, exact bin average %.5f, rel err %.4f > %.2f",
			b.Lo, b.Hi, b.MCDensity, b.ExactDensity, b.RelErr, tol)
	}
	checked, worst := v.Checked, v.Worst
	if checked != nBins {
		t.Errorf("checked %d bins, want all %d (density >= 1/2 on (0,1])", checked, nBins)
	}
	t.Logf("n=%d, %d bins checked, max relative error %.4f (tolerance %.2f)", nSamples, checked, worst, tol)

	// Spot check of the change of variables itself: Pr(x) dx = Pr(z) dz with Pr(z) = 1.
	for _, z := range []float64{0.1, 0.37, 0.8, 0.999} {
		dxdz := numcheck.DerivativeFD(Forward, z, 1e-6)
		if got := Density(Forward(z)) * dxdz; math.Abs(got-1) > 1e-8 {
			t.Errorf("Pr(x) |dx/dz| at z=%g = %.12f, want Pr(z) = 1", z, got)
		}
	}
	if Density(-0.1) != 0 || Density(1.1) != 0 {
		t.Error("Density must vanish outside [0, 1]")
	}
}
