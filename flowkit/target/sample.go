package target

import (
	"math"
	"math/rand/v2"
)

// Sampler is implemented by targets that can also be sampled exactly on the host, so that the
// same density can be fitted both ways: by maximum likelihood on samples (forward KL, eq. 16.26)
// and by reverse KL on the density (eq. 16.25), as in figure 16.14.
type Sampler interface {
	// Sample draws n points, reproducibly for a given seed.
	Sample(n int, seed uint64) [][]float64
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed7a76e7)) }

// Sample implements Sampler: x₁ ~ N(0, Sigma²), x₂ = Curvature(x₁² - Sigma²) + ε, ε ~ N(0, 1).
func (b *Banana) Sample(n int, seed uint64) [][]float64 {
	r := newRand(seed)
	out := make([][]float64, n)
	for i := range out {
		x1 := b.Sigma * r.NormFloat64()
		out[i] = []float64{x1, b.Curvature*(x1*x1-b.Sigma*b.Sigma) + r.NormFloat64()}
	}
	return out
}

// Sample implements Sampler: v ~ N(0, Scale²), then x_i ~ N(0, e^v).
func (f *Funnel) Sample(n int, seed uint64) [][]float64 {
	r := newRand(seed)
	out := make([][]float64, n)
	for i := range out {
		row := make([]float64, f.D)
		row[0] = f.Scale * r.NormFloat64()
		sd := math.Exp(row[0] / 2)
		for j := 1; j < f.D; j++ {
			row[j] = sd * r.NormFloat64()
		}
		out[i] = row
	}
	return out
}

// Sample implements Sampler: a component k with probability Weights[k], then N(Means[k], Std² I).
func (m *Mixture) Sample(n int, seed uint64) [][]float64 {
	r := newRand(seed)
	D := m.Dims()
	out := make([][]float64, n)
	for i := range out {
		u, k := r.Float64(), 0
		for k < len(m.Weights)-1 && u >= m.Weights[k] {
			u -= m.Weights[k]
			k++
		}
		row := make([]float64, D)
		for j := range row {
			row[j] = m.Means[k][j] + m.Std*r.NormFloat64()
		}
		out[i] = row
	}
	return out
}
