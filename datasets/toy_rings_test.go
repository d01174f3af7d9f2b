package datasets

import (
	"math"
	"testing"
)

func TestRingsPutTheFFJORDCountsOnEachRing(t *testing.T) {
	radii := []float64{3, 2.25, 1.5, 0.75}
	for _, n := range []int{4, 1003, 20000} {
		rows := mustToy(t, "rings").Sample(n, 4)
		counts := make([]int, 4)
		var dev2 float64
		for _, r := range rows {
			rho := math.Hypot(r[0], r[1])
			best := 0
			for k := range radii {
				if math.Abs(rho-radii[k]) < math.Abs(rho-radii[best]) {
					best = k
				}
			}
			counts[best]++
			dev2 += (rho - radii[best]) * (rho - radii[best])
		}
		q := n / 4
		if want := []int{q, q, q, n - 3*q}; counts[0] != want[0] || counts[1] != want[1] || counts[2] != want[2] || counts[3] != want[3] {
			t.Errorf("n=%d: ring counts %v, want %v", n, counts, want)
		}
		if n == 20000 {
			// Radial deviations have a standard deviation close to the noise σ = 0.08.
			if rms := math.Sqrt(dev2 / float64(n)); math.Abs(rms-0.08) > 0.003 {
				t.Errorf("radial rms deviation %.4f, want about 0.08", rms)
			}
		}
	}
}

func TestCirclesSampleStatistics(t *testing.T) {
	const n = 100000
	rows := mustToy(t, "circles").Sample(n, 6)
	outer := 0
	var sx, sy float64
	for _, r := range rows {
		if math.Hypot(r[0], r[1]) > 2.25 {
			outer++
		}
		sx += r[0]
		sy += r[1]
	}
	// Half the points on radius 3; P(noise crosses 2.25) is about 1e-3 either way.
	if f := float64(outer) / n; math.Abs(f-0.5) > 0.005 {
		t.Errorf("fraction on the outer circle %.4f, want 0.5", f)
	}
	if math.Abs(sx/n) > 0.02 || math.Abs(sy/n) > 0.02 {
		t.Errorf("mean (%.4f, %.4f), want (0, 0)", sx/n, sy/n)
	}
}

func TestConcentricDensityIsRadialAndMatchesDirectIntegral(t *testing.T) {
	c := newRings()
	// p(x) = Σ w_k (1/2π) ∫ N(x; r_k(cos a, sin a), σ²I) da, by the trapezoid rule on the circle.
	for _, p := range [][2]float64{{0, 0}, {3.05, 0.1}, {-1.0, 1.2}, {0.3, -0.6}, {5, 5}} {
		var want float64
		const m = 20000
		for k, r := range c.radii {
			for i := 0; i < m; i++ {
				a := 2 * math.Pi * float64(i) / m
				dx, dy := p[0]-r*math.Cos(a), p[1]-r*math.Sin(a)
				want += c.weights[k] / m * math.Exp(-(dx*dx+dy*dy)/(2*c.sigma*c.sigma)) / (2 * math.Pi * c.sigma * c.sigma)
			}
		}
		got := c.logProb(p[0], p[1])
		if want > 1e-300 && math.Abs(got-math.Log(want)) > 1e-9 {
			t.Errorf("rings logProb(%v) = %v, direct integral %v", p, got, math.Log(want))
		}
		if rot := c.logProb(-p[1], p[0]); math.Abs(rot-got) > 1e-12 {
			t.Errorf("rings density is not rotation invariant at %v", p)
		}
	}
}
