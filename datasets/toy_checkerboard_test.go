package datasets

import (
	"math"
	"testing"
)

// checkerboardSquares are the occupied cells (i, j) of the unscaled board, each the square
// [2i, 2i+2) × [2j, 2j+2) after the doubling: exactly the cells with i + j even.
var checkerboardSquares = [8][2]float64{{-2, -2}, {-2, 0}, {-1, -1}, {-1, 1}, {0, -2}, {0, 0}, {1, -1}, {1, 1}}

func TestCheckerboardSamplesFillTheEightSquaresUniformly(t *testing.T) {
	const n = 400000
	rows := mustToy(t, "checkerboard").Sample(n, 3)
	var counts [8]int
	var sumX, sumY [8]float64
	for _, r := range rows {
		found := -1
		for k, sq := range checkerboardSquares {
			if r[0] >= 2*sq[0] && r[0] < 2*sq[0]+2 && r[1] >= 2*sq[1] && r[1] < 2*sq[1]+2 {
				found = k
			}
		}
		if found < 0 {
			t.Fatalf("sample %v is outside the 8 squares", r)
		}
		counts[found]++
		sumX[found] += r[0]
		sumY[found] += r[1]
	}
	se := math.Sqrt(n * (1.0 / 8) * (7.0 / 8))
	for k, c := range counts {
		if math.Abs(float64(c)-n/8) > 5*se {
			t.Errorf("square %v holds %d samples, want %d ± %.0f", checkerboardSquares[k], c, n/8, se)
		}
		// Uniform within its square: the mean is the square's center (sd of the mean 0.577/√c).
		cx, cy := 2*checkerboardSquares[k][0]+1, 2*checkerboardSquares[k][1]+1
		tol := 5 * 0.5774 / math.Sqrt(float64(c))
		if mx, my := sumX[k]/float64(c), sumY[k]/float64(c); math.Abs(mx-cx) > tol || math.Abs(my-cy) > tol {
			t.Errorf("square %v has mean (%.4f, %.4f), want (%v, %v)", checkerboardSquares[k], mx, my, cx, cy)
		}
	}
}

func TestCheckerboardLogProb(t *testing.T) {
	toy := mustToy(t, "checkerboard")
	for _, sq := range checkerboardSquares {
		x, y := 2*sq[0]+1, 2*sq[1]+1
		if lp, ok := toy.LogProb(x, y); !ok || lp != -math.Log(32) {
			t.Errorf("LogProb at the center of square %v = %v, want -ln 32", sq, lp)
		}
		// The neighbouring square to the right is empty (or off the board).
		if lp, _ := toy.LogProb(x+2, y); !math.IsInf(lp, -1) {
			t.Errorf("LogProb(%v, %v) = %v, want -Inf", x+2, y, lp)
		}
	}
	for _, p := range [][2]float64{{4, 0}, {-4.01, 0}, {0, 4}, {math.Inf(1), 1}} {
		if lp, _ := toy.LogProb(p[0], p[1]); !math.IsInf(lp, -1) {
			t.Errorf("LogProb(%v) = %v, want -Inf", p, lp)
		}
	}
}
