// Package p16_05 solves problem 16.5 of Prince, Understanding Deep Learning: if z has mean mu
// and covariance Sigma, then x = A z + b has mean A mu + b and covariance A Sigma A^T.
// Nothing about z is assumed beyond finite second moments, and A may be rectangular.
//
// The check pushes 10^6 samples of a deliberately non-Gaussian z (correlated mixture of
// uniform, exponential and Laplace components) through a 2x3 matrix A and compares the
// sample mean and covariance with A mu + b and A Sigma A^T within their standard errors.
package p16_05

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Push returns x = A z + b for one vector z.
func Push(a mat.Matrix, b, z []float64) []float64 {
	r, _ := a.Dims()
	var x mat.VecDense
	x.MulVec(a, mat.NewVecDense(len(z), append([]float64(nil), z...)))
	out := make([]float64, r)
	for i := range out {
		out[i] = x.AtVec(i) + b[i]
	}
	return out
}

// PushAll applies Push to every row of zs.
func PushAll(a mat.Matrix, b []float64, zs [][]float64) [][]float64 {
	r, c := a.Dims()
	am := mat.DenseCopyOf(a).RawMatrix()
	xs := make([][]float64, len(zs))
	flat := make([]float64, len(zs)*r)
	for k, z := range zs {
		x := flat[k*r : (k+1)*r : (k+1)*r]
		for i := 0; i < r; i++ {
			v := b[i]
			row := am.Data[i*am.Stride : i*am.Stride+c]
			for j, aij := range row {
				v += aij * z[j]
			}
			x[i] = v
		}
		xs[k] = x
	}
	return xs
}

// Mean returns the solution's mean of x = A z + b: A mu + b.
func Mean(a mat.Matrix, mu, b []float64) []float64 { return Push(a, b, mu) }

// Covariance returns the solution's covariance of x = A z + b: A Sigma A^T.
func Covariance(a mat.Matrix, sigma mat.Matrix) *mat.Dense {
	var as, out mat.Dense
	as.Mul(a, sigma)
	out.Mul(&as, a.T())
	return &out
}

// Example is the instance used by the check: z = mu + L u with u having three independent
// standardized non-Gaussian components (uniform, centred exponential, Laplace), so z has
// mean Mu and covariance Sigma = L L^T but is not Gaussian; x = A z + B with A of size 2x3.
type Example struct {
	Mu    []float64
	L     *mat.Dense // lower-triangular factor, Sigma = L L^T
	A     *mat.Dense // 2x3
	B     []float64
	Sigma *mat.Dense
}

// NewExample returns the fixed instance described on Example.
func NewExample() Example {
	l := mat.NewDense(3, 3, []float64{
		1.0, 0, 0,
		0.6, 0.8, 0,
		-0.4, 0.5, 0.7,
	})
	var sigma mat.Dense
	sigma.Mul(l, l.T())
	return Example{
		Mu: []float64{1, -2, 0.5},
		L:  l,
		A: mat.NewDense(2, 3, []float64{
			2, -1, 0.5,
			0.3, 1.5, -2,
		}),
		B:     []float64{-1, 3},
		Sigma: &sigma,
	}
}

// SampleZ draws n samples of z = mu + L u deterministically from seed. The components of u
// are independent with mean 0 and variance 1: sqrt(3)(2U - 1) with U uniform, E - 1 with E
// exponential(1), and a Laplace variable with scale 1/sqrt(2).
func (e Example) SampleZ(n int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zs := make([][]float64, n)
	for i := range zs {
		u0 := math.Sqrt(3) * (2*r.Float64() - 1)
		u1 := r.ExpFloat64() - 1
		u2 := r.ExpFloat64() / math.Sqrt2
		if r.IntN(2) == 0 {
			u2 = -u2
		}
		u := []float64{u0, u1, u2}
		z := make([]float64, 3)
		for a := 0; a < 3; a++ {
			z[a] = e.Mu[a]
			for c := 0; c <= a; c++ {
				z[a] += e.L.At(a, c) * u[c]
			}
		}
		zs[i] = z
	}
	return zs
}
