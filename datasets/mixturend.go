package datasets

import (
	"fmt"
	"math"
)

// GaussianMixtureND is a mixture of K multivariate normal distributions in D dimensions with
// full covariances,
//
//	p(x) = Σ_k w_k N(x; μ_k, Σ_k),
//	log N(x; μ, Σ) = -(D/2) ln 2π - Σ_i ln L_ii - ½ |L⁻¹(x - μ)|²,   Σ = L Lᵀ (Cholesky),
//
// the tabular benchmark with an exact density: a flow's test NLL can be compared with the
// true one point by point. Build one with NewGaussianMixtureND, NewCorrelatedMixture or
// Mixture8D (the zero value has no components: no samples, NaN log-densities). It is immutable
// and safe for concurrent use.
type GaussianMixtureND struct {
	d       int
	w       []float64
	mu      [][]float64
	cov     [][][]float64
	chol    [][]float64 // per component, lower-triangular L row-major [D*D]
	logNorm []float64   // log w_k - (D/2) ln 2π - Σ_i ln L_ii
}

// NewGaussianMixtureND returns Σ_k w_k N(μ_k, Σ_k) for weights w (normalized to sum to one;
// each positive and finite), means μ_k of a common length D and D×D covariances Σ_k, each
// symmetric (to 1e-10 relative) and positive definite, which is checked by its Cholesky
// factorization.
func NewGaussianMixtureND(weights []float64, means [][]float64, covs [][][]float64) (*GaussianMixtureND, error) {
	k := len(weights)
	if k == 0 {
		return nil, fmt.Errorf("datasets: GaussianMixtureND needs at least one component")
	}
	if len(means) != k || len(covs) != k {
		return nil, fmt.Errorf("datasets: GaussianMixtureND has %d weights, %d means and %d covariances; they must match",
			k, len(means), len(covs))
	}
	d := len(means[0])
	if d == 0 {
		return nil, fmt.Errorf("datasets: GaussianMixtureND mean 0 is empty; the dimension must be at least 1")
	}
	m := &GaussianMixtureND{d: d}
	var total float64
	for c := 0; c < k; c++ {
		if !(weights[c] > 0) || math.IsInf(weights[c], 0) {
			return nil, fmt.Errorf("datasets: GaussianMixtureND weight %d is %v; weights must be positive and finite", c, weights[c])
		}
		total += weights[c]
		if len(means[c]) != d {
			return nil, fmt.Errorf("datasets: GaussianMixtureND mean %d has length %d, mean 0 has %d", c, len(means[c]), d)
		}
		for i, v := range means[c] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("datasets: GaussianMixtureND mean %d has %v at index %d", c, v, i)
			}
		}
		l, err := cholesky(covs[c], d)
		if err != nil {
			return nil, fmt.Errorf("datasets: GaussianMixtureND covariance %d: %w", c, err)
		}
		m.mu = append(m.mu, append([]float64(nil), means[c]...))
		m.cov = append(m.cov, copyMatrix(covs[c]))
		m.chol = append(m.chol, l)
	}
	for c := 0; c < k; c++ {
		w := weights[c] / total
		m.w = append(m.w, w)
		logDet := 0.0 // ½ ln det Σ = Σ_i ln L_ii
		for i := 0; i < d; i++ {
			logDet += math.Log(m.chol[c][i*d+i])
		}
		m.logNorm = append(m.logNorm, math.Log(w)-float64(d)/2*ln2Pi-logDet)
	}
	return m, nil
}

// cholesky returns the lower-triangular L (row-major d×d) with a = L Lᵀ, or an error naming why
// a is not a symmetric positive-definite d×d matrix.
func cholesky(a [][]float64, d int) ([]float64, error) {
	if len(a) != d {
		return nil, fmt.Errorf("has %d rows, want %d", len(a), d)
	}
	for i := range a {
		if len(a[i]) != d {
			return nil, fmt.Errorf("row %d has %d columns, want %d", i, len(a[i]), d)
		}
		for j := range a[i] {
			if v := a[i][j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			scale := math.Max(math.Abs(a[i][j]), math.Abs(a[j][i]))
			if math.Abs(a[i][j]-a[j][i]) > 1e-10*math.Max(scale, 1e-300) {
				return nil, fmt.Errorf("is not symmetric: entry (%d, %d) = %v but (%d, %d) = %v", i, j, a[i][j], j, i, a[j][i])
			}
		}
	}
	l := make([]float64, d*d)
	for j := 0; j < d; j++ {
		s := a[j][j]
		for k := 0; k < j; k++ {
			s -= l[j*d+k] * l[j*d+k]
		}
		if !(s > 0) {
			return nil, fmt.Errorf("is not positive definite (pivot %d is %v)", j, s)
		}
		l[j*d+j] = math.Sqrt(s)
		for i := j + 1; i < d; i++ {
			s := a[i][j]
			for k := 0; k < j; k++ {
				s -= l[i*d+k] * l[j*d+k]
			}
			l[i*d+j] = s / l[j*d+j]
		}
	}
	return l, nil
}

func copyMatrix(a [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = append([]float64(nil), a[i]...)
	}
	return out
}

// NewCorrelatedMixture returns a seeded random mixture of k correlated Gaussians in d
// dimensions, drawn from the PCG stream of seed in this order:
//
//	weights       w_k ∝ 1/2 + U_k,                    U_k ~ U[0, 1)   (ratios at most 3)
//	means         μ_k ~ N(0, I_d)
//	covariances   Σ_k = Q_k diag(s_k²) Q_kᵀ,          Q_k Haar-random orthogonal (Gram-Schmidt
//	                                                  QR of a Gaussian matrix),
//	              s_{k,i} = 0.3 · 2^{V_{k,i}},         V ~ U[-1, 1)   (principal std devs in [0.15, 0.6))
//
// so each component is an ellipsoid with random orientation and condition number up to 16,
// i.e. strongly correlated coordinates. It is the same mixture for the same (d, k, seed) on every
// platform. d and k must be in [1, 4096].
func NewCorrelatedMixture(d, k int, seed uint64) (*GaussianMixtureND, error) {
	if d < 1 || d > 4096 {
		return nil, fmt.Errorf("datasets: NewCorrelatedMixture dimension d=%d; it must be in [1, 4096]", d)
	}
	if k < 1 || k > 4096 {
		return nil, fmt.Errorf("datasets: NewCorrelatedMixture components k=%d; it must be in [1, 4096]", k)
	}
	r := newRand(seed)
	weights := make([]float64, k)
	for c := range weights {
		weights[c] = 0.5 + r.Float64()
	}
	means := make([][]float64, k)
	for c := range means {
		means[c] = make([]float64, d)
		for i := range means[c] {
			means[c][i] = r.NormFloat64()
		}
	}
	covs := make([][][]float64, k)
	for c := range covs {
		q := randomOrthogonal(r.NormFloat64, d)
		s2 := make([]float64, d)
		for i := range s2 {
			s := 0.3 * math.Exp2(2*r.Float64()-1)
			s2[i] = s * s
		}
		cov := make([][]float64, d)
		for i := range cov {
			cov[i] = make([]float64, d)
		}
		for i := 0; i < d; i++ {
			for j := 0; j <= i; j++ {
				var v float64
				for a := 0; a < d; a++ {
					v += q[i][a] * s2[a] * q[j][a]
				}
				cov[i][j], cov[j][i] = v, v
			}
		}
		covs[c] = cov
	}
	return NewGaussianMixtureND(weights, means, covs)
}

// randomOrthogonal returns a Haar-distributed d×d orthogonal matrix: the Q of the modified
// Gram-Schmidt QR factorization (R with a positive diagonal) of a matrix of N(0, 1) entries.
// Its columns are q[·][j].
func randomOrthogonal(normal func() float64, d int) [][]float64 {
	cols := make([][]float64, d) // cols[j] is column j.
	for j := range cols {
		cols[j] = make([]float64, d)
		for i := range cols[j] {
			cols[j][i] = normal()
		}
	}
	for j := 0; j < d; j++ {
		for p := 0; p < j; p++ {
			var dot float64
			for i := 0; i < d; i++ {
				dot += cols[p][i] * cols[j][i]
			}
			for i := 0; i < d; i++ {
				cols[j][i] -= dot * cols[p][i]
			}
		}
		var norm float64
		for _, v := range cols[j] {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for i := range cols[j] {
			cols[j][i] /= norm
		}
	}
	q := make([][]float64, d)
	for i := range q {
		q[i] = make([]float64, d)
		for j := 0; j < d; j++ {
			q[i][j] = cols[j][i]
		}
	}
	return q
}

// Mixture8D returns flowkit's default tabular target: NewCorrelatedMixture(8, 5, 8), five
// correlated Gaussians in 8 dimensions with weights (0.169, 0.126, 0.159, 0.304, 0.242). Its
// entropy (Bayes NLL) is 3.370 ± 0.002 nats (EntropyMC with 10⁶ samples, seed 1).
func Mixture8D() *GaussianMixtureND {
	m, err := NewCorrelatedMixture(8, 5, 8)
	if err != nil {
		panic(err) // unreachable: the arguments are valid.
	}
	return m
}

// Dim returns the dimension D.
func (m *GaussianMixtureND) Dim() int { return m.d }

// Len returns the number of components K.
func (m *GaussianMixtureND) Len() int { return len(m.w) }

// Weights returns a copy of the normalized weights w_k.
func (m *GaussianMixtureND) Weights() []float64 { return append([]float64(nil), m.w...) }

// ComponentMean returns a copy of μ_k, or nil if k is out of range.
func (m *GaussianMixtureND) ComponentMean(k int) []float64 {
	if k < 0 || k >= len(m.w) {
		return nil
	}
	return append([]float64(nil), m.mu[k]...)
}

// ComponentCov returns a copy of Σ_k, or nil if k is out of range.
func (m *GaussianMixtureND) ComponentCov(k int) [][]float64 {
	if k < 0 || k >= len(m.w) {
		return nil
	}
	return copyMatrix(m.cov[k])
}

// Mean returns the mixture mean E[X] = Σ_k w_k μ_k.
func (m *GaussianMixtureND) Mean() []float64 {
	out := make([]float64, m.d)
	for k, w := range m.w {
		for i := range out {
			out[i] += w * m.mu[k][i]
		}
	}
	return out
}

// Covariance returns the mixture covariance Σ_k w_k (Σ_k + μ_k μ_kᵀ) - E[X] E[X]ᵀ.
func (m *GaussianMixtureND) Covariance() [][]float64 {
	mean := m.Mean()
	out := make([][]float64, m.d)
	for i := range out {
		out[i] = make([]float64, m.d)
		for j := range out[i] {
			for k, w := range m.w {
				out[i][j] += w * (m.cov[k][i][j] + m.mu[k][i]*m.mu[k][j])
			}
			out[i][j] -= mean[i] * mean[j]
		}
	}
	return out
}

// Sample draws n rows of length D (sharing one backing array, [n, D] row-major): a component
// k with probability w_k, then x = μ_k + L_k ε with ε ~ N(0, I_D). Deterministic given
// (n, seed); n <= 0 gives no rows.
func (m *GaussianMixtureND) Sample(n int, seed uint64) [][]float64 {
	if n <= 0 || len(m.w) == 0 {
		return [][]float64{}
	}
	rows, _ := newRows(n, m.d)
	r := newRand(seed)
	eps := make([]float64, m.d)
	for _, x := range rows {
		u, k := r.Float64(), 0
		for c := 0.0; k < len(m.w)-1; k++ {
			c += m.w[k]
			if u < c {
				break
			}
		}
		for i := range eps {
			eps[i] = r.NormFloat64()
		}
		l := m.chol[k]
		for i := 0; i < m.d; i++ {
			v := m.mu[k][i]
			for j := 0; j <= i; j++ {
				v += l[i*m.d+j] * eps[j]
			}
			x[i] = v
		}
	}
	return rows
}

// LogProb returns log p(x) by log-sum-exp over the components, each through a triangular
// solve with its Cholesky factor. x must have length D; otherwise the result is NaN (use
// LogProbs for a checked batch).
func (m *GaussianMixtureND) LogProb(x []float64) float64 {
	if len(x) != m.d || len(m.w) == 0 {
		return math.NaN()
	}
	var zbuf [32]float64
	var tbuf [16]float64
	z := zbuf[:0]
	if m.d > len(zbuf) {
		z = make([]float64, 0, m.d)
	}
	z = z[:m.d]
	terms := tbuf[:0]
	for k := range m.w {
		l := m.chol[k]
		var q float64
		for i := 0; i < m.d; i++ { // forward substitution L z = x - μ.
			s := x[i] - m.mu[k][i]
			for j := 0; j < i; j++ {
				s -= l[i*m.d+j] * z[j]
			}
			z[i] = s / l[i*m.d+i]
			q += z[i] * z[i]
		}
		terms = append(terms, m.logNorm[k]-0.5*q)
	}
	return logSumExp(terms)
}

// LogProbs returns log p(x) for every row, or an error naming the first row whose length is
// not D.
func (m *GaussianMixtureND) LogProbs(rows [][]float64) ([]float64, error) {
	out := make([]float64, len(rows))
	for i, x := range rows {
		if len(x) != m.d {
			return nil, fmt.Errorf("datasets: row %d has length %d, the mixture has dimension %d", i, len(x), m.d)
		}
		out[i] = m.LogProb(x)
	}
	return out, nil
}

// EntropyMC estimates the entropy H = -E[log p(X)] (the Bayes NLL, nats) by Monte Carlo over n
// samples drawn with seed, returning the sample mean of -log p and its standard error
// sd/√n. A Gaussian mixture's entropy has no closed form; with n = 10⁶ the standard error is
// typically a few 1e-3. n must be at least 2.
func (m *GaussianMixtureND) EntropyMC(n int, seed uint64) (h, stderr float64, err error) {
	if n < 2 {
		return 0, 0, fmt.Errorf("datasets: EntropyMC needs at least 2 samples, got %d", n)
	}
	var mean, m2 float64 // Welford's running mean and sum of squared deviations.
	for i, x := range m.Sample(n, seed) {
		v := -m.LogProb(x)
		delta := v - mean
		mean += delta / float64(i+1)
		m2 += delta * (v - mean)
	}
	return mean, math.Sqrt(m2 / float64(n-1) / float64(n)), nil
}
