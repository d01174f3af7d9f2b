package p16_09

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
)

// TestProblem16_9 checks, for K = 5, phi = (0.1, 0.2, 0.5, 0.1, 0.1):
//   - f(0) = 0, f(1) = 1 and f is strictly increasing on a grid of 10^5 + 1 points;
//   - continuity: at each interior knot the gap |f(knot + e) - f(knot - e)| shrinks to 0 as
//     e goes from 1e-4 to 1e-12 (below 2e-6 at e = 1e-12), while the rejected literal seed
//     formula keeps a jump of at least sqrt(phi_b) - phi_b;
//   - f^{-1}(f(h)) = h to 1e-15 and f(f^{-1}(y)) = y within the conditioning bound of f
//     (see below) on 10^5 + 1 points each;
//   - the derivative formula against central FD at bin-interior points (relative 1e-6);
//   - Plot writes a non-empty PNG and SVG (into t.TempDir()).
func TestProblem16_9(t *testing.T) {
	phi := BookPhi()
	const k = 5
	if F(0, phi) != 0 || math.Abs(F(1, phi)-1) > 1e-15 {
		t.Fatalf("f(0) = %g, f(1) = %.17g", F(0, phi), F(1, phi))
	}
	const n = 100_000
	prev := math.Inf(-1)
	// f has an infinite slope at each bin start, so y -> f(f^{-1}(y)) is ill-conditioned
	// there: an error dt of a few ulps in the local coordinate t = K h - b moves f by
	// phi_b (sqrt(t + dt) - sqrt(t)) <= phi_b min(sqrt(dt), dt / (2 sqrt t)). The check on
	// y allows exactly that (dt = 4 K eps) plus 1e-15; the check on h is plain 1e-15.
	dt := 4 * k * 0x1p-52
	worstFwd, worstRatio, worstInv := 0.0, 0.0, 0.0
	for i := 0; i <= n; i++ {
		h := float64(i) / n
		v := F(h, phi)
		if !(v > prev) {
			t.Fatalf("f not strictly increasing at h = %g: %g after %g", h, v, prev)
		}
		prev = v
		worstInv = math.Max(worstInv, math.Abs(Inverse(v, phi)-h))

		y := float64(i) / n
		hy := Inverse(y, phi)
		b := min(int(math.Floor(k*hy)), k-1)
		tl := k*hy - float64(b)
		tol := 1e-15 + phi[b]*math.Min(math.Sqrt(dt), dt/(2*math.Sqrt(tl)))
		err := math.Abs(F(hy, phi) - y)
		worstFwd = math.Max(worstFwd, err)
		worstRatio = math.Max(worstRatio, err/tol)
	}
	t.Logf("max |f(f^-1(y)) - y| = %.2e (%.2f of the conditioning bound), max |f^-1(f(h)) - h| = %.2e",
		worstFwd, worstRatio, worstInv)
	if worstRatio > 1 || worstInv > 1e-15 {
		t.Errorf("round trips too inaccurate: %.3e (%.2f of bound), %.3e", worstFwd, worstRatio, worstInv)
	}

	for b := 1; b < k; b++ {
		knot := float64(b) / k
		gapPrev := math.Inf(1)
		for e := 1e-4; e >= 1e-12; e /= 100 {
			gap := math.Abs(F(knot+e, phi) - F(knot-e, phi))
			if gap >= gapPrev {
				t.Errorf("knot %d: gap %.3e at e = %.0e does not shrink", b, gap, e)
			}
			gapPrev = gap
		}
		if gapPrev > 2e-6 {
			t.Errorf("knot %d: gap %.3e at e = 1e-12: f is not continuous", b, gapPrev)
		}
		jump := SeedLiteral(knot, phi) - SeedLiteral(knot-1e-12, phi)
		if want := math.Sqrt(phi[b-1]) - phi[b-1]; jump < want-1e-5 {
			t.Errorf("knot %d: literal seed formula jump %.4f, expected about %.4f", b, jump, want)
		}
	}
	if top := SqrtPhiReading(1, phi); math.Abs(top-1) < 0.5 {
		t.Errorf("sqrt(phi) reading should not map onto [0,1]; f(1) = %g", top)
	}

	for b := 0; b < k; b++ {
		for _, s := range []float64{0.05, 0.3, 0.7, 0.95} {
			h := (float64(b) + s) / k
			fd := numcheck.DerivativeFD(func(x float64) float64 { return F(x, phi) }, h, 1e-7)
			if d := Derivative(h, phi); math.Abs(fd-d) > 1e-6*d {
				t.Errorf("h = %g: derivative %.10g, FD %.10g", h, d, fd)
			}
		}
	}

	dir := t.TempDir()
	for _, name := range []string{"p16_09.png", "p16_09.svg"} {
		path := filepath.Join(dir, name)
		if err := Plot(path); err != nil {
			t.Fatalf("Plot(%s): %v", name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var magic []byte
		if filepath.Ext(name) == ".png" {
			magic = []byte("\x89PNG")
		} else {
			magic = []byte("<svg")
		}
		if len(data) < 1000 || !bytes.Contains(data[:min(len(data), 512)], magic) {
			t.Errorf("%s: %d bytes, header %q", name, len(data), data[:min(len(data), 40)])
		}
	}
	if os.Getenv("P16_09_PLOT_DIR") != "" {
		// Optional: keep the figures for inspection, e.g. P16_09_PLOT_DIR=$PWD/build/problems
		// (absolute: go test runs in the package directory).
		out := os.Getenv("P16_09_PLOT_DIR")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{".png", ".svg"} {
			if err := Plot(filepath.Join(out, "p16_09"+ext)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := Plot(filepath.Join(dir, "x.unknown")); err == nil {
		t.Error("Plot with an unknown extension must fail")
	}
}
