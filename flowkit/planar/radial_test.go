package planar_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit/planar"
)

// TestRadialInverseClosedForm: the quadratic in r inverts the radial flow exactly, for
// contractions close to β → -α (α + β down to 3e-7, near the invertibility limit), expansions, and points at or very near
// the centre z₀; the log-dets match the formula (D-1)log(1+βh) + log(1+βαh²) computed on the host.
func TestRadialInverseClosedForm(t *testing.T) {
	const N, D = 500, 3
	rng := rand.New(rand.NewPCG(3, 4))
	r := newRunner(t, planar.NewRadial(), D, 2)
	for _, tc := range []struct{ alphaRaw, betaRaw float64 }{
		{0, 0}, {0.5, -12}, {-2, -15}, {1, 4}, {-3, 6}, {2, 0.1},
	} {
		r.set("alpha", tc.alphaRaw)
		r.set("beta", tc.betaRaw)
		alpha := softplus(tc.alphaRaw)
		beta := -alpha + softplus(tc.betaRaw)
		z0 := r.get("z0")
		z := normals(rng, N*D, 2)
		copy(z[:D], z0) // the centre itself
		if alpha+beta > 0.01*alpha {
			// Points 1e-9 from the centre; under a strong contraction (α+β ≪ α) they are
			// ill-conditioned in floating point (x - z₀ falls below x's rounding), so only here.
			for i := 0; i < D; i++ {
				z[D+i] = z0[i] + 1e-9*float64(i+1)
			}
		}
		x, zBack, ldF, ldI := r.roundTrip(z, N, D)
		if e := maxAbsDiff(zBack, z); e > 1e-9 {
			t.Errorf("α̃=%v β̃=%v: round trip error %.3g", tc.alphaRaw, tc.betaRaw, e)
		}
		for n := 0; n < N; n++ {
			rr := 0.0
			for i := 0; i < D; i++ {
				d := z[n*D+i] - z0[i]
				rr += d * d
			}
			rr = math.Sqrt(rr)
			h := 1 / (alpha + rr)
			want := float64(D-1)*math.Log1p(beta*h) + math.Log1p(beta*alpha*h*h)
			if math.Abs(ldF[n]-want) > 1e-9 || math.Abs(ldI[n]+want) > 1e-9 {
				t.Fatalf("example %d: log-dets %v, %v; want ±%v", n, ldF[n], ldI[n], want)
			}
			for i := 0; i < D; i++ {
				if xi := z[n*D+i] + beta*h*(z[n*D+i]-z0[i]); math.Abs(xi-x[n*D+i]) > 1e-12 {
					t.Fatalf("example %d: x = %v, want %v", n, x[n*D+i], xi)
				}
			}
		}
	}
}
