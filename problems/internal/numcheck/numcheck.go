// Package numcheck holds the small numerical tools the chapter-16 problem checks share:
// central finite-difference Jacobians, tanh-sinh quadrature, histograms with their
// statistical error bars, and sample moments. Everything is float64 and deterministic.
//
// These tools are deliberately generic: a problem's test uses them to check the problem's
// derived formula against an independent computation (sampling, quadrature, finite
// differences), never against a second copy of the same derivation.
package numcheck

import (
	"math"
	"sort"
)

// JacobianFD returns the D_out x D_in Jacobian of f at x by central differences,
// J[i][j] = (f_i(x + h e_j) - f_i(x - h e_j)) / (2h). The step is h * max(1, |x_j|).
// The truncation error is O(h^2) and the rounding error O(eps/h); h = 1e-5 gives about
// 1e-10 absolute accuracy for well-scaled smooth functions.
func JacobianFD(f func([]float64) []float64, x []float64, h float64) [][]float64 {
	n := len(x)
	var jac [][]float64
	xp := make([]float64, n)
	xm := make([]float64, n)
	for j := 0; j < n; j++ {
		copy(xp, x)
		copy(xm, x)
		step := h * math.Max(1, math.Abs(x[j]))
		xp[j] += step
		xm[j] -= step
		// Use the step that was actually representable.
		width := xp[j] - xm[j]
		fp := f(xp)
		fm := f(xm)
		if jac == nil {
			jac = make([][]float64, len(fp))
			for i := range jac {
				jac[i] = make([]float64, n)
			}
		}
		for i := range fp {
			jac[i][j] = (fp[i] - fm[i]) / width
		}
	}
	return jac
}

// DerivativeFD returns the central finite-difference derivative (f(x+h) - f(x-h)) / (2h).
func DerivativeFD(f func(float64) float64, x, h float64) float64 {
	xp, xm := x+h, x-h
	return (f(xp) - f(xm)) / (xp - xm)
}

// TanhSinh integrates f over the finite interval [a, b] with the double-exponential
// (tanh-sinh) rule, x = c + d tanh(pi/2 sinh t), t on a grid of step 1/64 in [-5, 5].
// f is never evaluated at a or b, and the rule converges quickly even for integrable
// endpoint singularities such as 1/sqrt(x - a), so it is the right tool to average a
// density with an infinite spike at an end of its support over a histogram bin.
// For analytic integrands its relative error is near machine precision.
func TanhSinh(f func(float64) float64, a, b float64) float64 {
	const (
		h    = 1.0 / 64
		tmax = 5.0
	)
	d := 0.5 * (b - a)
	n := int(tmax / h)
	sum := 0.0
	for k := -n; k <= n; k++ {
		t := float64(k) * h
		u := 0.5 * math.Pi * math.Sinh(t)
		cu := math.Cosh(u)
		w := 0.5 * math.Pi * math.Cosh(t) / (cu * cu)
		if w == 0 {
			continue
		}
		var x float64
		if t < 0 {
			// x - a = d (1 + tanh u) = 2d / (1 + e^{-2u}), accurate near a.
			x = a + 2*d/(1+math.Exp(-2*u))
		} else {
			// b - x = d (1 - tanh u) = 2d / (1 + e^{2u}), accurate near b.
			x = b - 2*d/(1+math.Exp(2*u))
		}
		if x <= a || x >= b {
			continue
		}
		sum += w * f(x)
	}
	return sum * h * d
}

// Histogram is a fixed-bin histogram of samples, normalized as a density.
type Histogram struct {
	// Edges are the Bins+1 bin boundaries, increasing.
	Edges []float64
	// Counts[i] is the number of samples in [Edges[i], Edges[i+1]) (the last bin is closed).
	Counts []int
	// Density[i] = Counts[i] / (N * width_i), the histogram estimate of the density.
	Density []float64
	// N is the total number of samples, including those outside the edges.
	N int
}

// UniformEdges returns bins+1 equally spaced edges from lo to hi; the last edge is exactly hi.
func UniformEdges(lo, hi float64, bins int) []float64 {
	e := make([]float64, bins+1)
	for i := range e {
		e[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	e[bins] = hi
	return e
}

// NewHistogram bins xs into the bins given by edges (sorted, increasing).
func NewHistogram(xs []float64, edges []float64) Histogram {
	bins := len(edges) - 1
	h := Histogram{Edges: edges, Counts: make([]int, bins), Density: make([]float64, bins), N: len(xs)}
	for _, x := range xs {
		if x < edges[0] || x > edges[bins] || math.IsNaN(x) {
			continue
		}
		// Index of the first edge > x, minus one.
		i := sort.SearchFloat64s(edges, x)
		if i < len(edges) && edges[i] == x {
			i++
		}
		i--
		if i >= bins {
			i = bins - 1
		}
		h.Counts[i]++
	}
	for i := range h.Counts {
		h.Density[i] = float64(h.Counts[i]) / (float64(h.N) * (edges[i+1] - edges[i]))
	}
	return h
}

// BinCheck compares one histogram bin with the exact probability of that bin.
type BinCheck struct {
	Lo, Hi float64
	// Prob is the exact probability of the bin (from quadrature of the density).
	Prob float64
	// ExactDensity = Prob / width: the bin average of the exact density.
	ExactDensity float64
	// MCDensity is the histogram's estimate.
	MCDensity float64
	// RelErr = |MCDensity - ExactDensity| / ExactDensity.
	RelErr float64
	// RelSigma = sqrt((1 - Prob) / (N Prob)): the standard deviation of MCDensity/ExactDensity
	// under the exact density (binomial count).
	RelSigma float64
}

// CompareHistogram returns, for every bin of h, the exact bin probability of density
// (by tanh-sinh quadrature) next to the Monte Carlo estimate, with the binomial standard
// error of the relative difference.
func CompareHistogram(h Histogram, density func(float64) float64) []BinCheck {
	out := make([]BinCheck, len(h.Counts))
	for i := range h.Counts {
		lo, hi := h.Edges[i], h.Edges[i+1]
		p := TanhSinh(density, lo, hi)
		exact := p / (hi - lo)
		bc := BinCheck{Lo: lo, Hi: hi, Prob: p, ExactDensity: exact, MCDensity: h.Density[i]}
		if exact > 0 {
			bc.RelErr = math.Abs(h.Density[i]-exact) / exact
			bc.RelSigma = math.Sqrt((1 - p) / (float64(h.N) * p))
		}
		out[i] = bc
	}
	return out
}

// BinVerdict is the outcome of JudgeBins.
type BinVerdict struct {
	// Checked counts the bins whose exact density exceeds the threshold; Worst is their largest
	// relative error.
	Checked int
	Worst   float64
	// Unsound lists checked bins whose tolerance is below the required number of standard
	// errors: the test design itself cannot tell a real error from noise there.
	Unsound []BinCheck
	// Failed lists checked bins whose relative error exceeds the tolerance.
	Failed []BinCheck
}

// JudgeBins applies the Monte Carlo rule the histogram checks share: a bin is checked when its
// exact bin-average density exceeds minDensity; it fails when its relative error exceeds tol;
// and the design is unsound for it when tol is less than minSigmas binomial standard errors.
func JudgeBins(bins []BinCheck, tol, minDensity, minSigmas float64) BinVerdict {
	var v BinVerdict
	for _, b := range bins {
		if b.ExactDensity <= minDensity {
			continue
		}
		v.Checked++
		if tol < minSigmas*b.RelSigma {
			v.Unsound = append(v.Unsound, b)
		}
		v.Worst = math.Max(v.Worst, b.RelErr)
		if b.RelErr > tol {
			v.Failed = append(v.Failed, b)
		}
	}
	return v
}

// Moments returns the sample mean and the unbiased sample covariance of the rows of xs.
func Moments(xs [][]float64) (mean []float64, cov [][]float64) {
	n := len(xs)
	d := len(xs[0])
	mean = make([]float64, d)
	for _, x := range xs {
		for i, v := range x {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	cov = make([][]float64, d)
	for i := range cov {
		cov[i] = make([]float64, d)
	}
	for _, x := range xs {
		for i := 0; i < d; i++ {
			di := x[i] - mean[i]
			for j := 0; j <= i; j++ {
				cov[i][j] += di * (x[j] - mean[j])
			}
		}
	}
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			cov[i][j] /= float64(n - 1)
			cov[j][i] = cov[i][j]
		}
	}
	return mean, cov
}

// CovarianceStdErr returns the plug-in standard error of each entry of the sample
// covariance: SE[i][j] = sqrt((m4_ij - s_ij^2) / n), where m4_ij is the sample mean of
// (x_i - mean_i)^2 (x_j - mean_j)^2 and s_ij the sample covariance. It does not assume
// Gaussian data.
func CovarianceStdErr(xs [][]float64, mean []float64, cov [][]float64) [][]float64 {
	n := len(xs)
	d := len(mean)
	m4 := make([][]float64, d)
	for i := range m4 {
		m4[i] = make([]float64, d)
	}
	for _, x := range xs {
		for i := 0; i < d; i++ {
			di := x[i] - mean[i]
			for j := 0; j < d; j++ {
				dj := x[j] - mean[j]
				m4[i][j] += di * di * dj * dj
			}
		}
	}
	se := make([][]float64, d)
	for i := range se {
		se[i] = make([]float64, d)
		for j := range se[i] {
			v := m4[i][j]/float64(n) - cov[i][j]*cov[i][j]
			se[i][j] = math.Sqrt(math.Max(v, 0) / float64(n))
		}
	}
	return se
}

// MaxAbsDiff returns max_ij |a[i][j] - b[i][j]|.
func MaxAbsDiff(a, b [][]float64) float64 {
	m := 0.0
	for i := range a {
		for j := range a[i] {
			m = math.Max(m, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return m
}

// MaxAbs returns max_ij |a[i][j]|.
func MaxAbs(a [][]float64) float64 {
	m := 0.0
	for i := range a {
		for j := range a[i] {
			m = math.Max(m, math.Abs(a[i][j]))
		}
	}
	return m
}

// MomentDeviations compares the sample mean and covariance of the rows of xs with wantMean
// and wantCov (wantCov(i, j) returns an entry) and returns each deviation in units of its
// standard error: sqrt(S_ii / n) for the mean, the plug-in CovarianceStdErr for the
// covariance (valid for non-Gaussian data). It also returns the largest of them.
func MomentDeviations(xs [][]float64, wantMean []float64, wantCov func(i, j int) float64) (meanDev []float64, covDev [][]float64, worst float64) {
	n := float64(len(xs))
	mean, cov := Moments(xs)
	se := CovarianceStdErr(xs, mean, cov)
	meanDev = make([]float64, len(mean))
	for i := range mean {
		meanDev[i] = math.Abs(mean[i]-wantMean[i]) / math.Sqrt(cov[i][i]/n)
		worst = math.Max(worst, meanDev[i])
	}
	covDev = make([][]float64, len(cov))
	for i := range cov {
		covDev[i] = make([]float64, len(cov))
		for j := range cov[i] {
			covDev[i][j] = math.Abs(cov[i][j]-wantCov(i, j)) / se[i][j]
			worst = math.Max(worst, covDev[i][j])
		}
	}
	return meanDev, covDev, worst
}
