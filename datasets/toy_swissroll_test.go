package datasets

import (
	"math"
	"testing"
)

func TestSwissRollMoments(t *testing.T) {
	// E[(t cos t, t sin t)]/5 for t ~ U[1.5π, 4.5π] is (6π, 2)/(3π)/5 = (0.4, 2/(15π)).
	const n = 400000
	mean, _ := moments(mustToy(t, "swissroll").Sample(n, 3))
	want := [2]float64{0.4, 2 / (15 * math.Pi)}
	for a := 0; a < 2; a++ {
		if math.Abs(mean[a]-want[a]) > 5*1.9/math.Sqrt(n) { // per-axis sd is under 1.9.
			t.Errorf("axis %d mean %.4f, want %.4f", a, mean[a], want[a])
		}
	}
	rows := mustToy(t, "swissroll").Sample(n, 3)
	for _, r := range rows {
		// 5|x| = |t (cos t, sin t) + ε|, t ∈ [1.5π, 4.5π], |ε| < 6 with overwhelming probability.
		if rho := 5 * math.Hypot(r[0], r[1]); rho < 1.5*math.Pi-6 || rho > 4.5*math.Pi+6 {
			t.Fatalf("sample %v has 5|x| = %v outside [1.5π - 6, 4.5π + 6]", r, rho)
		}
	}
}
