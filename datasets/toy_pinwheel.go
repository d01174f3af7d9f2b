package datasets

import (
	"math"
	"math/rand/v2"
)

// pinwheel is FFJORD's "pinwheel": for arm c ∈ {0, …, 4} (n/5 rows each; the n mod 5 extra rows
// go to the first arms, where FFJORD would drop them) and f = (f₀, f₁) with f₀ ~ N(1, 0.3²),
// f₁ ~ N(0, 0.1²),
//
//	θ = 2πc/5 + 0.25 e^{f₀},   x = 2 R(-θ) f = 2 (f₀ cos θ + f₁ sin θ, -f₀ sin θ + f₁ cos θ),
//
// rows shuffled. The map f ↦ x has Jacobian determinant 4(1 + θ'(f₀) f₁), θ' = 0.25 e^{f₀}, so
//
//	p(x) = (1/5) Σ_c Σ_{f: x = 2R(-θ_c(f₀)) f} N(f₀; 1, 0.3²) N(f₁; 0, 0.1²) / (4 |1 + 0.25 e^{f₀} f₁|).
//
// Writing x/2 = ρ(cos φ, sin φ), the preimages are f = ρ(cos ψ, sin ψ) with ψ = φ + θ_c(f₀) and
// f₀ a root of g(u) = u - ρ cos(φ + 2πc/5 + 0.25 e^u); logProb finds every root with |f₁| <= 0.9
// and |f₀ - 1| <= 2.7 (9σ; the others add below e^-40) by scanning g on steps over which ψ turns
// by at most 0.1/ρ, then refining each sign change by bracketed Newton steps to 1e-13. Where that gives log p < -25 it
// searches again out to 20σ; beyond that (log p < -200) it returns -Inf.
type pinwheel struct{}

const (
	pinRadialStd     = 0.3
	pinTangentialStd = 0.1
	pinRate          = 0.25
	pinArms          = 5
)

// pinLogNorm = log of (1/5) (1/(2π · 0.3 · 0.1)) (1/4): arm weight, N(f₀) N(f₁) normalizers
// and the factor 2² of the scaling.
var pinLogNorm = -math.Log(pinArms) - ln2Pi - math.Log(pinRadialStd) - math.Log(pinTangentialStd) - math.Log(4)

func newPinwheel() pinwheel { return pinwheel{} }

func (pinwheel) sample(r *rand.Rand, n int, out []float64) {
	i := 0
	for c := 0; c < pinArms; c++ {
		m := n / pinArms
		if c < n%pinArms {
			m++
		}
		base := 2 * math.Pi * float64(c) / pinArms
		for j := 0; j < m; j++ {
			f0 := r.NormFloat64()*pinRadialStd + 1
			f1 := r.NormFloat64() * pinTangentialStd
			s, co := math.Sincos(base + pinRate*math.Exp(f0))
			out[2*i] = 2 * (f0*co + f1*s)
			out[2*i+1] = 2 * (-f0*s + f1*co)
			i++
		}
	}
	shuffleRows(r, n, out)
}

// logProbWindow sums the preimage contributions with |f₁| <= maxF1 and |f₀ - 1| <= maxDev.
func (pinwheel) logProbWindow(x, y, maxF1, maxDev float64) float64 {
	rho := math.Hypot(x, y) / 2
	phi := math.Atan2(y, x)
	var buf [16]float64
	terms := buf[:0]
	add := func(u, psi float64) {
		f1 := rho * math.Sin(psi)
		det := 1 + pinRate*math.Exp(u)*f1
		du, df := (u-1)/pinRadialStd, f1/pinTangentialStd
		terms = append(terms, pinLogNorm-0.5*du*du-0.5*df*df-math.Log(math.Abs(det)))
	}
	if rho == 0 {
		for c := 0; c < pinArms; c++ {
			add(0, 0)
		}
		return logSumExp(terms)
	}
	// Valid f₀ = u: |u| <= ρ, u² >= ρ² - maxF1² (so |f₁| <= maxF1), |u - 1| <= maxDev.
	inner := 0.0
	if d := rho*rho - maxF1*maxF1; d > 0 {
		inner = math.Sqrt(d)
	}
	// On [inner, ρ] the preimage has f₀ > 0, so ψ must lie within α = asin(maxF1/ρ) of 0
	// (mod 2π); on [-ρ, -inner], within α of π. ψ(u) increases with u, so an arm whose range
	// of ψ over the interval misses that window has no root there.
	alpha := math.Pi / 2
	if maxF1 < rho {
		alpha = math.Asin(maxF1 / rho)
	}
	intervals := [2]struct{ lo, hi, center float64 }{{inner, rho, 0}, {-rho, -inner, math.Pi}}
	for c := 0; c < pinArms; c++ {
		offset := phi + 2*math.Pi*float64(c)/pinArms
		// g(u) = u - ρ cos ψ(u) and g'(u) = 1 + ρ θ'(u) sin ψ(u), ψ(u) = offset + 0.25 e^u.
		g := func(u float64) (float64, float64) {
			e := pinRate * math.Exp(u)
			s, co := math.Sincos(offset + e)
			return u - rho*co, 1 + rho*e*s
		}
		for _, iv := range intervals {
			lo, hi := math.Max(iv.lo, 1-maxDev), math.Min(iv.hi, 1+maxDev)
			if lo > hi {
				continue
			}
			psiLo, psiHi := offset+pinRate*math.Exp(lo), offset+pinRate*math.Exp(hi)
			k := math.Ceil((psiLo - iv.center - alpha) / (2 * math.Pi))
			if iv.center+2*math.Pi*k-alpha > psiHi {
				continue
			}
			u0 := lo
			g0, _ := g(u0)
			if g0 == 0 {
				add(u0, offset+pinRate*math.Exp(u0))
			}
			for u0 < hi {
				step := math.Min(0.02, 0.1/(1+rho*pinRate*math.Exp(u0)))
				u1 := math.Min(hi, u0+step)
				g1, _ := g(u1)
				if g1 == 0 {
					add(u1, offset+pinRate*math.Exp(u1))
				} else if g0 != 0 && (g0 < 0) != (g1 < 0) {
					u := bracketedNewton(g, u0, u1, g0)
					add(u, offset+pinRate*math.Exp(u))
				}
				u0, g0 = u1, g1
			}
		}
	}
	return logSumExp(terms)
}

// bracketedNewton returns the root of g in [a, b], where g(a) = ga and g(b) have opposite
// signs, by Newton steps kept inside the shrinking bracket (bisecting when a step leaves it),
// to 1e-13.
func bracketedNewton(g func(float64) (float64, float64), a, b, ga float64) float64 {
	u := (a + b) / 2
	for iter := 0; iter < 100; iter++ {
		gu, du := g(u)
		if gu == 0 {
			return u
		}
		if (gu < 0) == (ga < 0) {
			a, ga = u, gu
		} else {
			b = u
		}
		next := u - gu/du
		if !(next > a && next < b) {
			next = (a + b) / 2
		}
		if math.Abs(next-u) < 1e-13 || b-a < 1e-13 {
			return next
		}
		u = next
	}
	return u
}

func (p pinwheel) logProb(x, y float64) float64 {
	if lp := p.logProbWindow(x, y, 9*pinTangentialStd, 9*pinRadialStd); lp > -25 {
		return lp
	}
	return p.logProbWindow(x, y, 20*pinTangentialStd, 20*pinRadialStd)
}

// logProbNear is logProb where log p > -30 and -Inf elsewhere, for integrals.
func (p pinwheel) logProbNear(x, y float64) float64 {
	if lp := p.logProbWindow(x, y, 9*pinTangentialStd, 9*pinRadialStd); lp > -30 {
		return lp
	}
	return math.Inf(-1)
}

func (pinwheel) bounds() (x0, x1, y0, y1 float64) {
	r := 2 * math.Hypot(1+8*pinRadialStd, 8*pinTangentialStd)
	return -r, r, -r, r
}

func (p pinwheel) entropy() (h, mass float64) {
	x0, x1, y0, y1 := p.bounds()
	mass, h = gridMassEntropy(p.logProbNear, x0, x1, y0, y1, 2*pinTangentialStd/6)
	return h, mass
}
