package residual_test

import (
	"errors"
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/residual"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestEq16_21FixedPointInverse inverts iResNet blocks x + g(x) = z by x_{k+1} = z - g(x_k) in
// float64 and checks: the residual ‖x + g(x) - z‖ < 1e-6 within 25 iterations for c = 0.5 and
// 140 for c = 0.9; each iteration shrinks the residual at least by the contraction factor c
// (Banach's bound, eq. 16.20: r_k <= c^k r_0); and the normalizing direction (an independent
// graph, z = x + g(x)) maps the result back to z.
func TestEq16_21FixedPointInverse(t *testing.T) {
	const tol = 1e-6
	for _, tc := range []struct {
		c      float64
		hidden []int
		cap    int
	}{
		{0.5, nil, 25}, {0.5, []int{32, 32}, 25},
		{0.9, nil, 140}, {0.9, []int{32, 32}, 140},
	} {
		net := &residual.MLP{Hidden: tc.hidden, SpectralNorm: residual.SpectralNorm{Coeff: tc.c, Always: true, EvalIters: 200}}
		block := &residual.IResNet{Net: net, FixedPoint: residual.FixedPoint{Tol: tol}}
		m := newModel(t, block, 4, dtypes.Float64, 3)
		z := randRows(256, 4, 11, 1)
		x, _, stats, err := residual.Generate(m, z, nil)
		if err != nil {
			t.Fatalf("c=%g %s: %v", tc.c, net, err)
		}
		st := stats[0]
		r0 := st.History[0]
		bound := int(math.Ceil(math.Log(tol/r0) / math.Log(tc.c)))
		t.Logf("c=%g %-32s %3d iterations (c^k bound from r0=%.3g: %d; issue cap %d), residual %.2g",
			tc.c, net, st.Iterations, r0, bound, tc.cap, st.Residual)
		if st.Iterations > tc.cap || st.Residual >= tol {
			t.Errorf("c=%g: %d iterations, residual %.3g; want <= %d and < %g", tc.c, st.Iterations, st.Residual, tc.cap, tol)
		}
		for k, r := range st.History {
			if r > math.Pow(tc.c, float64(k))*r0*(1+1e-9) {
				t.Errorf("c=%g: residual %.3g after %d iterations exceeds the contraction bound c^k r0 = %.3g",
					tc.c, r, k, math.Pow(tc.c, float64(k))*r0)
				break
			}
		}
		back, err := m.Latent(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range flowkit.Rows(back) {
			d := 0.0
			for j := range row {
				d += (row[j] - z[i][j]) * (row[j] - z[i][j])
			}
			if math.Sqrt(d) >= tol {
				t.Fatalf("c=%g: example %d: ‖x + g(x) - z‖ = %.3g by the normalizing direction", tc.c, i, math.Sqrt(d))
			}
		}
	}
}

// TestEq16_21WorstCaseContraction uses the slowest contraction of norm c, g(x) = -c·x (the
// weight set to -c·I), on unit-norm inputs: the residual starts at r_0 = ‖g(z)‖ = c and shrinks
// by exactly c per iteration, r_k = c^(k+1), so the count is the smallest k with c^(k+1) <= 1e-6:
// 19 for c = 0.5 and 131 for c = 0.9 (the c^k estimate: about 20 and 131).
func TestEq16_21WorstCaseContraction(t *testing.T) {
	const tol, D = 1e-6, 4
	for _, tc := range []struct {
		c    float64
		want int
	}{{0.5, 19}, {0.9, 131}} {
		if k := int(math.Ceil(math.Log(tol/tc.c) / math.Log(tc.c))); k != tc.want {
			t.Fatalf("the table is wrong: c^(k+1) <= tol first at k = %d", k)
		}
		net := &residual.MLP{SpectralNorm: residual.SpectralNorm{Coeff: tc.c, Always: true}}
		m := newModel(t, &residual.IResNet{Net: net, FixedPoint: residual.FixedPoint{Tol: tol}}, D, dtypes.Float64, 1)
		if _, err := m.LogProb(randRows(1, D, 1, 1), nil); err != nil { // creates the variables
			t.Fatal(err)
		}
		w := make([]float64, D*D)
		for i := 0; i < D; i++ {
			w[i*D+i] = -1 // normalised to -c·I (σ = 1 > c)
		}
		v := m.Store.GetVariable("/flow/transform/g/layer_0/weights")
		if v == nil {
			t.Fatal("weight variable not found")
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, D, D)); err != nil {
			t.Fatal(err)
		}
		z := randRows(64, D, 3, 1)
		for _, row := range z {
			n := math.Hypot(math.Hypot(row[0], row[1]), math.Hypot(row[2], row[3]))
			for j := range row {
				row[j] /= n
			}
		}
		_, _, stats, err := residual.Generate(m, z, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := stats[0]
		t.Logf("c=%g, g(x) = -c·x: %d iterations (c^(k+1) <= 1e-6 predicts %d), residual %.3g", tc.c, st.Iterations, tc.want, st.Residual)
		if st.Iterations != tc.want {
			t.Errorf("c=%g: %d iterations, the contraction c^k predicts exactly %d", tc.c, st.Iterations, tc.want)
		}
	}
}

// TestFixedPointReportsNonConvergence switches spectral normalisation off and scales the weights
// up: g is no longer a contraction, the iteration diverges, and the failure is reported (an
// ErrNotConverged error with the residual and iteration count, NaN rows), not hidden.
func TestFixedPointReportsNonConvergence(t *testing.T) {
	for _, keep := range []bool{false, true} {
		net := &residual.MLP{Hidden: []int{16}, SpectralNorm: residual.SpectralNorm{Off: true}, InitScale: 6}
		block := &residual.IResNet{Net: net, FixedPoint: residual.FixedPoint{MaxIter: 100, KeepUnconverged: keep}}
		m := newModel(t, block, 3, dtypes.Float64, 5)
		x, _, stats, err := residual.Generate(m, randRows(32, 3, 2, 1), nil)
		if !errors.Is(err, residual.ErrNotConverged) {
			t.Fatalf("keep=%v: error %v, want ErrNotConverged", keep, err)
		}
		st := stats[0]
		t.Logf("keep=%v: %v", keep, err)
		if st.Converged() || st.Iterations != 100 || !(st.Residual > st.Tol || math.IsNaN(st.Residual)) {
			t.Fatalf("keep=%v: stats %v: want a failed run that used all 100 iterations", keep, st)
		}
		nan := 0
		for _, v := range flowkit.Float64s(x) {
			if math.IsNaN(v) {
				nan++
			}
		}
		if !keep && nan < 3*st.Unconverged {
			t.Fatalf("%d unconverged examples but only %d NaN values", st.Unconverged, nan)
		}
		if keep && nan == len(flowkit.Float64s(x)) {
			t.Fatalf("KeepUnconverged returned only NaN")
		}
	}
}

// TestInvertFixedPointHost is figure 16.9 on the host: y = z + f(z) with f(z) = 0.5 sin(z) + 0.3
// (|f'| <= 0.5) is inverted within the contraction bound; with f(z) = 2.5 sin(z) (|f'| up to 2.5)
// the iteration fails and says so.
func TestInvertFixedPointHost(t *testing.T) {
	f := func(x []float64) []float64 { return []float64{0.5*math.Sin(x[0]) + 0.3} }
	y := []float64{1.7}
	z, st, err := residual.InvertFixedPoint(f, y, residual.FixedPoint{Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(z[0] + f(z)[0] - y[0]); d > 1e-12 {
		t.Fatalf("residual %.3g", d)
	}
	bound := int(math.Ceil(math.Log(1e-12/st.History[0]) / math.Log(0.5)))
	t.Logf("contraction: z = %.12f after %d iterations (bound %d)", z[0], st.Iterations, bound)
	if st.Iterations > bound {
		t.Fatalf("%d iterations, more than the contraction bound %d", st.Iterations, bound)
	}
	g := func(x []float64) []float64 { return []float64{2.5 * math.Sin(x[0])} }
	_, st, err = residual.InvertFixedPoint(g, y, residual.FixedPoint{MaxIter: 200})
	if !errors.Is(err, residual.ErrNotConverged) || st.Iterations != 200 {
		t.Fatalf("non-contraction: err %v after %d iterations, want ErrNotConverged after 200", err, st.Iterations)
	}
	t.Logf("non-contraction: %v", err)
}
