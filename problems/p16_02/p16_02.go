// Package p16_02 solves problem 16.2 of Prince, Understanding Deep Learning: the density of
// x = sigmoid(z) = 1 / (1 + exp(-z)) when z is standard normal (eqs. 16.27-16.28).
//
// Derivation (README.md): the inverse is z = logit(x) = log(x / (1 - x)) and
// dx/dz = x (1 - x), so Pr(x) = Norm(logit x; 0, 1) / (x (1 - x)) on (0, 1): the
// logit-normal density.
package p16_02

import (
	"math"
	"math/rand/v2"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
)

// Sigmoid is the generative map of eq. 16.28, x = 1 / (1 + exp(-z)).
func Sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Logit is the inverse map z = log(x / (1 - x)) for x in (0, 1).
func Logit(x float64) float64 { return math.Log(x) - math.Log1p(-x) }

// StdNormal is the base density of eq. 16.27, exp(-z^2/2) / sqrt(2 pi).
func StdNormal(z float64) float64 { return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi) }

// Density is the solution, the logit-normal density
// Pr(x) = exp(-logit(x)^2 / 2) / (sqrt(2 pi) x (1 - x)) for 0 < x < 1, and 0 elsewhere.
func Density(x float64) float64 {
	if x <= 0 || x >= 1 {
		return 0
	}
	return StdNormal(Logit(x)) / (x * (1 - x))
}

// Sample draws n values of x = Sigmoid(z) with z ~ Norm(0, 1), deterministically from seed.
func Sample(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = Sigmoid(r.NormFloat64())
	}
	return xs
}

// MonteCarloHistogram samples n values of x (see Sample) and returns the bins+1 equally
// spaced edges on [0, 1] and the histogram density estimate count_i / (n * width) of each bin.
func MonteCarloHistogram(n, bins int, seed uint64) (edges, density []float64) {
	h := numcheck.NewHistogram(Sample(n, seed), numcheck.UniformEdges(0, 1, bins))
	return h.Edges, h.Density
}
