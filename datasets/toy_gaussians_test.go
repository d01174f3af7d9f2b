package datasets

import (
	"math"
	"testing"
)

func TestEightGaussiansSampleStatistics(t *testing.T) {
	const n = 400000
	g := newEightGaussians()
	rows := mustToy(t, "8gaussians").Sample(n, 8)
	var sx, sy float64
	var counts [8]int
	var within float64 // Σ squared distance to the nearest center.
	for _, r := range rows {
		sx += r[0]
		sy += r[1]
		best, bestD := 0, math.Inf(1)
		for k := range g.cx {
			if d := math.Hypot(r[0]-g.cx[k], r[1]-g.cy[k]); d < bestD {
				best, bestD = k, d
			}
		}
		counts[best]++
		within += bestD * bestD
	}
	// Mean ~0: the variance per axis is (4/1.414)²/2 + σ² ≈ 4.13.
	se := math.Sqrt(4.13 / n)
	if math.Abs(sx/n) > 5*se || math.Abs(sy/n) > 5*se {
		t.Errorf("sample mean (%.4f, %.4f), want (0, 0) ± %.4f", sx/n, sy/n, se)
	}
	cse := math.Sqrt(n * (1.0 / 8) * (7.0 / 8))
	for k, c := range counts {
		if math.Abs(float64(c)-n/8) > 5*cse {
			t.Errorf("center %d got %d samples, want %d ± %.0f", k, c, n/8, cse)
		}
	}
	// Within-cluster spread: E|x - c|² = 2σ², σ = 0.5/1.414.
	if s := 0.5 / 1.414; math.Abs(within/n-2*s*s) > 0.01*2*s*s {
		t.Errorf("mean squared distance to the center %.5f, want %.5f", within/n, 2*s*s)
	}
}

func TestEightGaussiansLogProbIsTheMixture(t *testing.T) {
	toy := mustToy(t, "8gaussians")
	s := 0.5 / 1.414
	r := 4 / 1.414
	for _, p := range [][2]float64{{0, 0}, {r, 0}, {r / math.Sqrt2, -r / math.Sqrt2}, {1.3, -0.2}, {40, 40}} {
		var sum float64
		for k := 0; k < 8; k++ {
			a := float64(k) * math.Pi / 4 // the 8 centers are at every multiple of 45°.
			cx, cy := r*math.Cos(a), r*math.Sin(a)
			d2 := (p[0]-cx)*(p[0]-cx) + (p[1]-cy)*(p[1]-cy)
			sum += math.Exp(-d2/(2*s*s)) / (2 * math.Pi * s * s) / 8
		}
		lp, _ := toy.LogProb(p[0], p[1])
		if sum > 0 && math.Abs(lp-math.Log(sum)) > 1e-12*math.Max(1, math.Abs(lp)) {
			t.Errorf("LogProb(%v) = %v, mixture gives %v", p, lp, math.Log(sum))
		}
		if sum == 0 && (math.IsInf(lp, 0) || lp > -700) {
			t.Errorf("LogProb(%v) = %v, want finite and below -700", p, lp)
		}
	}
	// Adjacent centers are 6.1σ apart, so the components barely overlap: H is just below the
	// disjoint value ln 8 + ln(2πe σ²) (by 0.0063 nats).
	h, _ := toy.BayesNLL()
	if bound := math.Log(8) + 1 + math.Log(2*math.Pi*s*s); h > bound || bound-h > 0.01 {
		t.Errorf("BayesNLL %.6f, want just below ln 8 + ln(2πeσ²) = %.6f", h, bound)
	}
}
