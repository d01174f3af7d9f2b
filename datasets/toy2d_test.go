package datasets

import (
	"math"
	"strings"
	"testing"
	"unsafe"
)

var ffjordToys = []string{"swissroll", "circles", "rings", "moons", "8gaussians", "pinwheel", "2spirals", "checkerboard"}

func mustToy(t *testing.T, name string) Toy2D {
	t.Helper()
	toy, err := Toy(name)
	if err != nil {
		t.Fatal(err)
	}
	return toy
}

func TestNamesAndToy(t *testing.T) {
	names := Names()
	if len(names) != len(ffjordToys)+1 || names[len(names)-1] != "moons-std" {
		t.Fatalf("Names() = %v", names)
	}
	for i, n := range ffjordToys {
		if names[i] != n {
			t.Errorf("Names()[%d] = %q, want %q", i, names[i], n)
		}
	}
	for _, n := range names {
		toy := mustToy(t, n)
		if toy.Name != n || toy.Description == "" || !strings.HasPrefix(toy.String(), n+": ") {
			t.Errorf("Toy(%q) = %+v", n, toy)
		}
	}
	_, err := Toy("spiral")
	if err == nil || !strings.Contains(err.Error(), `"spiral"`) || !strings.Contains(err.Error(), "2spirals") {
		t.Errorf("Toy(\"spiral\") error = %v; want one naming the toy and listing the known ones", err)
	}
	names[0] = "changed"
	if Names()[0] != "swissroll" {
		t.Errorf("Names() returns a shared slice")
	}
}

func TestZeroToy2D(t *testing.T) {
	var z Toy2D
	if lp, ok := z.LogProb(0, 0); ok || !math.IsNaN(lp) {
		t.Errorf("zero Toy2D LogProb = %v, %v", lp, ok)
	}
	if h, ok := z.BayesNLL(); ok || !math.IsNaN(h) {
		t.Errorf("zero Toy2D BayesNLL = %v, %v", h, ok)
	}
	if rows := z.Sample(10, 1); len(rows) != 0 {
		t.Errorf("zero Toy2D Sample gave %d rows", len(rows))
	}
}

// TestToySamplesAreReproducible checks bit-for-bit reproducibility per seed, that seeds
// matter, the row layout, and that n <= 0 gives no rows.
func TestToySamplesAreReproducible(t *testing.T) {
	for _, name := range Names() {
		toy := mustToy(t, name)
		for _, n := range []int{1, 2, 7, 1001} {
			a, b := toy.Sample(n, 11), toy.Sample(n, 11)
			if len(a) != n {
				t.Fatalf("%s: Sample(%d) gave %d rows", name, n, len(a))
			}
			for i := range a {
				if len(a[i]) != 2 || cap(a[i]) != 2 {
					t.Fatalf("%s: row %d has len %d cap %d", name, i, len(a[i]), cap(a[i]))
				}
				for k := 0; k < 2; k++ {
					if math.Float64bits(a[i][k]) != math.Float64bits(b[i][k]) {
						t.Fatalf("%s: Sample(%d, 11) differs between calls at row %d", name, n, i)
					}
					if math.IsNaN(a[i][k]) || math.IsInf(a[i][k], 0) {
						t.Fatalf("%s: row %d = %v", name, i, a[i])
					}
				}
			}
			if n > 1 && uintptr(unsafe.Pointer(&a[1][0]))-uintptr(unsafe.Pointer(&a[0][0])) != 16 {
				t.Errorf("%s: rows do not share one contiguous backing array", name)
			}
		}
		c, d := toy.Sample(100, 11), toy.Sample(100, 12)
		same := 0
		for i := range c {
			if c[i][0] == d[i][0] && c[i][1] == d[i][1] {
				same++
			}
		}
		if same > 2 {
			t.Errorf("%s: seeds 11 and 12 share %d of 100 rows", name, same)
		}
		for _, n := range []int{0, -3} {
			if rows := toy.Sample(n, 1); rows == nil || len(rows) != 0 {
				t.Errorf("%s: Sample(%d) = %v, want an empty non-nil slice", name, n, rows)
			}
		}
	}
}

// TestToySamplesGolden pins the random stream: a change in these values means every data set
// generated with a given seed has changed.
func TestToySamplesGolden(t *testing.T) {
	want := map[string][2][2]float64{
		"8gaussians":   {{1.1739778438926531, -2.3207074819117226}, {-0.7367776449165497, -2.2932355812852996}},
		"checkerboard": {{3.4455570942375875, -0.5415711218395858}, {3.6084112889732864, -0.6524513432233912}},
		"pinwheel":     {{-1.6520307041807807, -2.0883177577979586}, {-2.5485690104171868, 0.7479941557192398}},
	}
	for name, w := range want {
		rows := mustToy(t, name).Sample(3, 1)
		if rows[0][0] != w[0][0] || rows[0][1] != w[0][1] || rows[2][0] != w[1][0] || rows[2][1] != w[1][1] {
			t.Errorf("%s: Sample(3, 1) rows 0 and 2 = %v %v, want %v %v", name, rows[0], rows[2], w[0], w[1])
		}
	}
}

// TestToyBayesNLL checks each entropy against the table in the Toy2D documentation, that the
// density integrates to one on the integration grid, and that the Monte Carlo estimate
// -mean log p(x_i) over samples from the generator agrees, which ties density and sampler.
func TestToyBayesNLL(t *testing.T) {
	table := map[string]float64{
		"8gaussians": 2.83188, "checkerboard": 3.46574, "rings": 2.62318, "circles": 3.26814,
		"moons": 2.39388, "moons-std": 1.13122, "swissroll": 2.66965, "2spirals": 2.64545,
		"pinwheel": 2.31779,
	}
	for _, name := range Names() {
		toy := mustToy(t, name)
		h, ok := toy.BayesNLL()
		if !ok {
			t.Errorf("%s: BayesNLL unknown", name)
			continue
		}
		if math.Abs(h-table[name]) > 6e-6 {
			t.Errorf("%s: BayesNLL %.7f, documented %.5f", name, h, table[name])
		}
		if math.Abs(toy.e.mass-1) > 1e-6 {
			t.Errorf("%s: the density integrates to %.9f on the BayesNLL grid, want 1", name, toy.e.mass)
		}
		n := 40000
		var s, s2 float64
		for _, r := range toy.Sample(n, 2024) {
			lp, ok := toy.LogProb(r[0], r[1])
			if !ok || math.IsInf(lp, 0) || math.IsNaN(lp) {
				t.Fatalf("%s: LogProb(%v) = %v, %v at a sample", name, r, lp, ok)
			}
			s -= lp
			s2 += lp * lp
		}
		mc := s / float64(n)
		se := math.Sqrt((s2/float64(n) - mc*mc) / float64(n))
		if math.Abs(mc-h) > 4.5*se+1e-9 {
			t.Errorf("%s: Monte Carlo NLL %.5f ± %.5f, BayesNLL %.5f", name, mc, se, h)
		}
	}
	if h, _ := mustToy(t, "checkerboard").BayesNLL(); h != math.Log(32) {
		t.Errorf("checkerboard BayesNLL %v, want ln 32 exactly", h)
	}
}

// TestToyDensityMatchesSamplesInBoxes compares, in two boxes per toy, the fraction of samples
// falling inside with the integral of exp(LogProb) over the box.
func TestToyDensityMatchesSamplesInBoxes(t *testing.T) {
	const n = 100000
	for _, name := range Names() {
		toy := mustToy(t, name)
		x0, x1, y0, y1 := toy.Bounds()
		w, h := x1-x0, y1-y0
		boxes := [][4]float64{
			{x0 + 0.3*w, x0 + 0.7*w, y0 + 0.3*h, y0 + 0.7*h},
			{x0 + 0.55*w, x0 + 0.85*w, y0 + 0.15*h, y0 + 0.6*h},
		}
		rows := toy.Sample(n, 99)
		for _, b := range boxes {
			in := 0
			for _, r := range rows {
				if r[0] >= b[0] && r[0] < b[1] && r[1] >= b[2] && r[1] < b[3] {
					in++
				}
			}
			frac := float64(in) / n
			var mass float64
			if name == "checkerboard" { // exact: Simpson converges slowly across its jumps.
				for _, sq := range checkerboardSquares {
					ox := math.Max(0, math.Min(b[1], 2*sq[0]+2)-math.Max(b[0], 2*sq[0]))
					oy := math.Max(0, math.Min(b[3], 2*sq[1]+2)-math.Max(b[2], 2*sq[1]))
					mass += ox * oy / 32
				}
			} else {
				mass, _ = gridMassEntropy(func(x, y float64) float64 { lp, _ := toy.LogProb(x, y); return lp },
					b[0], b[1], b[2], b[3], math.Min(w, h)/200)
			}
			se := math.Sqrt(math.Max(frac*(1-frac), 1/float64(n)) / n)
			if math.Abs(frac-mass) > 4.5*se+2e-3*mass {
				t.Errorf("%s: box %.3v holds %.5f of the samples but %.5f of the density (±%.5f)", name, b, frac, mass, se)
			}
		}
	}
}

func TestToyLogProbFarAway(t *testing.T) {
	for _, name := range Names() {
		toy := mustToy(t, name)
		if lp, ok := toy.LogProb(math.NaN(), 0); !ok || !math.IsNaN(lp) {
			t.Errorf("%s: LogProb(NaN, 0) = %v, %v; want NaN, true", name, lp, ok)
		}
		if lp, _ := toy.LogProb(math.Inf(-1), 0); !math.IsInf(lp, -1) {
			t.Errorf("%s: LogProb(-Inf, 0) = %v, want -Inf", name, lp)
		}
		lp, ok := toy.LogProb(12, -9)
		switch name {
		case "checkerboard":
			if !math.IsInf(lp, -1) {
				t.Errorf("%s: LogProb outside the support = %v, want -Inf", name, lp)
			}
		case "pinwheel": // beyond its 20σ search window.
			if !(math.IsInf(lp, -1) || lp < -200) {
				t.Errorf("%s: LogProb(12, -9) = %v", name, lp)
			}
		default:
			if !ok || math.IsInf(lp, 0) || math.IsNaN(lp) || lp > -50 {
				t.Errorf("%s: LogProb(12, -9) = %v, want a finite, very negative log-density", name, lp)
			}
		}
	}
}

func TestToyBounds(t *testing.T) {
	for _, name := range Names() {
		toy := mustToy(t, name)
		x0, x1, y0, y1 := toy.Bounds()
		if !(x0 < x1 && y0 < y1) {
			t.Fatalf("%s: Bounds %v %v %v %v", name, x0, x1, y0, y1)
		}
		out := 0
		for _, r := range toy.Sample(100000, 5) {
			if r[0] < x0 || r[0] > x1 || r[1] < y0 || r[1] > y1 {
				out++
			}
		}
		if out > 0 {
			t.Errorf("%s: %d of 100000 samples outside Bounds", name, out)
		}
	}
}
