package datasets

import (
	"math"
	"math/rand/v2"
)

// eightGaussians is FFJORD's "8gaussians": a center c_k chosen uniformly among the eight unit
// vectors (±1, 0), (0, ±1), (±1/√2, ±1/√2), then
//
//	x = (4 c_k + 0.5 ε) / 1.414,   ε ~ N(0, I₂),
//
// so p(x) = (1/8) Σ_k N(x; (4/1.414) c_k, (0.5/1.414)² I₂) exactly (1.414, not √2, as in FFJORD).
type eightGaussians struct {
	cx, cy [8]float64 // component means after the division by 1.414
	sigma  float64
}

func newEightGaussians() *eightGaussians {
	s := 1 / math.Sqrt2
	unit := [8][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {s, s}, {s, -s}, {-s, s}, {-s, -s}}
	g := &eightGaussians{sigma: 0.5 / 1.414}
	for k, u := range unit {
		g.cx[k], g.cy[k] = 4*u[0]/1.414, 4*u[1]/1.414
	}
	return g
}

func (g *eightGaussians) sample(r *rand.Rand, n int, out []float64) {
	for i := 0; i < n; i++ {
		ex, ey := r.NormFloat64(), r.NormFloat64() // FFJORD's order: the noise, then the center.
		k := r.IntN(8)
		out[2*i] = g.cx[k] + g.sigma*ex
		out[2*i+1] = g.cy[k] + g.sigma*ey
	}
}

func (g *eightGaussians) logProb(x, y float64) float64 {
	var terms [8]float64
	s2 := g.sigma * g.sigma
	norm := -math.Log(8) - ln2Pi - math.Log(s2)
	for k := range terms {
		dx, dy := x-g.cx[k], y-g.cy[k]
		terms[k] = norm - (dx*dx+dy*dy)/(2*s2)
	}
	return logSumExp(terms[:])
}

func (g *eightGaussians) bounds() (x0, x1, y0, y1 float64) {
	r := 4/1.414 + 8*g.sigma
	return -r, r, -r, r
}

func (g *eightGaussians) entropy() (h, mass float64) {
	x0, x1, y0, y1 := g.bounds()
	mass, h = gridMassEntropy(g.logProb, x0, x1, y0, y1, g.sigma/6)
	return h, mass
}
