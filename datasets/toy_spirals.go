package datasets

import (
	"math"
	"math/rand/v2"
)

// twoSpirals is FFJORD's "2spirals". With u = 3π√U (U ~ U[0, 1), so u has density
// 2u/(3π)² on [0, 3π]) and V ~ U[0, 1)², a base point is
//
//	b = (-u cos u, u sin u) + V/2;
//
// the first half of the rows is b/3, the second half the mirror images -b/3 of the same base
// points, and every row gets N(0, 0.1² I₂) noise. (FFJORD returns the halves in that order; this
// generator shuffles the rows so every prefix is a fair sample, and for odd n gives the extra
// row to the first spiral.) Since the two halves are mirror images and the noise is symmetric,
//
//	p(x) = ½ p₊(x) + ½ p₊(-x),   p₊(x) = ∫_0^{3π} (2u/(3π)²) Π_a B(x_a - c_a(u)) du,
//
// with c(u) = (-u cos u, u sin u)/3 + (1/12, 1/12) the center of the box V/6 and B the density
// of U[-1/12, 1/12] + N(0, 0.1²).
type twoSpirals struct{ *curveDensity }

func newTwoSpirals() twoSpirals {
	c := newCurveDensity(0.1, 1.0/6)
	top := 3 * math.Pi
	speed := math.Sqrt(1+top*top) / 3
	q := func(u float64) float64 { return 2 * u / (top * top) }
	panels := c.panelsFor(top, speed)
	c.addCurve(0.5, 0, top, panels, func(u float64) (float64, float64) {
		return -u*math.Cos(u)/3 + 1.0/12, u*math.Sin(u)/3 + 1.0/12
	}, q)
	c.addCurve(0.5, 0, top, panels, func(u float64) (float64, float64) {
		return u*math.Cos(u)/3 - 1.0/12, -u*math.Sin(u)/3 - 1.0/12
	}, q)
	c.finish()
	return twoSpirals{c}
}

func (s twoSpirals) sample(r *rand.Rand, n int, out []float64) {
	first := n - n/2
	for i := 0; i < first; i++ {
		u := math.Sqrt(r.Float64()) * 3 * math.Pi
		bx := -math.Cos(u)*u + r.Float64()*0.5
		by := math.Sin(u)*u + r.Float64()*0.5
		out[2*i], out[2*i+1] = bx/3, by/3
		if j := first + i; j < n {
			out[2*j], out[2*j+1] = -bx/3, -by/3
		}
	}
	for i := 0; i < 2*n; i++ {
		out[i] += 0.1 * r.NormFloat64()
	}
	shuffleRows(r, n, out)
}
