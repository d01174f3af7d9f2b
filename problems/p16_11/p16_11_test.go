package p16_11

import (
	"math"
	"testing"
)

// TestProblem16_11 shows numerically that the scale K of the target does not matter:
// with 10^4 fixed draws z_i and the affine flow x = a z + b at a non-stationary point
// (a, b) = (0.7, 0.3), for K in {1e-3, 1, 1e3}:
//   - the automatic-differentiation gradient of the objective as written (K included)
//     equals the K = 1 gradient to 1e-12 relative;
//   - the objective itself shifts by exactly -log K (absolute 1e-12);
//   - the AD gradient agrees with central finite differences (relative 1e-7) and with the
//     hand-derived, K-free gradient (relative 1e-12);
//   - 200 steps of gradient descent (on the first 2000 draws) end at the same (a, b) for
//     every K (absolute 1e-12).
func TestProblem16_11(t *testing.T) {
	z := BaseDraws(10_000, 16_11)
	const a, b = 0.7, 0.3
	l1 := ReverseKL(a, b, 1, z)
	ga1, gb1 := ReverseKLGrad(a, b, 1, z)
	if math.Abs(ga1) < 0.1 || math.Abs(gb1) < 0.1 {
		t.Fatalf("test point is nearly stationary (%g, %g); relative comparisons would be weak", ga1, gb1)
	}
	rel := func(x, y float64) float64 { return math.Abs(x-y) / math.Abs(y) }

	// AD vs FD and vs the analytic formula at K = 1.
	const h = 1e-6
	fda := (ReverseKL(a+h, b, 1, z) - ReverseKL(a-h, b, 1, z)) / (2 * h)
	fdb := (ReverseKL(a, b+h, 1, z) - ReverseKL(a, b-h, 1, z)) / (2 * h)
	if rel(fda, ga1) > 1e-7 || rel(fdb, gb1) > 1e-7 {
		t.Errorf("AD gradient (%.12g, %.12g) vs FD (%.12g, %.12g)", ga1, gb1, fda, fdb)
	}
	aa, ab := ReverseKLGradAnalytic(a, b, z)
	if rel(aa, ga1) > 1e-12 || rel(ab, gb1) > 1e-12 {
		t.Errorf("AD gradient (%.17g, %.17g) vs analytic (%.17g, %.17g)", ga1, gb1, aa, ab)
	}

	zFit := z[:2000] // the descent uses the first 2000 draws to keep the test fast
	a1, b1 := Fit(1, zFit, 0.5, 0, 200, 0.05)
	for _, k := range []float64{1e-3, 1, 1e3} {
		lk := ReverseKL(a, b, k, z)
		if d := (lk - l1) + math.Log(k); math.Abs(d) > 1e-12 {
			t.Errorf("K=%g: objective shift %.17g, want -log K = %.17g", k, lk-l1, -math.Log(k))
		}
		ga, gb := ReverseKLGrad(a, b, k, z)
		ra, rb := rel(ga, ga1), rel(gb, gb1)
		t.Logf("K=%-6g objective %.12f (shift %+.12f), gradient (%.15f, %.15f), relative change (%.1e, %.1e)",
			k, lk, lk-l1, ga, gb, ra, rb)
		if ra > 1e-12 || rb > 1e-12 {
			t.Errorf("K=%g: gradient changed by (%.3e, %.3e) relative", k, ra, rb)
		}
		ak, bk := Fit(k, zFit, 0.5, 0, 200, 0.05)
		if math.Abs(ak-a1) > 1e-12 || math.Abs(bk-b1) > 1e-12 {
			t.Errorf("K=%g: gradient descent ended at (%.15f, %.15f), K=1 at (%.15f, %.15f)", k, ak, bk, a1, b1)
		}
	}
	ga, gb := ReverseKLGrad(a1, b1, 1, zFit)
	t.Logf("gradient descent (200 steps) ends at a = %.6f, b = %.6f for every K; gradient there (%.1e, %.1e)", a1, b1, ga, gb)
}
