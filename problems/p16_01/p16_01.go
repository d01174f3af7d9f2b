// Package p16_01 solves problem 16.1 of Prince, Understanding Deep Learning: the density of
// x = f(z) = z^2 when z is uniform on [0, 1].
//
// Derivation (README.md): f is strictly increasing on [0, 1] with inverse z = sqrt(x) and
// df/dz = 2z, so by eq. 16.1 Pr(x) = |df/dz|^{-1} Pr(z) = 1 / (2 sqrt(x)) on (0, 1].
package p16_01

import (
	"math"
	"math/rand/v2"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
)

// Forward is the generative map x = f(z) = z^2 of problem 16.1 (z in [0, 1]).
func Forward(z float64) float64 { return z * z }

// Inverse is the normalizing map z = f^{-1}(x) = sqrt(x) for x in [0, 1].
func Inverse(x float64) float64 { return math.Sqrt(x) }

// Density is the solution Pr(x) = 1 / (2 sqrt(x)) for 0 < x <= 1 and 0 elsewhere.
// It is unbounded as x -> 0+ but integrable (its integral over [0, 1] is 1).
// At x = 0 it returns +Inf.
func Density(x float64) float64 {
	if x < 0 || x > 1 {
		return 0
	}
	return 1 / (2 * math.Sqrt(x))
}

// CDF is the distribution function Pr(X <= x) = sqrt(x) on [0, 1] (0 below, 1 above),
// the integral of Density.
func CDF(x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	return math.Sqrt(x)
}

// Sample draws n values of x = z^2 with z ~ Uniform[0, 1), deterministically from seed
// (PCG generator of math/rand/v2).
func Sample(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = Forward(r.Float64())
	}
	return xs
}

// MonteCarloHistogram samples n values of x (see Sample) and returns the bins+1 equally
// spaced edges on [0, 1] and the histogram density estimate count_i / (n * width) of each bin.
func MonteCarloHistogram(n, bins int, seed uint64) (edges, density []float64) {
	h := numcheck.NewHistogram(Sample(n, seed), numcheck.UniformEdges(0, 1, bins))
	return h.Edges, h.Density
}
