// Package p16_07 solves problem 16.7 of Prince, Understanding Deep Learning: the inverse of the
// leaky ReLU (eq. 16.31, slope 0.1 for negative inputs) and the inverse absolute Jacobian
// determinant of the elementwise flow x = f[z] = [LReLU[z_1], ..., LReLU[z_D]]^T (eq. 16.32).
//
// Solution (README.md): LReLU^{-1}[x] = 10 x for x < 0 and x for x >= 0; the Jacobian is
// diagonal with entries 0.1 or 1, so |df/dz|^{-1} = prod_d (1 if z_d >= 0 else 10) =
// 10^{#{d : z_d < 0}}, equivalently log|df/dz| = #{d : z_d < 0} log 0.1.
package p16_07

import "math"

// Slope is the leaky ReLU's slope for negative inputs in eq. 16.31.
const Slope = 0.1

// LeakyReLU is eq. 16.31: 0.1 z for z < 0 and z for z >= 0.
func LeakyReLU(z float64) float64 {
	if z < 0 {
		return Slope * z
	}
	return z
}

// LeakyReLUInverse is the solution's inverse: x / 0.1 = 10 x for x < 0 and x for x >= 0.
// (The sign is preserved by the leaky ReLU, so the branch can be chosen from x.)
func LeakyReLUInverse(x float64) float64 {
	if x < 0 {
		return x / Slope
	}
	return x
}

// Forward applies eq. 16.32 elementwise: x = f[z].
func Forward(z []float64) []float64 {
	x := make([]float64, len(z))
	for i, v := range z {
		x[i] = LeakyReLU(v)
	}
	return x
}

// Inverse applies LeakyReLUInverse elementwise: z = f^{-1}[x].
func Inverse(x []float64) []float64 {
	z := make([]float64, len(x))
	for i, v := range x {
		z[i] = LeakyReLUInverse(v)
	}
	return z
}

// InverseAbsDet is the solution |df/dz|^{-1} at z: 10^{n_neg}, n_neg the number of
// negative entries of z. (At z_d = 0 the derivative is taken as the right derivative 1.)
func InverseAbsDet(z []float64) float64 {
	n := 0
	for _, v := range z {
		if v < 0 {
			n++
		}
	}
	return math.Pow(1/Slope, float64(n))
}

// LogAbsDetForward is log|df/dz| at z: n_neg log 0.1 (non-positive), the quantity a flow
// library's Forward returns.
func LogAbsDetForward(z []float64) float64 {
	n := 0
	for _, v := range z {
		if v < 0 {
			n++
		}
	}
	return float64(n) * math.Log(Slope)
}

// LogAbsDetInverse is log|df^{-1}/dx| at x = f(z): -log|df/dz| = n_neg log 10, where the
// negative entries of x and z coincide.
func LogAbsDetInverse(x []float64) float64 { return -LogAbsDetForward(x) }
