package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// moons is sklearn's make_moons(n, noise=σ) followed by the per-axis affine map
// x ↦ scale ⊙ x + shift. make_moons puts ⌊n/2⌋ points on the upper half circle
// (cos t, sin t) and the rest on the lower one (1 - cos t, 1/2 - sin t), t on an evenly spaced
// grid of [0, π] (NumPy's linspace, both ends included), shuffles them and adds N(0, σ² I₂).
// In the n → ∞ limit t ~ U[0, π] on each half, and
//
//	p_base(x) = ½ ∫_0^π (1/π) N(x; (cos t, sin t), σ²I) dt + ½ ∫_0^π (1/π) N(x; (1 - cos t, ½ - sin t), σ²I) dt,
//	p(y) = p_base((y - shift) ⊘ scale) / |scale_1 scale_2|,   H(p) = H(p_base) + ln|scale_1 scale_2|.
type moons struct {
	noise        float64
	scale, shift [2]float64
	base         *curveDensity
}

func newMoons(noise float64, scale, shift [2]float64) *moons {
	base := newCurveDensity(noise, 0)
	uniform := func(float64) float64 { return 1 / math.Pi }
	panels := base.panelsFor(math.Pi, 1)
	base.addCurve(0.5, 0, math.Pi, panels, func(t float64) (float64, float64) { return math.Cos(t), math.Sin(t) }, uniform)
	base.addCurve(0.5, 0, math.Pi, panels, func(t float64) (float64, float64) { return 1 - math.Cos(t), 0.5 - math.Sin(t) }, uniform)
	base.finish()
	return &moons{noise: noise, scale: scale, shift: shift, base: base}
}

// linspaceClosed returns the i-th of m evenly spaced points of [0, stop], ends included.
func linspaceClosed(i, m int, stop float64) float64 {
	if m <= 1 {
		return 0
	}
	return stop * float64(i) / float64(m-1)
}

func sampleMoons(r *rand.Rand, n int, noise float64, scale, shift [2]float64, out []float64) {
	nOut := n / 2
	nIn := n - nOut
	for i := 0; i < nOut; i++ {
		t := linspaceClosed(i, nOut, math.Pi)
		out[2*i], out[2*i+1] = math.Cos(t), math.Sin(t)
	}
	for i := 0; i < nIn; i++ {
		t := linspaceClosed(i, nIn, math.Pi)
		out[2*(nOut+i)], out[2*(nOut+i)+1] = 1-math.Cos(t), 1-math.Sin(t)-0.5
	}
	shuffleRows(r, n, out)
	for i := 0; i < n; i++ {
		for a := 0; a < 2; a++ {
			out[2*i+a] = scale[a]*(out[2*i+a]+noise*r.NormFloat64()) + shift[a]
		}
	}
}

func (m *moons) sample(r *rand.Rand, n int, out []float64) {
	sampleMoons(r, n, m.noise, m.scale, m.shift, out)
}

func (m *moons) logJacobian() float64 { return math.Log(math.Abs(m.scale[0] * m.scale[1])) }

func (m *moons) logProb(x, y float64) float64 {
	return m.base.logProb((x-m.shift[0])/m.scale[0], (y-m.shift[1])/m.scale[1]) - m.logJacobian()
}

func (m *moons) bounds() (x0, x1, y0, y1 float64) {
	bx0, bx1, by0, by1 := m.base.bounds()
	x0, x1 = m.scale[0]*bx0+m.shift[0], m.scale[0]*bx1+m.shift[0]
	y0, y1 = m.scale[1]*by0+m.shift[1], m.scale[1]*by1+m.shift[1]
	return math.Min(x0, x1), math.Max(x0, x1), math.Min(y0, y1), math.Max(y0, y1)
}

func (m *moons) entropy() (h, mass float64) {
	h, mass = m.base.entropy()
	return h + m.logJacobian(), mass
}

// moonsMoments returns the exact mean and standard deviation per axis of sklearn's two moons
// with noise σ in the n → ∞ limit: mean (1/2, 1/4), variances 3/4 + σ² and 9/16 - 1/π + σ².
func moonsMoments(noise float64) (mean, std [2]float64) {
	s2 := noise * noise
	return [2]float64{0.5, 0.25}, [2]float64{math.Sqrt(0.75 + s2), math.Sqrt(0.5625 - 1/math.Pi + s2)}
}

// standardizedMoonsAffine is the per-axis map (x - mean)/std of moonsMoments.
func standardizedMoonsAffine(noise float64) (scale, shift [2]float64) {
	mean, std := moonsMoments(noise)
	for a := 0; a < 2; a++ {
		scale[a] = 1 / std[a]
		shift[a] = -mean[a] / std[a]
	}
	return scale, shift
}

// MoonsStandardized draws n points of sklearn's two moons (make_moons(n, noise=noise), see
// "moons" in Toy2D without FFJORD's 2x + (-1, -0.2)) standardized per axis with the exact
// moments of the generating distribution,
//
//	z = (x - μ) ⊘ s,   μ = (1/2, 1/4),   s = (√(3/4 + σ²), √(9/16 - 1/π + σ²)),   σ = noise,
//
// so z has zero mean and unit variance per axis in the n → ∞ limit (its sample moments differ
// from 0 and 1 only by sampling error), and its density stays exact: see NewMoonsStandardized.
// Toy("moons-std") is this with noise 0.05. Deterministic given (n, noise, seed); noise must be
// finite and non-negative (0 gives the bare curves, which have no density).
func MoonsStandardized(n int, noise float64, seed uint64) ([][]float64, error) {
	if !(noise >= 0) || math.IsInf(noise, 0) {
		return nil, fmt.Errorf("datasets: MoonsStandardized noise is %v; it must be finite and >= 0", noise)
	}
	rows, buf := newRows(n, 2)
	if n <= 0 {
		return rows, nil
	}
	scale, shift := standardizedMoonsAffine(noise)
	sampleMoons(newRand(seed), n, noise, scale, shift, buf)
	return rows, nil
}

// NewMoonsStandardized returns the Toy2D of MoonsStandardized with the given noise > 0: its
// Sample is MoonsStandardized, its density is exact by change of variables,
//
//	log p_z(z) = log p_moons(μ + s ⊙ z) + ln s_1 + ln s_2,
//
// and its Bayes NLL is H(p_moons) - ln(s_1 s_2).
func NewMoonsStandardized(noise float64) (Toy2D, error) {
	if !(noise > 0) || math.IsInf(noise, 0) {
		return Toy2D{}, fmt.Errorf("datasets: NewMoonsStandardized noise is %v; it must be finite and > 0 for a density to exist", noise)
	}
	scale, shift := standardizedMoonsAffine(noise)
	name := fmt.Sprintf("moons-std(noise=%g)", noise)
	return Toy2D{
		Name:        name,
		Description: fmt.Sprintf("sklearn two moons, noise %g, standardized to zero mean and unit variance per axis", noise),
		e:           &toyEntry{model: newMoons(noise, scale, shift)},
	}, nil
}

func mustMoonsStandardized(noise float64) *moons {
	scale, shift := standardizedMoonsAffine(noise)
	return newMoons(noise, scale, shift)
}
