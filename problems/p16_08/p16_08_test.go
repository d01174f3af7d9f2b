package p16_08

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
)

// randomPhi returns k positive parameters summing to one (normalized exponentials, i.e. a
// flat Dirichlet draw), bounded away from zero.
func randomPhi(r *rand.Rand, k int) []float64 {
	phi := make([]float64, k)
	s := 0.0
	for i := range phi {
		phi[i] = 0.05 + r.ExpFloat64()
		s += phi[i]
	}
	for i := range phi {
		phi[i] /= s
	}
	return phi
}

// TestProblem16_8 checks the Jacobian diag(K phi_b) and determinant prod K phi_b of the
// elementwise piecewise-linear flow in D = 5 with K = 6 random bins, at 200 random points
// whose entries stay at least 1/100 of a bin (1.7e-3) away from the bin boundaries (the FD
// step is 1e-5, and on a linear piece central FD is exact up to rounding, ~1e-11):
//   - FD Jacobian off-diagonal entries are exactly 0, diagonal entries equal K phi_b
//     (relative 1e-9), gonum's det of the FD Jacobian equals Det (relative 1e-9);
//   - f is a continuous increasing bijection of [0, 1] (grid of 10^5 points, knots checked
//     from both sides), and f^{-1}(f(h)) = h, f(f^{-1}(y)) = y to 1e-15.
func TestProblem16_8(t *testing.T) {
	const d, k = 5, 6
	r := rand.New(rand.NewPCG(16, 8))
	phi := randomPhi(r, k)
	fwd := func(h []float64) []float64 { return Forward(h, phi) }
	for trial := 0; trial < 200; trial++ {
		h := make([]float64, d)
		for i := range h {
			for {
				h[i] = r.Float64()
				frac := float64(k)*h[i] - math.Floor(float64(k)*h[i])
				if frac > 1e-2 && frac < 1-1e-2 {
					break
				}
			}
		}
		jfd := numcheck.JacobianFD(fwd, h, 1e-5)
		ja := Jacobian(h, phi)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				if i != j && jfd[i][j] != 0 {
					t.Fatalf("FD Jacobian not diagonal at (%d,%d): %g", i, j, jfd[i][j])
				}
			}
			if want := ja.At(i, i); math.Abs(jfd[i][i]-want) > 1e-9*want {
				t.Errorf("h=%v: FD derivative %d = %.12g, K phi_b = %.12g", h, i, jfd[i][i], want)
			}
		}
		m := mat.NewDense(d, d, nil)
		for i := range jfd {
			m.SetRow(i, jfd[i])
		}
		if got, want := mat.Det(m), Det(h, phi); math.Abs(got-want) > 1e-9*want {
			t.Errorf("det FD Jacobian %.12g, prod K phi_b %.12g", got, want)
		}
		if got, want := LogDet(h, phi), math.Log(Det(h, phi)); math.Abs(got-want) > 1e-12 {
			t.Errorf("LogDet %.15g, log Det %.15g", got, want)
		}
		hr := Inverse(Forward(h, phi), phi)
		for i := range h {
			if math.Abs(hr[i]-h[i]) > 1e-15 {
				t.Errorf("round trip h=%.17g -> %.17g", h[i], hr[i])
			}
		}
	}

	// Bijection of [0, 1].
	if f0, f1 := PiecewiseLinear(0, phi), PiecewiseLinear(1, phi); f0 != 0 || math.Abs(f1-1) > 1e-15 {
		t.Errorf("f(0) = %g, f(1) = %.17g; want 0 and 1", f0, f1)
	}
	const n = 100_000
	prev := -1.0
	for i := 0; i <= n; i++ {
		h := float64(i) / n
		v := PiecewiseLinear(h, phi)
		if v <= prev {
			t.Fatalf("not increasing at h=%g: %g <= %g", h, v, prev)
		}
		prev = v
		y := float64(i) / n
		if got := PiecewiseLinear(PiecewiseLinearInverse(y, phi), phi); math.Abs(got-y) > 1e-15 {
			t.Fatalf("f(f^-1(%g)) = %.17g", y, got)
		}
	}
	for b := 1; b < k; b++ {
		knot := float64(b) / k
		left, right := PiecewiseLinear(knot-1e-12, phi), PiecewiseLinear(knot+1e-12, phi)
		if math.Abs(right-left) > 1e-10 {
			t.Errorf("jump at knot %d: %.3e", b, right-left)
		}
	}
	if !math.IsNaN(PiecewiseLinear(1.5, phi)) || !math.IsNaN(PiecewiseLinearInverse(-0.1, phi)) {
		t.Error("outside [0, 1] must give NaN")
	}
}
