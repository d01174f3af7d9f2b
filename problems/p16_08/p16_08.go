// Package p16_08 solves problem 16.8 of Prince, Understanding Deep Learning: the Jacobian and
// its determinant for the piecewise-linear function of eq. 16.12 applied elementwise.
//
// Eq. 16.12, with its indexing made consistent (README.md): K equal bins on [0, 1], positive
// parameters phi_1..phi_K summing to one, bin b = floor(K h) + 1 (1-based; b = K at h = 1),
//
//	f[h, phi] = sum_{k=1}^{b-1} phi_k + (K h - (b - 1)) phi_b.
//
// Solution: df/dh = K phi_b, so for f[h] = [f[h_1], ..., f[h_D]] the Jacobian is
// diag(K phi_{b_1}, ..., K phi_{b_D}) and its determinant is prod_d K phi_{b_d}
// (= K^D prod_d phi_{b_d}), defined wherever no h_d sits exactly on a bin boundary.
//
// In code the bins are 0-based: phi[0] is phi_1.
package p16_08

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Bin returns the 0-based bin index of h in [0, 1] for K bins: min(floor(K h), K - 1).
func Bin(h float64, k int) int {
	b := int(math.Floor(float64(k) * h))
	if b >= k {
		b = k - 1
	}
	if b < 0 {
		b = 0
	}
	return b
}

// PiecewiseLinear is eq. 16.12: f[h, phi] = sum_{k < b} phi_k + (K h - b) phi_b with the
// 0-based bin b = Bin(h, K) and K = len(phi). phi must be positive and sum to one; then f is
// a continuous increasing bijection of [0, 1]. It returns NaN for h outside [0, 1].
func PiecewiseLinear(h float64, phi []float64) float64 {
	if h < 0 || h > 1 || math.IsNaN(h) {
		return math.NaN()
	}
	k := len(phi)
	b := Bin(h, k)
	s := 0.0
	for i := 0; i < b; i++ {
		s += phi[i]
	}
	return s + (float64(k)*h-float64(b))*phi[b]
}

// BinOfOutput returns the bin b holding an output y of a map whose K bins have output masses
// phi (summing to one), and the bin's start s = sum_{k<b} phi_k: the last b with s <= y,
// capped at K-1. Inverting any such per-bin map (eq. 16.12, and problem 16.9's) starts here.
func BinOfOutput(y float64, phi []float64) (b int, start float64) {
	for b < len(phi)-1 && start+phi[b] <= y {
		start += phi[b]
		b++
	}
	return b, start
}

// PiecewiseLinearInverse returns h = f^{-1}[y, phi] for y in [0, 1]: it finds the bin b with
// sum_{k<b} phi_k <= y < sum_{k<=b} phi_k and returns (b + (y - sum_{k<b} phi_k) / phi_b) / K.
// It returns NaN for y outside [0, 1].
func PiecewiseLinearInverse(y float64, phi []float64) float64 {
	if y < 0 || y > 1 || math.IsNaN(y) {
		return math.NaN()
	}
	b, s := BinOfOutput(y, phi)
	return (float64(b) + (y-s)/phi[b]) / float64(len(phi))
}

// Derivative returns df/dh = K phi_b at h (the right derivative on a bin boundary).
func Derivative(h float64, phi []float64) float64 {
	return float64(len(phi)) * phi[Bin(h, len(phi))]
}

// Forward applies PiecewiseLinear elementwise with shared parameters phi (eq. 16.10).
func Forward(h []float64, phi []float64) []float64 {
	out := make([]float64, len(h))
	for i, v := range h {
		out[i] = PiecewiseLinear(v, phi)
	}
	return out
}

// Inverse applies PiecewiseLinearInverse elementwise.
func Inverse(y []float64, phi []float64) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = PiecewiseLinearInverse(v, phi)
	}
	return out
}

// Jacobian returns the solution's Jacobian df/dh = diag(K phi_{b_1}, ..., K phi_{b_D}).
func Jacobian(h []float64, phi []float64) *mat.Dense {
	j := mat.NewDense(len(h), len(h), nil)
	for i, v := range h {
		j.Set(i, i, Derivative(v, phi))
	}
	return j
}

// Det returns the solution's determinant prod_d K phi_{b_d} (positive: f is increasing).
func Det(h []float64, phi []float64) float64 {
	p := 1.0
	for _, v := range h {
		p *= Derivative(v, phi)
	}
	return p
}

// LogDet returns log Det(h, phi) = sum_d log(K phi_{b_d}), the forward log-determinant.
func LogDet(h []float64, phi []float64) float64 {
	s := 0.0
	for _, v := range h {
		s += math.Log(Derivative(v, phi))
	}
	return s
}
