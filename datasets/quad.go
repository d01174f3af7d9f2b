package datasets

import (
	"math"
	"runtime"
	"sort"
	"sync"
)

// This file holds the numerical tools behind the exact densities and entropies: quadrature
// (adaptive Simpson, Gauss-Legendre, 2D Simpson grids), log-sum-exp, the scaled modified Bessel
// function I0e and log normal CDFs that stay finite far in the tails.

const (
	ln2Pi     = 1.8378770664093453 // ln(2π)
	invSqrt2  = 0.7071067811865476 // 1/√2
	logSqrt2P = 0.9189385332046727 // ln √(2π)
)

// adaptiveSimpson integrates f over [a, b] by recursive Simpson's rule with Richardson
// correction, refining each half until its error estimate is below its share of tol or below
// rounding (1e-15 of the panel's value), at most 40 levels deep and at most maxSimpsonEvals
// evaluations of f in all, so a hard integrand costs accuracy, never an endless loop.
func adaptiveSimpson(f func(float64) float64, a, b, tol float64) float64 {
	fa, fm, fb := f(a), f((a+b)/2), f(b)
	whole := (b - a) / 6 * (fa + 4*fm + fb)
	budget := maxSimpsonEvals
	return simpsonStep(f, a, b, fa, fm, fb, whole, tol, 40, &budget)
}

// maxSimpsonEvals bounds the work of one adaptiveSimpson call.
const maxSimpsonEvals = 1 << 22

func simpsonStep(f func(float64) float64, a, b, fa, fm, fb, whole, tol float64, depth int, budget *int) float64 {
	m := (a + b) / 2
	lm, rm := (a+m)/2, (m+b)/2
	flm, frm := f(lm), f(rm)
	*budget -= 2
	left := (m - a) / 6 * (fa + 4*flm + fm)
	right := (b - m) / 6 * (fm + 4*frm + fb)
	delta := left + right - whole
	if depth <= 0 || *budget <= 0 || math.Abs(delta) <= 15*tol || math.Abs(delta) <= 1e-15*math.Abs(left+right) {
		return left + right + delta/15
	}
	return simpsonStep(f, a, m, fa, flm, fm, left, tol/2, depth-1, budget) +
		simpsonStep(f, m, b, fm, frm, fb, right, tol/2, depth-1, budget)
}

// integrateBreaks integrates f over [breaks[0], breaks[len-1]] by adaptive Simpson on each
// interval between consecutive (sorted, de-duplicated) break points. Placing breaks at the
// peaks and shoulders of f keeps the adaptive rule from stepping over a narrow feature.
func integrateBreaks(f func(float64) float64, breaks []float64, tol float64) float64 {
	bs := append([]float64(nil), breaks...)
	sort.Float64s(bs)
	var sum float64
	per := tol / float64(max(1, len(bs)-1))
	for i := 1; i < len(bs); i++ {
		if bs[i] > bs[i-1] {
			sum += adaptiveSimpson(f, bs[i-1], bs[i], per)
		}
	}
	return sum
}

// gaussLegendre returns the m nodes and weights of the Gauss-Legendre rule on [-1, 1], found by
// Newton's method on the Legendre polynomial P_m (accurate to rounding).
func gaussLegendre(m int) (nodes, weights []float64) {
	nodes, weights = make([]float64, m), make([]float64, m)
	for i := 0; i < m; i++ {
		x := math.Cos(math.Pi * (float64(i) + 0.75) / (float64(m) + 0.5))
		var dp float64
		for iter := 0; iter < 100; iter++ {
			p0, p1 := 1.0, x
			for k := 2; k <= m; k++ {
				p0, p1 = p1, (float64(2*k-1)*x*p1-float64(k-1)*p0)/float64(k)
			}
			dp = float64(m) * (x*p1 - p0) / (x*x - 1)
			dx := p1 / dp
			x -= dx
			if math.Abs(dx) < 1e-16 {
				break
			}
		}
		nodes[i] = x
		weights[i] = 2 / ((1 - x*x) * dp * dp)
	}
	return nodes, weights
}

// logSumExp returns log Σ exp(v_i), exactly, without overflow; -Inf for an empty or all -Inf v.
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	if math.IsInf(m, -1) {
		return m
	}
	if math.IsInf(m, 1) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// i0e returns the exponentially scaled modified Bessel function of the first kind of order 0,
// I0e(z) = exp(-|z|) I0(z), with I0(z) = (1/π) ∫_0^π exp(z cos θ) dθ. It uses the power series
// Σ (z²/4)^k / (k!)² for |z| <= 25 and the asymptotic series
// I0(z) ~ e^z / √(2πz) Σ_k ((2k-1)!!)² / (k! (8z)^k) above; both to about 1e-15 relative.
func i0e(z float64) float64 {
	z = math.Abs(z)
	if z <= 25 {
		q := z * z / 4
		term, sum := 1.0, 1.0
		for k := 1; k < 500; k++ {
			term *= q / float64(k*k)
			sum += term
			if term < 1e-17*sum {
				break
			}
		}
		return sum * math.Exp(-z)
	}
	term, sum := 1.0, 1.0
	for k := 1; k < 200; k++ {
		next := term * float64((2*k-1)*(2*k-1)) / (8 * float64(k) * z)
		if next > term { // the asymptotic series starts to diverge: stop at its smallest term.
			break
		}
		term = next
		sum += term
		if term < 1e-17*sum {
			break
		}
	}
	return sum / math.Sqrt(2*math.Pi*z)
}

// logNormCDF returns log Φ(z), Φ the standard normal CDF, finite for every finite z: erfc for
// z > -30, the asymptotic expansion Φ(z) ≈ φ(z)/(-z) (1 - 1/z² + 3/z⁴ - 15/z⁶ + 105/z⁸) below.
func logNormCDF(z float64) float64 {
	if z > -30 {
		return math.Log(0.5 * math.Erfc(-z*invSqrt2))
	}
	z2 := 1 / (z * z)
	series := 1 - z2*(1-z2*(3-z2*(15-z2*105)))
	return -z*z/2 - logSqrt2P - math.Log(-z) + math.Log(series)
}

// logDiffNormCDF returns log(Φ(a) - Φ(b)) for a > b, accurate in both tails.
func logDiffNormCDF(a, b float64) float64 {
	if a <= b {
		return math.Inf(-1)
	}
	switch {
	case b >= 0: // both in the upper tail: Φ(a)-Φ(b) = Φ(-b) - Φ(-a).
		lb, la := logNormCDF(-b), logNormCDF(-a)
		return lb + math.Log1p(-math.Exp(la-lb))
	case a <= 0:
		la, lb := logNormCDF(a), logNormCDF(b)
		return la + math.Log1p(-math.Exp(lb-la))
	default:
		return math.Log(0.5 * (math.Erfc(-a*invSqrt2) - math.Erfc(-b*invSqrt2)))
	}
}

// simpsonNodes returns the nodes and composite-Simpson weights of [lo, hi] split into an even
// number of intervals no wider than h.
func simpsonNodes(lo, hi, h float64) (xs, ws []float64) {
	n := int(math.Ceil((hi - lo) / h))
	if n < 2 {
		n = 2
	}
	if n%2 == 1 {
		n++
	}
	step := (hi - lo) / float64(n)
	xs, ws = make([]float64, n+1), make([]float64, n+1)
	for i := 0; i <= n; i++ {
		xs[i] = lo + float64(i)*step
		switch {
		case i == 0 || i == n:
			ws[i] = step / 3
		case i%2 == 1:
			ws[i] = 4 * step / 3
		default:
			ws[i] = 2 * step / 3
		}
	}
	return xs, ws
}

// gridMassEntropy integrates the density exp(logp) over the box [x0,x1]×[y0,y1] with a 2D
// composite Simpson rule of step at most h, returning its mass ∫p and its entropy -∫ p log p.
// Rows are spread over GOMAXPROCS goroutines.
func gridMassEntropy(logp func(x, y float64) float64, x0, x1, y0, y1, h float64) (mass, entropy float64) {
	xs, wx := simpsonNodes(x0, x1, h)
	ys, wy := simpsonNodes(y0, y1, h)
	type part struct{ m, e float64 }
	workers := max(1, runtime.GOMAXPROCS(0))
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var m, e float64
			for j := w; j < len(ys); j += workers {
				var rm, re float64
				for i, x := range xs {
					lp := logp(x, ys[j])
					if math.IsInf(lp, -1) {
						continue
					}
					p := math.Exp(lp)
					rm += wx[i] * p
					re -= wx[i] * p * lp
				}
				m += wy[j] * rm
				e += wy[j] * re
			}
			parts[w] = part{m, e}
		}(w)
	}
	wg.Wait()
	for _, p := range parts {
		mass += p.m
		entropy += p.e
	}
	return mass, entropy
}
