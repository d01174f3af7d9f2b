package glow

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/gomlx/compute/dtypes"
)

// TestTopPriorDataInitAndDensity: after the data-dependent initialisation on a batch, that batch
// comes out standardised element by element, and log p(x) equals Σ log N(x; μ, σ²) with μ and σ
// the batch's per-element means and standard deviations, computed here by hand.
func TestTopPriorDataInitAndDensity(t *testing.T) {
	const B, H, W, C = 64, 2, 2, 3
	D := H * W * C
	vals := randn(B*D, 5)
	// Give each element its own location and scale, some tiny (like MNIST's border).
	for i := range vals {
		e := i % D
		vals[i] = float64(e) - 3 + vals[i]*math.Exp(-float64(e)/2)
	}
	rows := make([][]float64, B)
	for b := range rows {
		rows[b] = vals[b*D : (b+1)*D]
	}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(H, W, C), &TopPrior{}), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := linear.InitActNorm(m, rows, nil); err != nil || n != 1 {
		t.Fatalf("InitActNorm initialised %d layers (%v), want the top prior", n, err)
	}
	z, err := m.Latent(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := flowkit.Float64s(z)
	lp, err := m.LogProb(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	mu, sd := make([]float64, D), make([]float64, D)
	for e := 0; e < D; e++ {
		var s, s2, zm, z2 float64
		for b := 0; b < B; b++ {
			x := vals[b*D+e]
			s += x
			s2 += x * x
			zm += zs[b*D+e]
			z2 += zs[b*D+e] * zs[b*D+e]
		}
		mu[e] = s / B
		variance := s2/B - mu[e]*mu[e]
		sd[e] = math.Sqrt(variance + 1e-6) // Epsilon's default
		if want := variance / (variance + 1e-6); math.Abs(zm/B) > 1e-6 || math.Abs(z2/B-want) > 1e-6 {
			t.Fatalf("element %d: latent mean %.3g, mean square %.6f after initialisation, want 0 and %.6f", e, zm/B, z2/B, want)
		}
	}
	for b := 0; b < B; b += 13 {
		want := 0.0
		for e := 0; e < D; e++ {
			d := (vals[b*D+e] - mu[e]) / sd[e]
			want += -0.5*d*d - math.Log(sd[e]) - 0.5*math.Log(2*math.Pi)
		}
		if math.Abs(lp[b]-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("example %d: log p = %.9g, Σ log N(x; μ, σ²) by hand = %.9g", b, lp[b], want)
		}
	}
}

// TestTopPriorHarness runs the verification harness (a diagonal Jacobian), without the data
// initialisation, with the harness's perturbed parameters.
func TestTopPriorHarness(t *testing.T) {
	r, err := check.Bijector(&TopPrior{NoDataInit: true}, check.Options{Event: []int{2, 2, 3}, Pattern: check.DiagonalPattern})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}
