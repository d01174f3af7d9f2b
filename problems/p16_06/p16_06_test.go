package p16_06

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// TestProblem16_6 checks Pr(x) = Norm_x[A mu + b, A Sigma A^T] three ways:
//  1. pointwise: the change-of-variables log density (LogDensity) equals gonum's
//     distmv.Normal log density with the pushed parameters at 200 random points
//     (absolute 1e-11 on log densities of size ~10);
//  2. moments: 10^6 pushed samples have mean A mu + b and covariance A Sigma A^T within
//     5 standard errors per entry;
//  3. distribution: the histogram of the standardized first coordinate
//     (x_1 - m_1)/sqrt(C_11) matches N(0, 1), max relative error 3% on bins whose density
//     exceeds 0.1 (the 6 bins with |u| < 1.5, each >= 5 sd inside the tolerance; asserted).
func TestProblem16_6(t *testing.T) {
	a, b, mu, sigma := Example()
	mean, cov := PushedParameters(a, b, mu, sigma)
	ref, ok := distmv.NewNormal(mean, cov, nil)
	if !ok {
		t.Fatal("A Sigma A^T is not positive definite")
	}

	// 1. Pointwise identity.
	r := rand.New(rand.NewPCG(16, 6))
	worst := 0.0
	for k := 0; k < 200; k++ {
		x := make([]float64, 3)
		for i := range x {
			x[i] = mean[i] + 3*r.NormFloat64()*math.Sqrt(cov.At(i, i))
		}
		got, want := LogDensity(x, a, b, mu, sigma), ref.LogProb(x)
		worst = math.Max(worst, math.Abs(got-want))
	}
	t.Logf("pointwise: max |log Pr_cov(x) - log Norm(x; A mu + b, A Sigma A^T)| = %.2e", worst)
	if worst > 1e-11 {
		t.Errorf("change-of-variables density differs from the pushed normal by %.3e", worst)
	}

	// 2. Moments.
	xs := SampleX(1_000_000, 16_06, a, b, mu, sigma)
	meanDev, covDev, w := numcheck.MomentDeviations(xs, mean, cov.At)
	t.Logf("moments: largest deviation %.2f SE (tolerance 5)", w)
	for i := range meanDev {
		if meanDev[i] > 5 {
			t.Errorf("mean[%d] off by %.1f SE", i, meanDev[i])
		}
		for j := range covDev[i] {
			if covDev[i][j] > 5 {
				t.Errorf("cov[%d][%d] off by %.1f SE", i, j, covDev[i][j])
			}
		}
	}

	// 3. Marginal distribution of x_1, standardized with the claimed mean and variance:
	// u = (x_1 - m_1) / sqrt(C_11) must be N(0, 1). Bins of width 0.5 on [-3, 3].
	m1, s1 := mean[0], math.Sqrt(cov.At(0, 0))
	marg := func(u float64) float64 { return math.Exp(-0.5*u*u) / math.Sqrt(2*math.Pi) }
	u1 := make([]float64, len(xs))
	for i, x := range xs {
		u1[i] = (x[0] - m1) / s1
	}
	h := numcheck.NewHistogram(u1, numcheck.UniformEdges(-3, 3, 12))
	checked, worstRel := 0, 0.0
	for _, bc := range numcheck.CompareHistogram(h, marg) {
		if bc.ExactDensity <= 0.1 {
			continue
		}
		checked++
		if 0.03 < 5*bc.RelSigma {
			t.Fatalf("unsound design: bin [%.2f,%.2f] relative sd %.4f", bc.Lo, bc.Hi, bc.RelSigma)
		}
		worstRel = math.Max(worstRel, bc.RelErr)
		if bc.RelErr > 0.03 {
			t.Errorf("x_1 bin [%.2f,%.2f]: MC %.4f, normal %.4f", bc.Lo, bc.Hi, bc.MCDensity, bc.ExactDensity)
		}
	}
	t.Logf("standardized marginal of x_1: %d bins checked, max relative error %.4f (tolerance 0.03)", checked, worstRel)
	if checked != 6 {
		t.Errorf("only %d bins checked", checked)
	}
	if d := mat.Det(a); d >= 0 {
		t.Errorf("example A should have a negative determinant, got %g", d)
	}
}
