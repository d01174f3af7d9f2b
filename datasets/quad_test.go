package datasets

import (
	"math"
	"testing"
)

func TestGaussLegendreIsExactForPolynomials(t *testing.T) {
	for _, m := range []int{1, 2, 5, 8, 16} {
		x, w := gaussLegendre(m)
		for deg := 0; deg <= 2*m-1; deg++ {
			var got float64
			for i := range x {
				got += w[i] * math.Pow(x[i], float64(deg))
			}
			want := 0.0
			if deg%2 == 0 {
				want = 2 / float64(deg+1)
			}
			if math.Abs(got-want) > 1e-13 {
				t.Errorf("m=%d: ∫x^%d = %v, want %v", m, deg, got, want)
			}
		}
	}
}

func TestAdaptiveSimpson(t *testing.T) {
	got := adaptiveSimpson(math.Sin, 0, math.Pi, 1e-12)
	if math.Abs(got-2) > 1e-11 {
		t.Errorf("∫_0^π sin = %v, want 2", got)
	}
	// A narrow peak between break points is not stepped over.
	peak := func(x float64) float64 { return math.Exp(-x*x/(2*1e-6)) / math.Sqrt(2*math.Pi*1e-6) }
	got = integrateBreaks(peak, []float64{-10, 10, -0.01, 0, 0.01}, 1e-12)
	if math.Abs(got-1) > 1e-9 {
		t.Errorf("narrow Gaussian integrates to %v, want 1", got)
	}
}

func TestI0eAgainstItsIntegral(t *testing.T) {
	// I0e(z) = (1/2π) ∫_0^{2π} exp(z (cos θ - 1)) dθ; the trapezoid rule is spectrally accurate
	// for this periodic integrand once its steps resolve the peak of width 1/√z.
	for _, z := range []float64{0, 1e-3, 0.5, 3, 10, 24.99, 25.01, 60, 500, 1e5} {
		n := 64 + 4*int(40*math.Sqrt(z))
		var want float64
		for i := 0; i < n; i++ {
			want += math.Exp(z * (math.Cos(2*math.Pi*float64(i)/float64(n)) - 1))
		}
		want /= float64(n)
		got := i0e(z)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("i0e(%v) = %.16g, want %.16g (rel %.2g)", z, got, want, math.Abs(got-want)/want)
		}
		if i0e(-z) != got {
			t.Errorf("i0e is not even at %v", z)
		}
	}
}

func TestLogNormCDF(t *testing.T) {
	// Continuity across the switch to the asymptotic series, and agreement with erfc where
	// both are accurate.
	for _, z := range []float64{5, 0, -5, -20, -29.999, -30.001, -37} {
		direct := math.Log(0.5 * math.Erfc(-z*invSqrt2))
		if got := logNormCDF(z); math.Abs(got-direct) > 1e-12*math.Max(1, math.Abs(direct)) {
			t.Errorf("logNormCDF(%v) = %v, erfc gives %v", z, got, direct)
		}
	}
	if got := logNormCDF(-1e4); math.IsInf(got, 0) || got > -5e7 {
		t.Errorf("logNormCDF(-1e4) = %v, want a finite value near -5e7", got)
	}
	// log(Φ(a) - Φ(b)) in both tails and across zero.
	for _, c := range [][2]float64{{1, -1}, {45, 44}, {-44, -45}, {0.5, 0.25}, {-0.25, -0.5}} {
		a, b := c[0], c[1]
		got := logDiffNormCDF(a, b)
		var want float64
		if a > 0 && b > 0 {
			want = logSumExp([]float64{logNormCDF(-b)}) + math.Log1p(-math.Exp(logNormCDF(-a)-logNormCDF(-b)))
		} else {
			want = math.Log(0.5 * (math.Erfc(-a*invSqrt2) - math.Erfc(-b*invSqrt2)))
			if a < -30 {
				want = logNormCDF(a) + math.Log1p(-math.Exp(logNormCDF(b)-logNormCDF(a)))
			}
		}
		if math.IsInf(got, 0) || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("logDiffNormCDF(%v, %v) = %v, want %v", a, b, got, want)
		}
	}
	if !math.IsInf(logDiffNormCDF(1, 1), -1) {
		t.Errorf("logDiffNormCDF(1, 1) should be -Inf")
	}
}

func TestLogSumExp(t *testing.T) {
	if got := logSumExp([]float64{1000, 1000}); math.Abs(got-(1000+math.Ln2)) > 1e-12 {
		t.Errorf("logSumExp(1000, 1000) = %v", got)
	}
	if got := logSumExp(nil); !math.IsInf(got, -1) {
		t.Errorf("logSumExp() = %v, want -Inf", got)
	}
	if got := logSumExp([]float64{math.Inf(-1), math.Inf(-1)}); !math.IsInf(got, -1) {
		t.Errorf("logSumExp(-Inf, -Inf) = %v, want -Inf", got)
	}
}

func TestGridMassEntropyOfAGaussian(t *testing.T) {
	const s = 0.7
	logp := func(x, y float64) float64 { return -(x*x+y*y)/(2*s*s) - ln2Pi - 2*math.Log(s) }
	mass, h := gridMassEntropy(logp, -10*s, 10*s, -10*s, 10*s, s/4)
	if math.Abs(mass-1) > 1e-9 {
		t.Errorf("mass %v, want 1", mass)
	}
	if want := 1 + ln2Pi + 2*math.Log(s); math.Abs(h-want) > 1e-8 {
		t.Errorf("entropy %v, want %v", h, want)
	}
}

// TestAdaptiveSimpsonTerminatesOnHardIntegrand asks for an impossible tolerance on a
// discontinuous, oscillating integrand: the evaluation budget must end it.
func TestAdaptiveSimpsonTerminatesOnHardIntegrand(t *testing.T) {
	calls := 0
	f := func(x float64) float64 {
		calls++
		if x > 0.3 {
			return math.Sin(1/(x-0.3+1e-300)) + 1
		}
		return 0
	}
	v := adaptiveSimpson(f, 0, 1, 0)
	// Each pending recursion level may finish its two evaluations: at most 2·40 past the budget, plus the first 3.
	if calls > maxSimpsonEvals+2*40+3 || math.IsNaN(v) {
		t.Fatalf("%d evaluations (budget %d), value %v", calls, maxSimpsonEvals, v)
	}
}
