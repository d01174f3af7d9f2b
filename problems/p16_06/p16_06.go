// Package p16_06 solves problem 16.6 of Prince, Understanding Deep Learning: if
// Pr(z) = Norm_z[mu, Sigma] and x = f(z) = A z + b with A square and invertible, the change of
// variables Pr(x) = Pr(z) |df/dz|^{-1} (eq. 16.30) gives Pr(x) = Norm_x[A mu + b, A Sigma A^T].
//
// LogDensity evaluates the left-hand side literally (invert, evaluate the base density,
// divide by |det A|); the test compares it with gonum's multivariate normal with the
// right-hand side's parameters.
package p16_06

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// LogDensity returns log Pr(x) for x = A z + b, z ~ Norm[mu, Sigma], by the change of
// variables of eq. 16.30: log Norm(A^{-1}(x - b); mu, Sigma) - log|det A|.
// A must be square and invertible and Sigma symmetric positive definite.
func LogDensity(x []float64, a *mat.Dense, b, mu []float64, sigma mat.Symmetric) float64 {
	d := len(x)
	r := make([]float64, d)
	for i := range r {
		r[i] = x[i] - b[i]
	}
	var z mat.VecDense
	if err := z.SolveVec(a, mat.NewVecDense(d, r)); err != nil {
		panic(err)
	}
	logDetA, _ := mat.LogDet(a)
	return baseLogDensity(z.RawVector().Data, mu, sigma) - logDetA
}

// baseLogDensity is log Norm(z; mu, Sigma) = -D/2 log 2 pi - 1/2 log|Sigma| - 1/2 q, with the
// quadratic form q = (z - mu)^T Sigma^{-1} (z - mu) from a Cholesky solve.
func baseLogDensity(z, mu []float64, sigma mat.Symmetric) float64 {
	d := len(z)
	var ch mat.Cholesky
	if !ch.Factorize(sigma) {
		panic("p16_06: Sigma is not positive definite")
	}
	dz := make([]float64, d)
	for i := range dz {
		dz[i] = z[i] - mu[i]
	}
	dv := mat.NewVecDense(d, dz)
	var s mat.VecDense
	if err := ch.SolveVecTo(&s, dv); err != nil {
		panic(err)
	}
	q := mat.Dot(dv, &s)
	return -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*ch.LogDet() - 0.5*q
}

// PushedParameters returns the solution's parameters of Pr(x): mean A mu + b and
// covariance A Sigma A^T (symmetrized).
func PushedParameters(a *mat.Dense, b, mu []float64, sigma mat.Symmetric) (mean []float64, cov *mat.SymDense) {
	d := len(mu)
	var m mat.VecDense
	m.MulVec(a, mat.NewVecDense(d, append([]float64(nil), mu...)))
	mean = make([]float64, d)
	for i := range mean {
		mean[i] = m.AtVec(i) + b[i]
	}
	var as, c mat.Dense
	as.Mul(a, sigma)
	c.Mul(&as, a.T())
	cov = mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, 0.5*(c.At(i, j)+c.At(j, i)))
		}
	}
	return mean, cov
}

// Example returns the instance used by the check: a 3x3 invertible A (not symmetric, with a
// negative determinant, so the absolute value in eq. 16.30 matters), offset b, mean mu and
// covariance Sigma of z.
func Example() (a *mat.Dense, b, mu []float64, sigma *mat.SymDense) {
	a = mat.NewDense(3, 3, []float64{
		0.5, 2.0, -1.0,
		1.5, -0.3, 0.4,
		-0.7, 0.8, 1.2,
	})
	b = []float64{3, -1, 0.25}
	mu = []float64{-0.5, 1, 2}
	sigma = mat.NewSymDense(3, []float64{
		2.0, 0.6, -0.3,
		0.6, 1.0, 0.2,
		-0.3, 0.2, 0.5,
	})
	return a, b, mu, sigma
}

// SampleX draws n samples x = A z + b with z ~ Norm[mu, Sigma] (z = mu + L e, Sigma = L L^T,
// e standard normal), deterministically from seed.
func SampleX(n int, seed uint64, a *mat.Dense, b, mu []float64, sigma mat.Symmetric) [][]float64 {
	d := len(mu)
	var ch mat.Cholesky
	if !ch.Factorize(sigma) {
		panic("p16_06: Sigma is not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	xs := make([][]float64, n)
	e := make([]float64, d)
	z := make([]float64, d)
	for k := range xs {
		for i := range e {
			e[i] = r.NormFloat64()
		}
		for i := 0; i < d; i++ {
			z[i] = mu[i]
			for j := 0; j <= i; j++ {
				z[i] += l.At(i, j) * e[j]
			}
		}
		x := make([]float64, d)
		for i := 0; i < d; i++ {
			x[i] = b[i]
			for j := 0; j < d; j++ {
				x[i] += a.At(i, j) * z[j]
			}
		}
		xs[k] = x
	}
	return xs
}
