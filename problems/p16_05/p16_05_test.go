package p16_05

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
)

// checkMoments fails the test when a sample moment of xs deviates from the wanted value by
// more than k standard errors (see numcheck.MomentDeviations) and returns the largest
// deviation in standard errors.
func checkMoments(t *testing.T, xs [][]float64, wantMean []float64, wantCov mat.Matrix, k float64) float64 {
	t.Helper()
	meanDev, covDev, worst := numcheck.MomentDeviations(xs, wantMean, wantCov.At)
	for i, d := range meanDev {
		if d > k {
			t.Errorf("mean[%d] deviates by %.1f SE > %g", i, d, k)
		}
		for j, d := range covDev[i] {
			if d > k {
				t.Errorf("cov[%d][%d] deviates by %.1f SE > %g", i, j, d, k)
			}
		}
	}
	return worst
}

// TestProblem16_5 checks E[x] = A mu + b and Cov[x] = A Sigma A^T for x = A z + b with 10^6
// samples of a non-Gaussian z and a rectangular A. Tolerance: 5 standard errors per entry
// (14 checked entries for z and x; under the normal approximation a false failure has
// probability below 1e-5 before the seed is fixed, and the seed makes the run deterministic).
func TestProblem16_5(t *testing.T) {
	e := NewExample()
	zs := e.SampleZ(1_000_000, 16_05)
	// The base samples themselves must have the stated moments (validates the sampler).
	wz := checkMoments(t, zs, e.Mu, e.Sigma, 5)
	xs := PushAll(e.A, e.B, zs)
	wx := checkMoments(t, xs, Mean(e.A, e.Mu, e.B), Covariance(e.A, e.Sigma), 5)
	t.Logf("largest deviation: z moments %.2f SE, x moments %.2f SE (tolerance 5 SE)", wz, wx)

	// The same identities hold exactly for the sample moments (linearity of averages):
	// mean_x = A mean_z + b and S_x = A S_z A^T up to rounding.
	mz, cz := numcheck.Moments(zs)
	mx, cx := numcheck.Moments(xs)
	pm := Mean(e.A, mz, e.B)
	var czm mat.Dense
	czm.CloneFrom(toDense(cz))
	pc := Covariance(e.A, &czm)
	for i := range mx {
		if math.Abs(pm[i]-mx[i]) > 1e-10 {
			t.Errorf("sample mean identity: %g vs %g", pm[i], mx[i])
		}
		for j := range mx {
			if math.Abs(pc.At(i, j)-cx[i][j]) > 1e-9 {
				t.Errorf("sample covariance identity [%d][%d]: %g vs %g", i, j, pc.At(i, j), cx[i][j])
			}
		}
	}
}

func toDense(a [][]float64) *mat.Dense {
	m := mat.NewDense(len(a), len(a[0]), nil)
	for i := range a {
		m.SetRow(i, a[i])
	}
	return m
}
