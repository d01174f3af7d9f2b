package datasets

import (
	"math"
	"strings"
	"testing"
)

func moments(rows [][]float64) (mean, variance [2]float64) {
	n := float64(len(rows))
	for _, r := range rows {
		for a := 0; a < 2; a++ {
			mean[a] += r[a] / n
		}
	}
	for _, r := range rows {
		for a := 0; a < 2; a++ {
			variance[a] += (r[a] - mean[a]) * (r[a] - mean[a]) / n
		}
	}
	return mean, variance
}

func TestMoonsFFJORDMoments(t *testing.T) {
	// 2 × make_moons(noise 0.1) + (-1, -0.2): mean (0, 0.3), variances 4(3/4 + 0.01), 4(9/16 - 1/π + 0.01).
	mean, variance := moments(mustToy(t, "moons").Sample(400000, 1))
	wantMean := [2]float64{0, 0.3}
	wantVar := [2]float64{4 * 0.76, 4 * (0.5625 - 1/math.Pi + 0.01)}
	for a := 0; a < 2; a++ {
		if math.Abs(mean[a]-wantMean[a]) > 0.005 || math.Abs(variance[a]-wantVar[a]) > 0.01 {
			t.Errorf("axis %d: mean %.4f variance %.4f, want %.4f and %.4f", a, mean[a], variance[a], wantMean[a], wantVar[a])
		}
	}
}

func TestMoonsStandardizedHasZeroMeanUnitVariance(t *testing.T) {
	for _, noise := range []float64{0, 0.05, 0.3} {
		rows, err := MoonsStandardized(1000000, noise, 2)
		if err != nil {
			t.Fatal(err)
		}
		mean, variance := moments(rows)
		for a := 0; a < 2; a++ {
			if math.Abs(mean[a]) > 0.004 || math.Abs(variance[a]-1) > 0.006 {
				t.Errorf("noise %v axis %d: mean %.5f variance %.5f, want 0 and 1", noise, a, mean[a], variance[a])
			}
		}
	}
}

func TestMoonsStandardizedIsTheRegisteredToy(t *testing.T) {
	rows, err := MoonsStandardized(500, 0.05, 9)
	if err != nil {
		t.Fatal(err)
	}
	toy := mustToy(t, "moons-std")
	for i, r := range toy.Sample(500, 9) {
		if r[0] != rows[i][0] || r[1] != rows[i][1] {
			t.Fatalf("row %d: Toy(\"moons-std\") gives %v, MoonsStandardized %v", i, r, rows[i])
		}
	}
	custom, err := NewMoonsStandardized(0.05)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]float64{{0, 0}, {1.2, -0.7}, {-1.5, 1}} {
		a, _ := custom.LogProb(p[0], p[1])
		b, _ := toy.LogProb(p[0], p[1])
		if a != b {
			t.Errorf("LogProb(%v): NewMoonsStandardized(0.05) %v, moons-std %v", p, a, b)
		}
	}
	// Change of variables: log p_z(z) = log p_x(μ + s z) + Σ ln s, with p_x the unscaled moons.
	mean, std := moonsMoments(0.05)
	base := newMoons(0.05, [2]float64{1, 1}, [2]float64{0, 0})
	for _, z := range [][2]float64{{0.1, 0.2}, {-1, 1}} {
		want := base.logProb(mean[0]+std[0]*z[0], mean[1]+std[1]*z[1]) + math.Log(std[0]*std[1])
		if got, _ := toy.LogProb(z[0], z[1]); math.Abs(got-want) > 1e-12 {
			t.Errorf("LogProb(%v) = %v, change of variables gives %v", z, got, want)
		}
	}
}

func TestMoonsStandardizedRejectsBadNoise(t *testing.T) {
	for _, noise := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if _, err := MoonsStandardized(10, noise, 1); err == nil || !strings.Contains(err.Error(), "noise") {
			t.Errorf("MoonsStandardized(noise=%v) error = %v", noise, err)
		}
	}
	for _, noise := range []float64{0, -1, math.NaN()} {
		if _, err := NewMoonsStandardized(noise); err == nil || !strings.Contains(err.Error(), "noise") {
			t.Errorf("NewMoonsStandardized(%v) error = %v", noise, err)
		}
	}
	if rows, err := MoonsStandardized(0, 0.1, 1); err != nil || len(rows) != 0 {
		t.Errorf("MoonsStandardized(0) = %v, %v", rows, err)
	}
}

func TestMoonsLinspaceIncludesBothEnds(t *testing.T) {
	// Without noise the generator reproduces make_moons' points exactly (up to order).
	out := make([]float64, 2*6)
	sampleMoons(newRand(1), 6, 0, [2]float64{1, 1}, [2]float64{0, 0}, out)
	want := map[[2]float64]bool{
		{1, 0}: true, {0, 1}: true, {-1, 0}: true, // outer: t = 0, π/2, π
		{0, 0.5}: true, {1, -0.5}: true, {2, 0.5}: true, // inner: 1 - cos t, 1/2 - sin t
	}
	for i := 0; i < 6; i++ {
		p := [2]float64{math.Round(out[2*i]*1e12) / 1e12, math.Round(out[2*i+1]*1e12) / 1e12}
		if p[0] == 0 {
			p[0] = 0 // drop the sign of -0
		}
		if !want[p] {
			t.Errorf("point %v is not one of make_moons(6)'s", p)
		}
		delete(want, p)
	}
}
