package datasets

import "math/rand/v2"

// pcgStream is the PCG increment (stream selector) paired with every user seed.
const pcgStream = 0x9E3779B97F4A7C15

// newRand returns the package's deterministic random source for seed: math/rand/v2's PCG
// seeded with (seed, pcgStream).
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, pcgStream))
}

// newRows returns n rows of length d that share one contiguous backing array (row-major
// [n, d]), and that array. n <= 0 gives zero rows.
func newRows(n, d int) ([][]float64, []float64) {
	if n <= 0 {
		return [][]float64{}, nil
	}
	buf := make([]float64, n*d)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = buf[i*d : (i+1)*d : (i+1)*d]
	}
	return rows, buf
}
