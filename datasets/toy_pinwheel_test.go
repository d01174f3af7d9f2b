package datasets

import (
	"math"
	"testing"
)

// pinwheelMap is the generator's map from (f₀, f₁) on arm c to the plane.
func pinwheelMap(c int, f0, f1 float64) (float64, float64) {
	th := 2*math.Pi*float64(c)/5 + 0.25*math.Exp(f0)
	return 2 * (f0*math.Cos(th) + f1*math.Sin(th)), 2 * (-f0*math.Sin(th) + f1*math.Cos(th))
}

func TestPinwheelJacobianDeterminant(t *testing.T) {
	// The density divides by |det ∂x/∂f| = 4 |1 + 0.25 e^{f₀} f₁|; check it by central differences.
	r := newRand(4)
	for i := 0; i < 50; i++ {
		f0, f1, c := 1+0.3*r.NormFloat64(), 0.1*r.NormFloat64(), r.IntN(5)
		const h = 1e-6
		x1, y1 := pinwheelMap(c, f0+h, f1)
		x0, y0 := pinwheelMap(c, f0-h, f1)
		x3, y3 := pinwheelMap(c, f0, f1+h)
		x2, y2 := pinwheelMap(c, f0, f1-h)
		det := ((x1-x0)*(y3-y2) - (x3-x2)*(y1-y0)) / (4 * h * h)
		if want := 4 * (1 + 0.25*math.Exp(f0)*f1); math.Abs(det-want) > 1e-6*math.Abs(want) {
			t.Errorf("det at f=(%.3f, %.3f) = %.8f, formula %.8f", f0, f1, det, want)
		}
	}
}

func TestPinwheelLogProbCountsEveryPreimage(t *testing.T) {
	// At x = T_c(f) the density includes that preimage's own contribution, and (away from
	// other preimages) equals it.
	pw := newPinwheel()
	r := newRand(6)
	for i := 0; i < 50; i++ {
		f0, f1, c := 1+0.3*r.NormFloat64(), 0.1*r.NormFloat64(), r.IntN(5)
		x, y := pinwheelMap(c, f0, f1)
		own := pinLogNorm - 0.5*((f0-1)/0.3)*((f0-1)/0.3) - 0.5*(f1/0.1)*(f1/0.1) -
			math.Log(math.Abs(1+0.25*math.Exp(f0)*f1))
		got := pw.logProb(x, y)
		if got < own-1e-9 {
			t.Errorf("logProb(T(%.3f, %.3f)) = %v misses the preimage's own %v", f0, f1, got, own)
		}
	}
}

func TestPinwheelFiveFoldSymmetryAndMoments(t *testing.T) {
	toy := mustToy(t, "pinwheel")
	s, c := math.Sincos(2 * math.Pi / 5)
	for _, p := range [][2]float64{{1.1, 0.4}, {-0.3, 2.2}, {0.05, -0.02}, {3, -3}} {
		a, _ := toy.LogProb(p[0], p[1])
		b, _ := toy.LogProb(c*p[0]-s*p[1], s*p[0]+c*p[1])
		if math.Abs(a-b) > 1e-8 {
			t.Errorf("LogProb(%v) = %v, rotated by 72°: %v", p, a, b)
		}
	}
	// E|x|² = 4 E[f₀² + f₁²] = 4 (1 + 0.09 + 0.01) = 4.4; the mean is 0 by symmetry.
	const n = 400000
	rows := toy.Sample(n, 7)
	var r2 float64
	for _, r := range rows {
		r2 += (r[0]*r[0] + r[1]*r[1]) / n
	}
	if math.Abs(r2-4.4) > 0.02 {
		t.Errorf("E|x|² = %.4f, want 4.4", r2)
	}
	mean, _ := moments(rows)
	if math.Abs(mean[0]) > 0.01 || math.Abs(mean[1]) > 0.01 {
		t.Errorf("mean %v, want (0, 0)", mean)
	}
	// FFJORD drops n mod 5 rows; this generator returns exactly n.
	if got := len(toy.Sample(13, 1)); got != 13 {
		t.Errorf("Sample(13) gave %d rows", got)
	}
}
