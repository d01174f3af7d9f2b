// Package p16_11 solves problem 16.11 of Prince, Understanding Deep Learning: the reverse-KL
// objective of eq. 16.25 for fitting a flow (the student) to a target density q(x) (the
// teacher) that can be evaluated only up to a constant factor K.
//
// With x_i = f[z_i, phi], z_i ~ Pr(z), the objective is
//
//	KL[Pr(x|phi) || q(x)] ~ (1/I) sum_i ( log Pr(z_i) - log|df/dz_i| - log q(f[z_i, phi]) ),
//
// and replacing q by K q adds the constant -log K, which has zero gradient with respect to
// phi: the minimizer and the whole optimization path are unchanged. The objective uses
// only the forward map and its log-determinant at the sampled z_i, never f^{-1}.
//
// The check uses the 1D affine flow x = a z + b with a standard-normal base and an
// unnormalized two-component Gaussian-mixture target, and differentiates the objective as
// written (including the factor K) by forward-mode automatic differentiation (Dual).
package p16_11

import (
	"math"
	"math/rand/v2"
)

// Mixture component parameters of the unnormalized target qtilde.
var (
	mixWeights = []float64{0.3, 0.7}
	mixMeans   = []float64{-1, 1.5}
	mixSDs     = []float64{0.5, 0.8}
)

// UnnormalizedTarget returns qtilde(x) = sum_j w_j exp(-(x - m_j)^2 / (2 s_j^2)), a
// two-component mixture without its normalizing constants (its integral is
// sqrt(2 pi) (0.3 * 0.5 + 0.7 * 0.8) = 1.7797..., deliberately not 1).
func UnnormalizedTarget(x Dual) Dual {
	sum := Const(0)
	for j := range mixWeights {
		u := x.Sub(Const(mixMeans[j])).Scale(1 / mixSDs[j])
		sum = sum.Add(u.Mul(u).Scale(-0.5).Exp().Scale(mixWeights[j]))
	}
	return sum
}

// TargetScore returns d/dx log qtilde(x), derived by hand (used only by
// ReverseKLGradAnalytic).
func TargetScore(x float64) float64 {
	num, den := 0.0, 0.0
	for j := range mixWeights {
		u := (x - mixMeans[j]) / mixSDs[j]
		e := mixWeights[j] * math.Exp(-0.5*u*u)
		den += e
		num += e * (-u / mixSDs[j])
	}
	return num / den
}

// BaseDraws returns n fixed draws z_i ~ Norm(0, 1) from seed; the objective is a
// deterministic function of the parameters once the draws are fixed.
func BaseDraws(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	z := make([]float64, n)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	return z
}

// reverseKL evaluates the Monte Carlo reverse-KL objective for the flow x = a z + b against
// q = K qtilde, in dual numbers:
// (1/I) sum_i [ log Norm(z_i; 0, 1) - log|a| - log(K qtilde(a z_i + b)) ].
func reverseKL(a, b Dual, k float64, z []float64) Dual {
	sum := Const(0)
	logAbsDet := a.Abs().Log()
	for _, zi := range z {
		logBase := Const(-0.5*zi*zi - 0.5*math.Log(2*math.Pi))
		x := a.Scale(zi).Add(b) // forward map only: no inverse is ever needed
		logQ := UnnormalizedTarget(x).Scale(k).Log()
		sum = sum.Add(logBase.Sub(logAbsDet).Sub(logQ))
	}
	return sum.Scale(1 / float64(len(z)))
}

// ReverseKL returns the Monte Carlo reverse-KL objective (eq. 16.25 written out) of the
// affine flow x = a z + b against the target q(x) = K qtilde(x), using the draws z.
// It equals KL[Pr(x|a,b) || q_normalized] - log(K Z) in expectation, Z the integral of qtilde.
func ReverseKL(a, b, k float64, z []float64) float64 {
	return reverseKL(Const(a), Const(b), k, z).V
}

// ReverseKLGrad returns the gradient (dL/da, dL/db) of ReverseKL by forward-mode automatic
// differentiation of the objective exactly as written, K included.
func ReverseKLGrad(a, b, k float64, z []float64) (da, db float64) {
	da = reverseKL(Var(a), Const(b), k, z).D
	db = reverseKL(Const(a), Var(b), k, z).D
	return da, db
}

// ReverseKLGradAnalytic returns the hand-derived gradient, in which K does not appear:
// dL/da = -1/a - (1/I) sum_i s(x_i) z_i and dL/db = -(1/I) sum_i s(x_i), with
// s = d/dx log qtilde (TargetScore) and x_i = a z_i + b.
func ReverseKLGradAnalytic(a, b float64, z []float64) (da, db float64) {
	for _, zi := range z {
		s := TargetScore(a*zi + b)
		da -= s * zi
		db -= s
	}
	n := float64(len(z))
	return -1/a + da/n, db / n
}

// Fit minimizes ReverseKL over (a, b) by plain gradient descent from (a0, b0) with the
// automatic-differentiation gradient, for the given number of steps and learning rate, and
// returns the final parameters. Because K only shifts the objective, the path is the same
// for every K.
func Fit(k float64, z []float64, a0, b0 float64, steps int, lr float64) (a, b float64) {
	a, b = a0, b0
	for s := 0; s < steps; s++ {
		da, db := ReverseKLGrad(a, b, k, z)
		a -= lr * da
		b -= lr * db
	}
	return a, b
}
