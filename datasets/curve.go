package datasets

import (
	"math"
)

// curveDensity is the density of points drawn along curves and blurred by a kernel,
//
//	p(x) = Σ_j w_j ∫_{a_j}^{b_j} q_j(t) K(x - c_j(t)) dt,
//
// with q_j the density of the curve parameter t, c_j(t) the curve and K either the isotropic
// Gaussian N(0, σ² I₂) or a centered square box of side β convolved with it. The integrals are
// done once, by composite 8-point Gauss-Legendre quadrature on panels short enough (at most 1.5σ
// of arc) for the blurred integrand to be a low-degree polynomial on each, which leaves a sum
// p(x) ≈ Σ_i W_i K(x - c_i) over fixed nodes. Evaluation sums only the nodes within 10σ (found
// through a uniform grid of cells; the rest add less than 2e-8 relative while the near sum is
// above 1e-14 of the peak density) and falls back to the exact log-space sum over all nodes
// when x is farther than about 8σ from every curve.
type curveDensity struct {
	sigma, box float64 // box = 0: Gaussian kernel; > 0: box of side box convolved with it.

	cx, cy, w, logW []float64
	wsum            float64

	// Spatial index: cells of side cell over [gx0, gx0+nx*cell)×[gy0, gy0+ny*cell); the node
	// indices of cell (i, j) are idx[start[j*nx+i]:start[j*nx+i+1]].
	cutoff, cell, gx0, gy0 float64
	nx, ny                 int
	start, idx             []int32
}

const curveGLOrder = 8

var devPanel = 1.5

var glNodes, glWeights = gaussLegendre(curveGLOrder)

func newCurveDensity(sigma, box float64) *curveDensity {
	return &curveDensity{sigma: sigma, box: box}
}

// addCurve adds weight × the curve pos(t), t ∈ [a, b] with parameter density q, integrated on
// the given number of panels.
func (c *curveDensity) addCurve(weight, a, b float64, panels int, pos func(t float64) (float64, float64), q func(t float64) float64) {
	h := (b - a) / float64(panels)
	for p := 0; p < panels; p++ {
		mid := a + (float64(p)+0.5)*h
		for k, xi := range glNodes {
			t := mid + h/2*xi
			wt := weight * h / 2 * glWeights[k] * q(t)
			if wt <= 0 {
				continue
			}
			x, y := pos(t)
			c.cx = append(c.cx, x)
			c.cy = append(c.cy, y)
			c.w = append(c.w, wt)
			c.logW = append(c.logW, math.Log(wt))
			c.wsum += wt
		}
	}
}

// panelsFor returns how many panels keep each one under 1.5σ of arc for a curve of parameter
// length span and maximal speed |c'(t)| <= speed.
func (c *curveDensity) panelsFor(span, speed float64) int {
	return max(1, int(math.Ceil(span*speed/(devPanel*c.sigma))))
}

// finish builds the spatial index; call it after the last addCurve.
func (c *curveDensity) finish() {
	c.cutoff = 10*c.sigma + c.box*math.Sqrt2/2
	c.cell = c.cutoff / 2
	x0, x1, y0, y1 := c.nodeBox()
	c.gx0, c.gy0 = x0-c.cell, y0-c.cell
	c.nx = int((x1-c.gx0)/c.cell) + 2
	c.ny = int((y1-c.gy0)/c.cell) + 2
	counts := make([]int32, c.nx*c.ny+1)
	cellOf := func(i int) int {
		return int((c.cy[i]-c.gy0)/c.cell)*c.nx + int((c.cx[i]-c.gx0)/c.cell)
	}
	for i := range c.cx {
		counts[cellOf(i)+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	c.start = counts
	c.idx = make([]int32, len(c.cx))
	fill := append([]int32(nil), counts...)
	for i := range c.cx {
		k := cellOf(i)
		c.idx[fill[k]] = int32(i)
		fill[k]++
	}
}

// nodeBox is the bounding box of the node centers.
func (c *curveDensity) nodeBox() (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for i := range c.cx {
		x0, x1 = math.Min(x0, c.cx[i]), math.Max(x1, c.cx[i])
		y0, y1 = math.Min(y0, c.cy[i]), math.Max(y1, c.cy[i])
	}
	return
}

// bounds is the node box widened by the kernel's reach (8σ plus half the box).
func (c *curveDensity) bounds() (x0, x1, y0, y1 float64) {
	x0, x1, y0, y1 = c.nodeBox()
	m := 8*c.sigma + c.box/2
	return x0 - m, x1 + m, y0 - m, y1 + m
}

// kernelPeak is max K, used to judge when the near sum is negligible.
func (c *curveDensity) kernelPeak() float64 {
	if c.box == 0 {
		return 1 / (2 * math.Pi * c.sigma * c.sigma)
	}
	return 1 / (c.box * c.box)
}

// boxAxis returns (1/β)(Φ(a) - Φ(b)) for a = (d + β/2)/σ, b = (d - β/2)/σ: the density of
// U[-β/2, β/2] + N(0, σ²) at offset d, without cancellation in either tail.
func (c *curveDensity) boxAxis(d float64) float64 {
	a, b := (d+c.box/2)/c.sigma, (d-c.box/2)/c.sigma
	var diff float64
	if b >= 0 {
		diff = 0.5 * (math.Erfc(b*invSqrt2) - math.Erfc(a*invSqrt2))
	} else {
		diff = 0.5 * (math.Erfc(-a*invSqrt2) - math.Erfc(-b*invSqrt2))
	}
	return diff / c.box
}

// nearThreshold is the fraction of the peak density below which the near sum is not trusted.
const nearThreshold = 1e-14

// nearProb returns Σ W_i K(x - c_i) over the nodes within the cutoff, and whether it is above
// nearThreshold of the peak (so the omitted nodes are negligible).
func (c *curveDensity) nearProb(x, y float64) (float64, bool) {
	var near float64
	i0 := int(math.Floor((x - c.gx0) / c.cell))
	j0 := int(math.Floor((y - c.gy0) / c.cell))
	r2 := c.cutoff * c.cutoff
	s2 := c.sigma * c.sigma
	for j := max(0, j0-2); j <= min(c.ny-1, j0+2); j++ {
		for i := max(0, i0-2); i <= min(c.nx-1, i0+2); i++ {
			k := j*c.nx + i
			for _, n := range c.idx[c.start[k]:c.start[k+1]] {
				dx, dy := x-c.cx[n], y-c.cy[n]
				if d2 := dx*dx + dy*dy; d2 <= r2 {
					if c.box == 0 {
						near += c.w[n] * math.Exp(-d2/(2*s2))
					} else {
						near += c.w[n] * c.boxAxis(dx) * c.boxAxis(dy)
					}
				}
			}
		}
	}
	if c.box == 0 {
		near /= 2 * math.Pi * s2
	}
	return near, near >= nearThreshold*c.wsum*c.kernelPeak()
}

// logProb returns log p(x, y), exact to the quadrature's accuracy everywhere.
func (c *curveDensity) logProb(x, y float64) float64 {
	if p, ok := c.nearProb(x, y); ok {
		return math.Log(p)
	}
	return c.logProbFar(x, y)
}

// logProbNear is logProb where the density is above nearThreshold of its peak and -Inf
// elsewhere: what an integral of p or p log p needs, at a fraction of the cost.
func (c *curveDensity) logProbNear(x, y float64) float64 {
	if p, ok := c.nearProb(x, y); ok {
		return math.Log(p)
	}
	return math.Inf(-1)
}

// logProbFar is the exact log-space sum over every node.
func (c *curveDensity) logProbFar(x, y float64) float64 {
	terms := make([]float64, len(c.cx))
	s2 := c.sigma * c.sigma
	for n := range c.cx {
		dx, dy := x-c.cx[n], y-c.cy[n]
		if c.box == 0 {
			terms[n] = c.logW[n] - (dx*dx+dy*dy)/(2*s2) - ln2Pi - math.Log(s2)
		} else {
			hb := c.box / 2
			terms[n] = c.logW[n] - 2*math.Log(c.box) +
				logDiffNormCDF((dx+hb)/c.sigma, (dx-hb)/c.sigma) +
				logDiffNormCDF((dy+hb)/c.sigma, (dy-hb)/c.sigma)
		}
	}
	return logSumExp(terms)
}

// entropy integrates -p log p over the bounds by 2D Simpson with steps of σ/3, skipping the
// region where p is below nearThreshold of its peak (its share of the entropy is below 1e-11).
func (c *curveDensity) entropy() (h, mass float64) {
	x0, x1, y0, y1 := c.bounds()
	mass, h = gridMassEntropy(c.logProbNear, x0, x1, y0, y1, c.sigma/3)
	return h, mass
}
