package datasets

import (
	"math"
	"math/rand/v2"
)

// concentric is a mixture of noisy circles centered at the origin, FFJORD's "rings" and
// "circles". The generator puts counts[k] points on the circle of radius r_k at the evenly
// spaced angles 2πi/counts[k] (NumPy's linspace with endpoint=False), shuffles the rows, then
// adds N(0, σ² I₂) noise. As n → ∞ the angle becomes uniform and the density is
//
//	p(x) = Σ_k w_k (1/(2πσ²)) exp(-(ρ - r_k)²/(2σ²)) I0e(ρ r_k/σ²),   ρ = |x|,
//
// the convolution of the uniform density on each circle with the Gaussian, where
// I0e(z) = e^{-z} I0(z) is the scaled modified Bessel function and w_k the limiting share of
// points on circle k.
type concentric struct {
	radii, weights []float64
	sigma          float64
	counts         func(n int) []int
}

// newRings is FFJORD's "rings": radii 3, 2.25, 1.5, 0.75 (3 × {1, 0.75, 0.5, 0.25}) holding
// n/4, n/4, n/4 points (integer division) and the remaining n - 3⌊n/4⌋ on the smallest, noise
// σ = 0.08 added after the scaling by 3; weights 1/4 each in the limit.
func newRings() *concentric {
	return &concentric{
		radii:   []float64{3, 2.25, 1.5, 0.75},
		weights: []float64{0.25, 0.25, 0.25, 0.25},
		sigma:   0.08,
		counts: func(n int) []int {
			q := n / 4
			return []int{q, q, q, n - 3*q}
		},
	}
}

// newCircles is FFJORD's "circles": sklearn's make_circles(n, factor=0.5, noise=0.08) times 3,
// i.e. ⌊n/2⌋ points on the circle of radius 3 and the rest on radius 1.5, noise σ = 3·0.08 =
// 0.24; weights 1/2 each in the limit.
func newCircles() *concentric {
	return &concentric{
		radii:   []float64{3, 1.5},
		weights: []float64{0.5, 0.5},
		sigma:   0.24,
		counts: func(n int) []int {
			return []int{n / 2, n - n/2}
		},
	}
}

func (c *concentric) sample(r *rand.Rand, n int, out []float64) {
	i := 0
	for k, m := range c.counts(n) {
		for j := 0; j < m; j++ {
			a := 2 * math.Pi * float64(j) / float64(m)
			out[2*i], out[2*i+1] = c.radii[k]*math.Cos(a), c.radii[k]*math.Sin(a)
			i++
		}
	}
	shuffleRows(r, n, out)
	for i := 0; i < 2*n; i++ {
		out[i] += c.sigma * r.NormFloat64()
	}
}

// shuffleRows permutes the n rows [x, y] of out uniformly (Fisher-Yates).
func shuffleRows(r *rand.Rand, n int, out []float64) {
	r.Shuffle(n, func(i, j int) {
		out[2*i], out[2*j] = out[2*j], out[2*i]
		out[2*i+1], out[2*j+1] = out[2*j+1], out[2*i+1]
	})
}

// logRadial returns log p at radius rho.
func (c *concentric) logRadial(rho float64) float64 {
	s2 := c.sigma * c.sigma
	var terms [8]float64
	t := terms[:0]
	for k, rk := range c.radii {
		d := rho - rk
		t = append(t, math.Log(c.weights[k])-ln2Pi-math.Log(s2)-d*d/(2*s2)+math.Log(i0e(rho*rk/s2)))
	}
	return logSumExp(t)
}

func (c *concentric) logProb(x, y float64) float64 { return c.logRadial(math.Hypot(x, y)) }

func (c *concentric) maxRadius() float64 {
	m := 0.0
	for _, r := range c.radii {
		m = math.Max(m, r)
	}
	return m + 8*c.sigma
}

func (c *concentric) bounds() (x0, x1, y0, y1 float64) {
	m := c.maxRadius()
	return -m, m, -m, m
}

// entropy integrates in polar coordinates: H = -∫_0^∞ 2πρ p(ρ) log p(ρ) dρ.
func (c *concentric) entropy() (h, mass float64) {
	top := c.maxRadius() + 6*c.sigma
	breaks := []float64{0, top}
	for _, rk := range c.radii {
		for _, j := range []float64{0, 1, -1, 2, -2, 4, -4, 8, -8} {
			if b := rk + j*c.sigma; b > 0 && b < top {
				breaks = append(breaks, b)
			}
		}
	}
	mass = integrateBreaks(func(rho float64) float64 {
		return 2 * math.Pi * rho * math.Exp(c.logRadial(rho))
	}, breaks, 1e-12)
	h = integrateBreaks(func(rho float64) float64 {
		lp := c.logRadial(rho)
		return -2 * math.Pi * rho * math.Exp(lp) * lp
	}, breaks, 1e-12)
	return h, mass
}
