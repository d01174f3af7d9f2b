package datasets

import (
	"fmt"
	"math"
)

// MaxSampleValues bounds n × (values per example) for the checked samplers (SampleToy,
// SampleRows): 2²⁸ values, 2 GiB of float64, so a mistyped count gives an error instead of
// exhausting memory.
const MaxSampleValues = 1 << 28

// CheckCount returns an error unless 1 <= n and n·d <= MaxSampleValues. what names the
// argument (e.g. "n").
func CheckCount(what string, n, d int) error {
	if n <= 0 {
		return fmt.Errorf("datasets: %s must be a positive number of examples, got %d", what, n)
	}
	if d > 0 && n > MaxSampleValues/d {
		return fmt.Errorf("datasets: %s = %d examples of %d values is too large: want at most %d examples", what, n, d, MaxSampleValues/d)
	}
	return nil
}

// ValidateRows checks rows as a batch of examples of d values each (d <= 0: any length, the
// same for all rows): not empty, not ragged, every value finite. The error names the argument
// (name), the row and the element.
func ValidateRows(name string, rows [][]float64, d int) error {
	if len(rows) == 0 {
		return fmt.Errorf("datasets: %s is empty: want at least one row", name)
	}
	if d <= 0 {
		d = len(rows[0])
		if d == 0 {
			return fmt.Errorf("datasets: %s[0] is empty: want rows of at least one value", name)
		}
	}
	for i, r := range rows {
		if len(r) != d {
			return fmt.Errorf("datasets: %s[%d] has %d values, want %d", name, i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("datasets: %s[%d][%d] is %v, want a finite value", name, i, j, v)
			}
		}
	}
	return nil
}

// checkFinite32 returns an error naming the first non-finite value of data (examples of size
// values each).
func checkFinite32(what string, data []float32, size int) error {
	size = max(size, 1)
	for i, v := range data {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("datasets: %s holds %v at example %d, element %d; want finite values", what, v, i/size, i%size)
		}
	}
	return nil
}

// Validate checks a Matrix built by hand or modified through its shared slices: consistent
// dimensions, finite values, one label per example.
func (m *Matrix) Validate() error {
	if m == nil {
		return fmt.Errorf("datasets: Matrix is nil")
	}
	size := 1
	for i, d := range m.dims {
		if d < 0 || (i > 0 && d == 0) {
			return fmt.Errorf("datasets: Matrix dimension %d is %d in %v", i, d, m.dims)
		}
		size *= d
	}
	if len(m.dims) > 0 && len(m.data) != size {
		return fmt.Errorf("datasets: Matrix holds %d values for dimensions %v (want %d)", len(m.data), m.dims, size)
	}
	if m.labels != nil && len(m.labels) != m.NumExamples() {
		return fmt.Errorf("datasets: Matrix has %d labels for %d examples", len(m.labels), m.NumExamples())
	}
	return checkFinite32("Matrix", m.data, m.ExampleSize())
}

// SampleToy draws n points of the toy registered under name (see Names and Toy2D.Sample),
// checking the arguments: an unknown name or a count that is not positive (or too large) is
// an error rather than an empty or failed result.
func SampleToy(name string, n int, seed uint64) ([][]float64, error) {
	t, err := Toy(name)
	if err != nil {
		return nil, err
	}
	if err := CheckCount("n", n, 2); err != nil {
		return nil, fmt.Errorf("%w (toy %q)", err, name)
	}
	return t.Sample(n, seed), nil
}

// SampleRows is GaussianMixtureND.Sample with its count checked (positive, not too large).
func (m *GaussianMixtureND) SampleRows(n int, seed uint64) ([][]float64, error) {
	if m == nil || len(m.w) == 0 {
		return nil, fmt.Errorf("datasets: SampleRows on an empty mixture (build it with NewGaussianMixtureND)")
	}
	if err := CheckCount("n", n, m.d); err != nil {
		return nil, err
	}
	return m.Sample(n, seed), nil
}

// SampleValues is Mixture1D.Sample with its count checked (positive, not too large).
func (m *Mixture1D) SampleValues(n int, seed uint64) ([]float64, error) {
	if m == nil || len(m.w) == 0 {
		return nil, fmt.Errorf("datasets: SampleValues on an empty mixture (build it with NewMixture1D)")
	}
	if err := CheckCount("n", n, 1); err != nil {
		return nil, err
	}
	return m.Sample(n, seed), nil
}
