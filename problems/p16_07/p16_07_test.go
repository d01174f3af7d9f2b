package p16_07

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
)

// TestProblem16_7 checks the leaky-ReLU inverse and Jacobian determinant in D = 6 at 200
// random points (entries of z at least 1e-2, of x = f(z) at least 1e-3, away from the kink
// at 0; the FD step 1e-4 max(1,|z|) never straddles it, and on a linear piece central FD is
// exact up to rounding, ~1e-11):
//   - round trips f^{-1}(f(z)) = z and f(f^{-1}(x)) = x to 1 ulp-level relative error;
//   - the central-FD Jacobian of f is diagonal (off-diagonal entries exactly 0) and its
//     determinant, computed by gonum, satisfies 1/|det| = InverseAbsDet(z) (relative 1e-9);
//   - the FD Jacobian of f^{-1} at x = f(z) has determinant 10^{n_neg} and
//     LogAbsDetInverse(x) = log|det| (absolute 1e-9), LogAbsDetForward(z) = -that.
func TestProblem16_7(t *testing.T) {
	const d = 6
	r := rand.New(rand.NewPCG(16, 7))
	seenNeg := map[int]bool{}
	for trial := 0; trial < 200; trial++ {
		z := make([]float64, d)
		for i := range z {
			v := 3 * r.NormFloat64()
			for math.Abs(v) < 1e-2 {
				v = 3 * r.NormFloat64()
			}
			z[i] = v
		}
		x := Forward(z)
		zr, xr := Inverse(x), Forward(Inverse(x))
		for i := range z {
			if math.Abs(zr[i]-z[i]) > 2e-16*math.Abs(z[i]) || xr[i] != x[i] {
				t.Fatalf("round trip: z=%v x=%v f^-1(x)=%v", z, x, zr)
			}
		}

		jf := numcheck.JacobianFD(Forward, z, 1e-4)
		ji := numcheck.JacobianFD(Inverse, x, 1e-4)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				if i != j && (jf[i][j] != 0 || ji[i][j] != 0) {
					t.Fatalf("Jacobian not diagonal at (%d,%d): %g %g", i, j, jf[i][j], ji[i][j])
				}
			}
		}
		detF := math.Abs(mat.Det(toDense(jf)))
		detI := math.Abs(mat.Det(toDense(ji)))
		want := InverseAbsDet(z)
		if math.Abs(1/detF-want) > 1e-9*want {
			t.Errorf("z=%v: 1/|det FD Jacobian| = %.12g, InverseAbsDet = %.12g", z, 1/detF, want)
		}
		if math.Abs(detI-want) > 1e-9*want {
			t.Errorf("x=%v: |det FD inverse Jacobian| = %.12g, want %.12g", x, detI, want)
		}
		if got := LogAbsDetInverse(x); math.Abs(got-math.Log(detI)) > 1e-9 {
			t.Errorf("LogAbsDetInverse = %.12g, log|det| = %.12g", got, math.Log(detI))
		}
		if got := LogAbsDetForward(z); math.Abs(got+LogAbsDetInverse(x)) > 1e-15 {
			t.Errorf("forward log-det %.17g is not minus the inverse one %.17g", got, LogAbsDetInverse(x))
		}
		n := int(math.Round(math.Log10(want)))
		seenNeg[n] = true
	}
	t.Logf("numbers of negative entries covered: %d distinct values of 0..6", len(seenNeg))
	if len(seenNeg) < 5 {
		t.Errorf("test points cover too few sign patterns: %v", seenNeg)
	}
	// The kink: both one-sided derivatives at 0.
	if l, r := (LeakyReLU(0)-LeakyReLU(-1e-8))/1e-8, (LeakyReLU(1e-8)-LeakyReLU(0))/1e-8; math.Abs(l-Slope) > 1e-12 || math.Abs(r-1) > 1e-12 {
		t.Errorf("one-sided derivatives at 0: %g, %g", l, r)
	}
}

func toDense(a [][]float64) *mat.Dense {
	m := mat.NewDense(len(a), len(a[0]), nil)
	for i := range a {
		m.SetRow(i, a[i])
	}
	return m
}
