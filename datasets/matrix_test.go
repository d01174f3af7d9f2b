package datasets

import (
	"strings"
	"testing"
)

// seqMatrix returns an [n, 2] matrix whose example i is (i, -i), labelled i.
func seqMatrix(t *testing.T, n int) *Matrix {
	t.Helper()
	data := make([]float32, 2*n)
	labels := make([]int32, n)
	for i := 0; i < n; i++ {
		data[2*i], data[2*i+1] = float32(i), float32(-i)
		labels[i] = int32(i)
	}
	m, err := NewMatrix(data, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err = m.WithLabels(labels)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewMatrixAndFromRows(t *testing.T) {
	for _, c := range []struct {
		n    int
		dims []int
		want string
	}{{6, nil, "at least one"}, {6, []int{2, 2}, "got 6 values"}, {6, []int{-1, 6}, "dimension 0"}, {0, []int{3, 0}, "dimension 1"}} {
		if _, err := NewMatrix(make([]float32, c.n), c.dims...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewMatrix(%d values, %v) error = %v", c.n, c.dims, err)
		}
	}
	m, err := FromRows([][]float64{{1, 2, 3}, {4, 5, 6.5}})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Dims(); len(d) != 2 || d[0] != 2 || d[1] != 3 || m.Example(1)[2] != 6.5 || m.ExampleSize() != 3 {
		t.Errorf("FromRows gave dims %v data %v", d, m.Data())
	}
	if rows := m.Rows(); rows[1][2] != 6.5 || len(rows) != 2 {
		t.Errorf("Rows() = %v", rows)
	}
	if _, err := FromRows([][]float64{{1, 2}, {3}}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("ragged rows: %v", err)
	}
	if _, err := FromRows(nil); err == nil {
		t.Errorf("FromRows(nil) accepted")
	}
	if _, err := m.WithLabels([]int32{1}); err == nil {
		t.Errorf("WithLabels accepted 1 label for 2 examples")
	}
	if m.Example(2) != nil || m.Example(-1) != nil {
		t.Errorf("Example out of range should be nil")
	}
	var zero Matrix
	if zero.NumExamples() != 0 || zero.Tensor().Shape().Size() != 0 || zero.Shuffled(1).NumExamples() != 0 {
		t.Errorf("the zero Matrix should hold no examples")
	}
}

func TestMatrixTensor(t *testing.T) {
	m := seqMatrix(t, 3)
	tt := m.Tensor()
	defer tt.MustFinalizeAll()
	if dims := tt.Shape().Dimensions; len(dims) != 2 || dims[0] != 3 || dims[1] != 2 {
		t.Errorf("Tensor shape %v", tt.Shape())
	}
}

func TestMatrixSplit(t *testing.T) {
	m := seqMatrix(t, 10)
	parts, err := m.Split(0.8, 0.1, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	for j, want := range []int{8, 1, 1} {
		p := parts[j]
		if p.NumExamples() != want || len(p.Labels()) != want {
			t.Fatalf("part %d has %d examples, want %d", j, p.NumExamples(), want)
		}
		for i := 0; i < want; i++ {
			if p.Example(i)[0] != float32(next) || p.Labels()[i] != int32(next) {
				t.Fatalf("part %d example %d = %v (label %d), want example %d", j, i, p.Example(i), p.Labels()[i], next)
			}
			next++
		}
	}
	// Fractions summing to less than one leave the tail out.
	parts, err = m.Split(0.5, 0.2)
	if err != nil || parts[0].NumExamples() != 5 || parts[1].NumExamples() != 2 {
		t.Errorf("Split(0.5, 0.2) = %v, %v", parts, err)
	}
	for _, fr := range [][]float64{nil, {0.5, 0.6}, {0}, {-0.1, 0.5}, {0.95, 0.05}} {
		if _, err := m.Split(fr...); err == nil {
			t.Errorf("Split(%v) accepted", fr)
		}
	}
	// Every example lands in exactly one part for awkward sizes too.
	for _, n := range []int{3, 7, 101} {
		parts, err := seqMatrix(t, n).Split(1.0/3, 1.0/3, 1.0/3)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		total := 0
		for _, p := range parts {
			total += p.NumExamples()
		}
		if total != n {
			t.Errorf("n=%d: parts hold %d examples", n, total)
		}
	}
}

func TestMatrixShuffled(t *testing.T) {
	m := seqMatrix(t, 50)
	a, b, c := m.Shuffled(3), m.Shuffled(3), m.Shuffled(4)
	seen := make([]bool, 50)
	moved := 0
	for i := 0; i < 50; i++ {
		x := a.Example(i)
		k := int(x[0])
		if x[1] != -x[0] || a.Labels()[i] != int32(k) || seen[k] {
			t.Fatalf("example %d = %v label %d: not a permutation keeping rows and labels together", i, x, a.Labels()[i])
		}
		seen[k] = true
		if k != i {
			moved++
		}
		if b.Example(i)[0] != x[0] {
			t.Fatalf("Shuffled(3) is not deterministic")
		}
	}
	if moved < 25 {
		t.Errorf("only %d of 50 examples moved", moved)
	}
	same := 0
	for i := 0; i < 50; i++ {
		if c.Example(i)[0] == a.Example(i)[0] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("seeds 3 and 4 agree on %d of 50 positions", same)
	}
	if m.Example(7)[0] != 7 {
		t.Errorf("Shuffled modified the original")
	}
}
