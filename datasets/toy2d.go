package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
)

// Toy2D is one of the two-dimensional toy densities used to benchmark normalizing flows,
// generated with the same definitions (constants, scalings, noise levels) as the standard FFJORD
// generators (lib/toy_data.py of github.com/rtqichen/ffjord, on top of scikit-learn's
// make_moons, make_circles and make_swiss_roll), so NLLs are comparable with the literature.
// With U uniform on [0, 1), ε ~ N(0, I₂) and m the number of points on a curve:
//
//	swissroll     t = 1.5π(1 + 2U);  x = (t cos t, t sin t)/5 + 0.2 ε
//	circles       ⌊n/2⌋ points at radius 3, the rest at 1.5, angles 2πi/m;  + 0.24 ε
//	rings         ⌊n/4⌋, ⌊n/4⌋, ⌊n/4⌋ and n - 3⌊n/4⌋ points at radius 3, 2.25, 1.5, 0.75,
//	              angles 2πi/m;  + 0.08 ε
//	moons         2 z + (-1, -0.2) with z = make_moons(n, noise=0.1): ⌊n/2⌋ points (cos t, sin t)
//	              and the rest (1 - cos t, 1/2 - sin t), t = πi/(m-1);  + 0.1 ε before the 2z
//	8gaussians    (4c + 0.5ε)/1.414, c uniform among the 8 unit vectors at multiples of 45°
//	pinwheel      arm k ∈ {0, …, 4} (n/5 rows each), f = (1 + 0.3ε₁, 0.1ε₂),
//	              θ = 2πk/5 + 0.25 e^{f₁},  x = 2 (f₁ cos θ + f₂ sin θ, -f₁ sin θ + f₂ cos θ)
//	2spirals      u = 3π√U, b = (-u cos u, u sin u) + (U', U'')/2; half the rows b/3, the other
//	              half the mirror images -b/3 of the same b;  + 0.1 ε
//	checkerboard  x₁ = 4U - 2, x₂ = U' - 2B + (⌊x₁⌋ mod 2), B ~ Bernoulli(½); x = 2(x₁, x₂):
//	              uniform, p = 1/32, on the 8 squares [2i, 2i+2)×[2j, 2j+2), i, j ∈ {-2, …, 1},
//	              with i + j even (the dark squares of a 4×4 board on [-4, 4]²)
//	moons-std     MoonsStandardized(n, 0.05, seed): sklearn's moons, noise 0.05, standardized
//
// Points on a grid of angles (rings, circles, moons) are shuffled as FFJORD does. Differences
// from FFJORD: the random numbers come from this package's PCG stream, not NumPy's, and samples
// are float64 (FFJORD casts some toys to float32); pinwheel returns exactly n rows (FFJORD drops
// n mod 5, here the first arms get one extra) and 2spirals shuffles its rows (FFJORD returns the
// first spiral, then its mirror image), so any prefix of a sample is a fair sample.
//
// Every toy has a known density: closed form (8gaussians, a mixture of 8 N((4/1.414)c,
// (0.5/1.414)² I); checkerboard), closed form with the Bessel function I0 (rings, circles: a
// circle of radius r blurred by N(0, σ² I) has density e^{-(ρ-r)²/(2σ²)} I0e(ρr/σ²)/(2πσ²) at
// radius ρ, I0e(z) = e^{-z} I0(z)), a one-dimensional integral along the generating curve done
// by Gauss-Legendre quadrature to about 1e-9 relative (moons, moons-std, swissroll, 2spirals), or
// an exact change of variables with numerical root finding (pinwheel; |det ∂x/∂f| =
// 4|1 + 0.25 e^{f₁} f₂|). For the grids of angles the density is the n → ∞ limit, in which the
// angle (or t) becomes uniform and each curve's share of the points its limiting fraction.
//
// The Bayes NLL (differential entropy, nats) of each, as BayesNLL computes it:
//
//	8gaussians   2.83188     checkerboard  3.46574 (= ln 32)
//	rings        2.62318     circles       3.26814
//	moons        2.39388     moons-std     1.13122
//	swissroll    2.66965     2spirals      2.64545
//	pinwheel     2.31779
//
// Get one with Toy or NewMoonsStandardized; the zero value has no density.
type Toy2D struct {
	// Name is the registry name, e.g. "8gaussians".
	Name string
	// Description says in one line what the generator draws.
	Description string

	e *toyEntry
}

// toyModel is what each toy implements.
type toyModel interface {
	// sample fills out (length 2n, row-major [n, 2]) with n points.
	sample(r *rand.Rand, n int, out []float64)
	// logProb returns log p(x, y); -Inf outside the support.
	logProb(x, y float64) float64
	// bounds returns a box holding all but a negligible (< 1e-12) part of the mass.
	bounds() (x0, x1, y0, y1 float64)
	// entropy returns the differential entropy and the mass ∫p of its integration (1 when the
	// value is exact).
	entropy() (h, mass float64)
}

// toyEntry caches a toy's entropy, which can take seconds of numerical integration.
type toyEntry struct {
	model   toyModel
	once    sync.Once
	h, mass float64
}

func (e *toyEntry) compute() {
	e.once.Do(func() { e.h, e.mass = e.model.entropy() })
}

var toyNames = []string{
	"swissroll", "circles", "rings", "moons", "8gaussians", "pinwheel", "2spirals", "checkerboard",
	"moons-std",
}

var (
	registryOnce sync.Once
	registry     map[string]Toy2D
)

func buildRegistry() {
	registry = map[string]Toy2D{}
	add := func(name, desc string, m toyModel) {
		registry[name] = Toy2D{Name: name, Description: desc, e: &toyEntry{model: m}}
	}
	add("swissroll", "sklearn swiss roll (t cos t, t sin t)/5, t ~ U[1.5π, 4.5π], noise N(0, 0.2²)", newSwissRoll())
	add("circles", "two circles of radius 3 and 1.5 (equal weight), noise N(0, 0.24²)", newCircles())
	add("rings", "four circles of radius 3, 2.25, 1.5, 0.75 (equal weight), noise N(0, 0.08²)", newRings())
	add("moons", "sklearn two moons, noise 0.1, then 2x + (-1, -0.2) (FFJORD)", newMoons(0.1, [2]float64{2, 2}, [2]float64{-1, -0.2}))
	add("8gaussians", "8 Gaussians at radius 4/1.414, std 0.5/1.414", newEightGaussians())
	add("pinwheel", "5-armed pinwheel: N(1, 0.3²)×N(0, 0.1²) rotated by 2πk/5 + 0.25 e^r, times 2", newPinwheel())
	add("2spirals", "two interleaved spirals (mirror images), uniform box jitter and noise N(0, 0.1²)", newTwoSpirals())
	add("checkerboard", "uniform on the 8 dark 2×2 squares of a 4×4 checkerboard on [-4, 4]²", newCheckerboard())
	add("moons-std", "sklearn two moons, noise 0.05, standardized to zero mean and unit variance per axis", mustMoonsStandardized(0.05))
}

// Names returns the registered toy names: the eight FFJORD toys "swissroll", "circles",
// "rings", "moons", "8gaussians", "pinwheel", "2spirals", "checkerboard", then flowkit's
// "moons-std" (see MoonsStandardized).
func Names() []string { return append([]string(nil), toyNames...) }

// Toy returns the toy density registered under name (see Names).
func Toy(name string) (Toy2D, error) {
	registryOnce.Do(buildRegistry)
	t, ok := registry[name]
	if !ok {
		return Toy2D{}, fmt.Errorf("datasets: unknown 2D toy %q; known toys: %s", name, strings.Join(toyNames, ", "))
	}
	return t, nil
}

// Sample draws n points as rows [x, y] sharing one backing array ([n, 2] row-major). It is
// deterministic given (n, seed); since some generators lay points on an n-dependent grid of
// angles before shuffling, the first k rows of Sample(n, seed) are not Sample(k, seed).
// n <= 0 gives no rows.
func (t Toy2D) Sample(n int, seed uint64) [][]float64 {
	if t.e == nil || n <= 0 {
		return [][]float64{}
	}
	rows, buf := newRows(n, 2)
	t.e.model.sample(newRand(seed), n, buf)
	return rows
}

// LogProb returns the true log-density log p(x, y) in nats, and whether the density of this toy
// is known (true for every registered toy; false for the zero Toy2D). Points outside the
// support of checkerboard give -Inf, as do points where pinwheel's density is below e^-200;
// every other toy gives a finite value at every finite point. NaN coordinates give NaN.
func (t Toy2D) LogProb(x, y float64) (float64, bool) {
	if t.e == nil {
		return math.NaN(), false
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.NaN(), true
	}
	return t.e.model.logProb(x, y), true
}

// BayesNLL returns the differential entropy H(p) = -∫ p log p in nats: the smallest expected
// NLL any model can reach on this toy (see the table in the Toy2D doc), and whether it is known.
// It is exact for checkerboard (ln 32), a one-dimensional radial integral for rings and
// circles, and a two-dimensional Simpson integral of the exact density otherwise (accurate to
// about 1e-6; its grid also checks that the density integrates to one). The first call for a
// toy takes from milliseconds to a couple of seconds (2spirals); later calls are free.
func (t Toy2D) BayesNLL() (float64, bool) {
	if t.e == nil {
		return math.NaN(), false
	}
	t.e.compute()
	return t.e.h, true
}

// Bounds returns a box [x0, x1]×[y0, y1] outside which the toy has a negligible mass (below
// about 1e-12): a plotting window and the integration domain of BayesNLL.
func (t Toy2D) Bounds() (x0, x1, y0, y1 float64) {
	if t.e == nil {
		return 0, 0, 0, 0
	}
	return t.e.model.bounds()
}

// String returns the name and description.
func (t Toy2D) String() string { return t.Name + ": " + t.Description }
