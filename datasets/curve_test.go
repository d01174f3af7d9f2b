package datasets

import (
	"math"
	"testing"
)

// TestCurveQuadratureConverged compares the densities with versions built on panels a third as
// long: the quadrature error must be far below anything a trained flow can resolve.
func TestCurveQuadratureConverged(t *testing.T) {
	refine := func(c *curveDensity, build func(c *curveDensity)) *curveDensity {
		fine := newCurveDensity(c.sigma, c.box)
		build(fine)
		fine.finish()
		return fine
	}
	moonsBuild := func(c *curveDensity) {
		u := func(float64) float64 { return 1 / math.Pi }
		p := 3 * c.panelsFor(math.Pi, 1)
		c.addCurve(0.5, 0, math.Pi, p, func(t float64) (float64, float64) { return math.Cos(t), math.Sin(t) }, u)
		c.addCurve(0.5, 0, math.Pi, p, func(t float64) (float64, float64) { return 1 - math.Cos(t), 0.5 - math.Sin(t) }, u)
	}
	spiralBuild := func(c *curveDensity) {
		top := 3 * math.Pi
		q := func(u float64) float64 { return 2 * u / (top * top) }
		p := 3 * c.panelsFor(top, math.Sqrt(1+top*top)/3)
		c.addCurve(0.5, 0, top, p, func(u float64) (float64, float64) { return -u*math.Cos(u)/3 + 1.0/12, u*math.Sin(u)/3 + 1.0/12 }, q)
		c.addCurve(0.5, 0, top, p, func(u float64) (float64, float64) { return u*math.Cos(u)/3 - 1.0/12, -u*math.Sin(u)/3 - 1.0/12 }, q)
	}
	cases := []struct {
		name         string
		coarse, fine *curveDensity
	}{
		{"moons", newMoons(0.1, [2]float64{1, 1}, [2]float64{}).base, refine(newCurveDensity(0.1, 0), moonsBuild)},
		{"2spirals", newTwoSpirals().curveDensity, refine(newCurveDensity(0.1, 1.0/6), spiralBuild)},
	}
	for _, c := range cases {
		r := newRand(2)
		x0, x1, y0, y1 := c.coarse.bounds()
		worst := 0.0
		for i := 0; i < 2000; i++ {
			x, y := x0+(x1-x0)*r.Float64(), y0+(y1-y0)*r.Float64()
			a, b := c.coarse.logProb(x, y), c.fine.logProb(x, y)
			if b > -25 {
				worst = math.Max(worst, math.Abs(a-b))
			}
		}
		if worst > 1e-8 {
			t.Errorf("%s: log-density moves by %.3g when the panels are refined 3x", c.name, worst)
		}
	}
}

func TestCurveFarFallbackAgreesWithNearSum(t *testing.T) {
	c := newSwissRoll().curveDensity
	for _, p := range [][2]float64{{0.5, 0.5}, {2, -1}, {-2.5, 0.3}} {
		near, ok := c.nearProb(p[0], p[1])
		if !ok {
			continue
		}
		if far := c.logProbFar(p[0], p[1]); math.Abs(far-math.Log(near)) > 1e-8 {
			t.Errorf("at %v the near sum gives %v, the full sum %v", p, math.Log(near), far)
		}
	}
	if lp := c.logProb(30, 30); math.IsInf(lp, 0) || lp > -100 {
		t.Errorf("far log-density %v, want finite and very negative", lp)
	}
}
