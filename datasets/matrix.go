package datasets

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// Matrix is an in-memory float32 array of shape [N, d₁, …, d_k] (examples first: [N, D] for
// vectors, [N, H, W, C] for images) with optional int32 labels, one per example: the host-side
// form of a data set before it goes to GoMLX (Tensor, NewDataset). Build one with NewMatrix,
// FromRows, Images.ToFloat01 or Images.Dequantize; the zero Matrix holds no examples. Its
// methods never modify it.
type Matrix struct {
	data   []float32
	dims   []int
	labels []int32
}

// NewMatrix returns the Matrix of the given row-major data and dimensions (at least one, all
// positive except N = dims[0], which may be 0), sharing data (not copied). The values must be
// finite.
func NewMatrix(data []float32, dims ...int) (*Matrix, error) {
	if len(dims) == 0 {
		return nil, fmt.Errorf("datasets: NewMatrix needs at least one dimension (the number of examples)")
	}
	size := 1
	for i, d := range dims {
		if d < 0 || (i > 0 && d == 0) {
			return nil, fmt.Errorf("datasets: NewMatrix dimension %d is %d in %v", i, d, dims)
		}
		if d > 0 && size > math.MaxInt/d {
			return nil, fmt.Errorf("datasets: NewMatrix dimensions %v overflow", dims)
		}
		size *= d
	}
	if len(data) != size {
		return nil, fmt.Errorf("datasets: NewMatrix got %d values for dimensions %v (want %d)", len(data), dims, size)
	}
	if err := checkFinite32("NewMatrix data", data, size/max(1, dims[0])); err != nil {
		return nil, err
	}
	return &Matrix{data: data, dims: append([]int(nil), dims...)}, nil
}

// FromRows converts n rows of equal length D, as the generators return them, to an [n, D]
// float32 Matrix (values rounded to the nearest float32; NaN, ±Inf and values beyond float32's
// range are errors).
func FromRows(rows [][]float64) (*Matrix, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("datasets: FromRows got no rows")
	}
	d := len(rows[0])
	if d == 0 {
		return nil, fmt.Errorf("datasets: FromRows got rows of length 0")
	}
	data := make([]float32, 0, len(rows)*d)
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("datasets: FromRows row %d has length %d, row 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, fmt.Errorf("datasets: FromRows row %d element %d is %v; want a finite value within float32's range", i, j, v)
			}
			data = append(data, float32(v))
		}
	}
	return &Matrix{data: data, dims: []int{len(rows), d}}, nil
}

// WithLabels returns a Matrix sharing m's data with the given labels (one per example,
// shared, not copied), or nil labels to drop them.
func (m *Matrix) WithLabels(labels []int32) (*Matrix, error) {
	if labels != nil && len(labels) != m.NumExamples() {
		return nil, fmt.Errorf("datasets: WithLabels got %d labels for %d examples", len(labels), m.NumExamples())
	}
	return &Matrix{data: m.data, dims: m.dims, labels: labels}, nil
}

// Data returns the values, row-major. It is shared: do not modify it.
func (m *Matrix) Data() []float32 { return m.data }

// Dims returns a copy of the dimensions [N, d₁, …].
func (m *Matrix) Dims() []int { return append([]int(nil), m.dims...) }

// Labels returns the labels (one per example) or nil. It is shared: do not modify it.
func (m *Matrix) Labels() []int32 { return m.labels }

// NumExamples returns N, the leading dimension.
func (m *Matrix) NumExamples() int {
	if len(m.dims) == 0 {
		return 0
	}
	return m.dims[0]
}

// ExampleSize returns the number of values per example, d₁ ⋯ d_k.
func (m *Matrix) ExampleSize() int {
	if len(m.dims) == 0 {
		return 0
	}
	size := 1
	for _, d := range m.dims[1:] {
		size *= d
	}
	return size
}

// Example returns the values of example i (shared; do not modify), or nil if i is out of
// range.
func (m *Matrix) Example(i int) []float32 {
	if i < 0 || i >= m.NumExamples() {
		return nil
	}
	s := m.ExampleSize()
	return m.data[i*s : (i+1)*s : (i+1)*s]
}

// Rows returns the examples as float64 rows of length ExampleSize (one backing array), the
// form the exact densities take.
func (m *Matrix) Rows() [][]float64 {
	rows, buf := newRows(m.NumExamples(), m.ExampleSize())
	for i, v := range m.data {
		buf[i] = float64(v)
	}
	return rows
}

// Tensor returns the data as a GoMLX tensor of shape Dims (a copy).
func (m *Matrix) Tensor() *tensors.Tensor {
	if len(m.dims) == 0 {
		return tensors.FromFlatDataAndDimensions([]float32{}, 0)
	}
	return tensors.FromFlatDataAndDimensions(m.data, m.dims...)
}

// Shuffled returns a copy of m with its examples (and labels) in a uniformly random order,
// deterministic given seed (Fisher-Yates on the PCG stream of seed).
func (m *Matrix) Shuffled(seed uint64) *Matrix {
	n, s := m.NumExamples(), m.ExampleSize()
	perm := newRand(seed).Perm(n)
	out := &Matrix{data: make([]float32, len(m.data)), dims: m.Dims()}
	if len(m.dims) == 0 {
		return out
	}
	for i, j := range perm {
		copy(out.data[i*s:(i+1)*s], m.data[j*s:(j+1)*s])
	}
	if m.labels != nil {
		out.labels = make([]int32, n)
		for i, j := range perm {
			out.labels[i] = m.labels[j]
		}
	}
	return out
}

// Split cuts m, in order, into consecutive parts holding the given fractions of its examples,
// e.g. Split(0.8, 0.1, 0.1) for train, validation and test. Part j covers examples
// [round(N F_{j-1}), round(N F_j)) with F_j the cumulative sum of the fractions, so when they
// sum to one every example lands in exactly one part. The fractions must be positive and sum to
// at most 1 (+1e-9), and every part must get at least one example. The parts share m's memory.
// For a random split, split m.Shuffled(seed) (the generators' samples are already in random
// order).
func (m *Matrix) Split(fracs ...float64) ([]*Matrix, error) {
	if len(fracs) == 0 {
		return nil, fmt.Errorf("datasets: Split needs at least one fraction")
	}
	var total float64
	for i, f := range fracs {
		if !(f > 0) || f > 1 {
			return nil, fmt.Errorf("datasets: Split fraction %d is %v; fractions must be in (0, 1]", i, f)
		}
		total += f
	}
	if total > 1+1e-9 {
		return nil, fmt.Errorf("datasets: Split fractions %v sum to %v > 1", fracs, total)
	}
	n, s := m.NumExamples(), m.ExampleSize()
	parts := make([]*Matrix, len(fracs))
	var cum float64
	lo := 0
	for j, f := range fracs {
		cum += f
		hi := min(n, int(math.Round(float64(n)*cum)))
		if math.Abs(cum-1) <= 1e-9 {
			hi = n
		}
		if hi <= lo {
			return nil, fmt.Errorf("datasets: Split part %d (fraction %v) of %d examples is empty", j, f, n)
		}
		dims := m.Dims()
		dims[0] = hi - lo
		p := &Matrix{data: m.data[lo*s : hi*s : hi*s], dims: dims}
		if m.labels != nil {
			p.labels = m.labels[lo:hi:hi]
		}
		parts[j] = p
		lo = hi
	}
	return parts, nil
}
