package datasets

import (
	"math"
	"math/rand/v2"
)

// swissRoll is FFJORD's "swissroll": sklearn's make_swiss_roll(n, noise=1.0), keeping the
// first and third coordinates, divided by 5:
//
//	t ~ U[1.5π, 4.5π],   x = (t cos t + ε_1, t sin t + ε_2) / 5,   ε ~ N(0, I₂),
//
// a spiral of 1.5 turns blurred by N(0, 0.2² I₂), whose density is
// p(x) = ∫ (1/(3π)) N(x; (t cos t, t sin t)/5, 0.04 I) dt over [1.5π, 4.5π].
type swissRoll struct{ *curveDensity }

func newSwissRoll() swissRoll {
	c := newCurveDensity(0.2, 0)
	a, b := 1.5*math.Pi, 4.5*math.Pi
	speed := math.Sqrt(1+b*b) / 5 // |d/dt (t cos t, t sin t)/5| = √(1+t²)/5.
	c.addCurve(1, a, b, c.panelsFor(b-a, speed),
		func(t float64) (float64, float64) { return t * math.Cos(t) / 5, t * math.Sin(t) / 5 },
		func(float64) float64 { return 1 / (b - a) })
	c.finish()
	return swissRoll{c}
}

func (s swissRoll) sample(r *rand.Rand, n int, out []float64) {
	for i := 0; i < n; i++ {
		t := 1.5 * math.Pi * (1 + 2*r.Float64())
		out[2*i] = (t*math.Cos(t) + r.NormFloat64()) / 5
		out[2*i+1] = (t*math.Sin(t) + r.NormFloat64()) / 5
	}
}
