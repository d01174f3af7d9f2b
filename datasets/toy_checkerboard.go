package datasets

import (
	"math"
	"math/rand/v2"
)

// checkerboard is FFJORD's "checkerboard":
//
//	x1 ~ U[-2, 2),  x2' = U[0, 1) - 2b with b ~ Bernoulli(1/2),  x2 = x2' + (⌊x1⌋ mod 2),
//	(x, y) = 2 (x1, x2),
//
// with mod the non-negative (Python) remainder. Before the doubling, the unit cell (i, j) =
// (⌊x1⌋, ⌊x2⌋), i, j ∈ {-2, …, 1}, is occupied exactly when i + j is even, each of the 8 such
// cells with probability 1/8. After it, p is uniform on 8 squares of side 2 (area 32 in all) in
// [-4, 4]²: p = 1/32 there, 0 elsewhere, and H = ln 32 ≈ 3.4657 nats.
type checkerboard struct{}

func newCheckerboard() checkerboard { return checkerboard{} }

func (checkerboard) sample(r *rand.Rand, n int, out []float64) {
	for i := 0; i < n; i++ {
		// Uniforms on the 2^-52 grid keep every sum below exact: x2 never rounds onto the edge of
		// its cell (with 2^-53 steps, U - 2 could round up to -1).
		x1 := uniform52(r)*4 - 2
		x2 := uniform52(r) - float64(r.IntN(2))*2
		if int(math.Floor(x1))&1 == 1 { // ⌊x1⌋ mod 2 (two's complement & gives the Python remainder).
			x2++
		}
		out[2*i], out[2*i+1] = 2*x1, 2*x2
	}
}

// uniform52 returns a uniform value on the grid {0, 2^-52, …, 1 - 2^-52}.
func uniform52(r *rand.Rand) float64 { return float64(r.Uint64()>>12) * 0x1p-52 }

// inSupport reports whether (x, y) lies in one of the 8 occupied squares.
func (checkerboard) inSupport(x, y float64) bool {
	if !(x >= -4 && x < 4 && y >= -4 && y < 4) {
		return false
	}
	i, j := int(math.Floor(x/2)), int(math.Floor(y/2))
	return (i+j)&1 == 0
}

func (c checkerboard) logProb(x, y float64) float64 {
	if c.inSupport(x, y) {
		return -math.Log(32)
	}
	return math.Inf(-1)
}

func (checkerboard) bounds() (x0, x1, y0, y1 float64) { return -4, 4, -4, 4 }

func (checkerboard) entropy() (h, mass float64) { return math.Log(32), 1 }
