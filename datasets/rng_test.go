package datasets

import "testing"

func TestNewRandIsDeterministic(t *testing.T) {
	a, b, c := newRand(5), newRand(5), newRand(6)
	for i := 0; i < 100; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatalf("draw %d: same seed gave %d and %d", i, x, y)
		}
		if x == z {
			t.Fatalf("draw %d: seeds 5 and 6 agree", i)
		}
	}
	// Pin the stream itself: PCG(seed, 0x9E3779B97F4A7C15) is part of the reproducibility promise.
	if got := newRand(1).Uint64(); got != newRandFirstDraw {
		t.Errorf("first draw of seed 1 is %#x, was %#x", got, uint64(newRandFirstDraw))
	}
}

func TestNewRows(t *testing.T) {
	rows, buf := newRows(3, 4)
	if len(rows) != 3 || len(buf) != 12 {
		t.Fatalf("newRows(3, 4): %d rows, %d values", len(rows), len(buf))
	}
	rows[1][2] = 7
	if buf[6] != 7 {
		t.Errorf("row 1 does not alias buf[4:8]")
	}
	if cap(rows[0]) != 4 {
		t.Errorf("row capacity %d lets appends overwrite the next row", cap(rows[0]))
	}
	if rows, buf := newRows(0, 4); rows == nil || len(rows) != 0 || buf != nil {
		t.Errorf("newRows(0, 4) = %v, %v", rows, buf)
	}
}

// newRandFirstDraw is newRand(1).Uint64() as of Go 1.26's math/rand/v2.
const newRandFirstDraw = 0xee4200f3880a19eb
