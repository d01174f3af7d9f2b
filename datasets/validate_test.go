package datasets

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
)

// badInput is one bad call of a data-set entry point and a piece of the error it must give.
type badInput struct {
	entry, name string
	run         func() error
	want        string
}

func badInputs(t *testing.T) []badInput {
	nan, inf := math.NaN(), math.Inf(1)
	good := [][]float64{{1, 2}, {3, 4}}
	m1, _ := NewMixture1D([]float64{1}, []float64{0}, []float64{1})
	mnd := Mixture8D()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mnist := func(name string, images, labels []byte) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if images != nil {
			os.WriteFile(filepath.Join(d, "t10k-images-idx3-ubyte"), images, 0o644)
		}
		if labels != nil {
			os.WriteFile(filepath.Join(d, "t10k-labels-idx1-ubyte"), labels, 0o644)
		}
		return d
	}
	img := idxBytes(IDXMagicImages, []uint32{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	lab := idxBytes(IDXMagicLabels, []uint32{2}, []byte{3, 4})
	be, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	mat, _ := FromRows(good)
	fromRows := func(rows [][]float64) func() error { return func() error { _, err := FromRows(rows); return err } }
	newMatrix := func(data []float32, dims ...int) func() error {
		return func() error { _, err := NewMatrix(data, dims...); return err }
	}
	sampleToy := func(name string, n int) func() error {
		return func() error { _, err := SampleToy(name, n, 1); return err }
	}
	validate := func(name string, rows [][]float64, d int) func() error {
		return func() error { return ValidateRows(name, rows, d) }
	}
	mix1 := func(w, mu, sd []float64) func() error {
		return func() error { _, err := NewMixture1D(w, mu, sd); return err }
	}
	mixN := func(w []float64, mu [][]float64, cov [][][]float64) func() error {
		return func() error { _, err := NewGaussianMixtureND(w, mu, cov); return err }
	}
	eye := [][]float64{{1, 0}, {0, 1}}
	dataset := func(m *Matrix, cfg DatasetConfig) func() error {
		return func() error { _, err := NewDataset(be, "t", m, cfg); return err }
	}
	load := func(d, split string) func() error {
		return func() error { _, err := LoadMNISTFrom(d, split); return err }
	}
	return []badInput{
		{"FromRows", "nil", fromRows(nil), "no rows"},
		{"FromRows", "empty", fromRows([][]float64{}), "no rows"},
		{"FromRows", "empty row", fromRows([][]float64{{}}), "length 0"},
		{"FromRows", "ragged", fromRows([][]float64{{1, 2}, {3}}), "row 1 has length 1"},
		{"FromRows", "longer row", fromRows([][]float64{{1}, {2, 3}}), "row 1 has length 2"},
		{"FromRows", "NaN", fromRows([][]float64{{1, nan}}), "row 0 element 1 is NaN"},
		{"FromRows", "+Inf", fromRows([][]float64{{1, 2}, {inf, 0}}), "row 1 element 0 is +Inf"},
		{"FromRows", "-Inf", fromRows([][]float64{{-inf}}), "is -Inf"},
		{"FromRows", "beyond float32", fromRows([][]float64{{1e39}}), "float32's range"},
		{"FromRows", "negative beyond float32", fromRows([][]float64{{0}, {-1e300}}), "row 1 element 0"},
		{"FromRows", "NaN in a late row", fromRows([][]float64{{1}, {2}, {3}, {nan}}), "row 3"},
		{"FromRows", "nil row after a good one", fromRows([][]float64{{1}, nil}), "row 1 has length 0"},

		{"NewMatrix", "no dims", newMatrix([]float32{1}), "at least one dimension"},
		{"NewMatrix", "negative N", newMatrix(nil, -1, 2), "dimension 0 is -1"},
		{"NewMatrix", "zero D", newMatrix(nil, 2, 0), "dimension 1 is 0"},
		{"NewMatrix", "negative D", newMatrix(nil, 2, -2), "dimension 1 is -2"},
		{"NewMatrix", "too few values", newMatrix([]float32{1, 2, 3}, 2, 2), "got 3 values"},
		{"NewMatrix", "too many values", newMatrix([]float32{1, 2, 3, 4, 5}, 2, 2), "got 5 values"},
		{"NewMatrix", "overflow", newMatrix(nil, 1<<40, 1<<40), "overflow"},
		{"NewMatrix", "NaN", newMatrix([]float32{1, float32(nan)}, 1, 2), "example 0, element 1"},
		{"NewMatrix", "+Inf", newMatrix([]float32{1, 2, float32(inf), 4}, 2, 2), "example 1, element 0"},
		{"NewMatrix", "-Inf image", newMatrix([]float32{0, 0, 0, float32(-inf)}, 1, 2, 2, 1), "example 0, element 3"},
		{"NewMatrix", "values for zero examples", newMatrix([]float32{1}, 0, 1), "got 1 values"},
		{"NewMatrix", "nil data for examples", newMatrix(nil, 1, 1), "got 0 values"},

		{"SampleToy", "unknown", sampleToy("moon", 10), "unknown 2D toy"},
		{"SampleToy", "empty name", sampleToy("", 10), "unknown 2D toy"},
		{"SampleToy", "case", sampleToy("Moons", 10), "unknown 2D toy"},
		{"SampleToy", "zero", sampleToy("moons", 0), "positive number of examples, got 0"},
		{"SampleToy", "negative", sampleToy("rings", -5), "got -5"},
		{"SampleToy", "most negative", sampleToy("checkerboard", math.MinInt), "positive"},
		{"SampleToy", "too many", sampleToy("8gaussians", 1<<40), "too large"},
		{"SampleToy", "just too many", sampleToy("pinwheel", MaxSampleValues/2+1), "too large"},
		{"SampleToy", "zero spirals", sampleToy("2spirals", 0), "toy \"2spirals\""},
		{"SampleToy", "negative swissroll", sampleToy("swissroll", -1), "toy \"swissroll\""},
		{"SampleToy", "negative circles", sampleToy("circles", -1), "positive"},
		{"SampleToy", "zero moons-std", sampleToy("moons-std", 0), "positive"},

		{"ValidateRows", "nil", validate("x", nil, 2), "x is empty"},
		{"ValidateRows", "empty", validate("x", [][]float64{}, 2), "x is empty"},
		{"ValidateRows", "empty first row", validate("x", [][]float64{{}}, 0), "x[0] is empty"},
		{"ValidateRows", "wrong width", validate("x", [][]float64{{1, 2, 3}}, 2), "x[0] has 3 values, want 2"},
		{"ValidateRows", "ragged", validate("x", [][]float64{{1, 2}, {1}}, 0), "x[1] has 1 values, want 2"},
		{"ValidateRows", "NaN", validate("data", [][]float64{{nan, 1}}, 2), "data[0][0] is NaN"},
		{"ValidateRows", "+Inf", validate("data", [][]float64{{1, 1}, {1, inf}}, 2), "data[1][1] is +Inf"},
		{"ValidateRows", "-Inf", validate("data", [][]float64{{-inf}}, 1), "is -Inf"},
		{"ValidateRows", "nil row", validate("x", [][]float64{{1}, nil}, 1), "x[1] has 0 values"},
		{"ValidateRows", "width 0 rows", validate("x", [][]float64{{}, {}}, 1), "x[0] has 0 values"},
		{"ValidateRows", "NaN late", validate("x", [][]float64{{1}, {2}, {nan}}, 1), "x[2][0]"},
		{"ValidateRows", "wide late", validate("x", [][]float64{{1}, {2}, {3, 4}}, 1), "x[2] has 2 values"},

		{"NewMixture1D", "empty", mix1(nil, nil, nil), "at least one component"},
		{"NewMixture1D", "lengths", mix1([]float64{1, 1}, []float64{0}, []float64{1, 1}), "must match"},
		{"NewMixture1D", "zero weight", mix1([]float64{0}, []float64{0}, []float64{1}), "weight 0 is 0"},
		{"NewMixture1D", "negative weight", mix1([]float64{-1}, []float64{0}, []float64{1}), "positive"},
		{"NewMixture1D", "NaN weight", mix1([]float64{nan}, []float64{0}, []float64{1}), "weight 0 is NaN"},
		{"NewMixture1D", "Inf weight", mix1([]float64{inf}, []float64{0}, []float64{1}), "finite"},
		{"NewMixture1D", "NaN mean", mix1([]float64{1}, []float64{nan}, []float64{1}), "mean 0 is NaN"},
		{"NewMixture1D", "Inf mean", mix1([]float64{1}, []float64{-inf}, []float64{1}), "mean 0 is -Inf"},
		{"NewMixture1D", "zero sd", mix1([]float64{1}, []float64{0}, []float64{0}), "stddev 0 is 0"},
		{"NewMixture1D", "negative sd", mix1([]float64{1}, []float64{0}, []float64{-1}), "stddev 0 is -1"},
		{"NewMixture1D", "NaN sd", mix1([]float64{1}, []float64{0}, []float64{nan}), "stddev 0 is NaN"},
		{"NewMixture1D", "Inf sd", mix1([]float64{1}, []float64{0}, []float64{inf}), "stddev 0 is +Inf"},
		{"NewMixture1D", "zero samples", func() error { _, err := m1.SampleValues(0, 1); return err }, "positive"},
		{"NewMixture1D", "too many samples", func() error { _, err := m1.SampleValues(1<<40, 1); return err }, "too large"},

		{"NewGaussianMixtureND", "empty", mixN(nil, nil, nil), "at least one component"},
		{"NewGaussianMixtureND", "lengths", mixN([]float64{1}, [][]float64{{0, 0}, {1, 1}}, [][][]float64{eye}), "must match"},
		{"NewGaussianMixtureND", "empty mean", mixN([]float64{1}, [][]float64{{}}, [][][]float64{eye}), "dimension must be at least 1"},
		{"NewGaussianMixtureND", "zero weight", mixN([]float64{0}, [][]float64{{0, 0}}, [][][]float64{eye}), "weight 0 is 0"},
		{"NewGaussianMixtureND", "NaN weight", mixN([]float64{nan}, [][]float64{{0, 0}}, [][][]float64{eye}), "weight 0 is NaN"},
		{"NewGaussianMixtureND", "ragged means", mixN([]float64{1, 1}, [][]float64{{0, 0}, {0}}, [][][]float64{eye, eye}), "mean 1 has length 1"},
		{"NewGaussianMixtureND", "NaN mean", mixN([]float64{1}, [][]float64{{0, nan}}, [][][]float64{eye}), "mean 0 has NaN"},
		{"NewGaussianMixtureND", "Inf mean", mixN([]float64{1}, [][]float64{{inf, 0}}, [][][]float64{eye}), "mean 0 has +Inf"},
		{"NewGaussianMixtureND", "not positive definite", mixN([]float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1, 2}, {2, 1}}}), "covariance 0"},
		{"NewGaussianMixtureND", "asymmetric", mixN([]float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1, 0.5}, {0, 1}}}), "covariance 0"},
		{"NewGaussianMixtureND", "wrong size covariance", mixN([]float64{1}, [][]float64{{0, 0}}, [][][]float64{{{1}}}), "covariance 0"},
		{"NewGaussianMixtureND", "NaN covariance", mixN([]float64{1}, [][]float64{{0, 0}}, [][][]float64{{{nan, 0}, {0, 1}}}), "covariance 0"},
		{"NewGaussianMixtureND", "zero samples", func() error { _, err := mnd.SampleRows(0, 1); return err }, "positive"},
		{"NewGaussianMixtureND", "bad log-prob rows", func() error { _, err := mnd.LogProbs([][]float64{{1}}); return err }, "row 0 has length 1"},

		{"NewDataset", "nil matrix", dataset(nil, DatasetConfig{BatchSize: 1}), "no examples"},
		{"NewDataset", "empty matrix", dataset(&Matrix{}, DatasetConfig{BatchSize: 1}), "no examples"},
		{"NewDataset", "zero batch", dataset(mat, DatasetConfig{}), "BatchSize is 0"},
		{"NewDataset", "negative batch", dataset(mat, DatasetConfig{BatchSize: -3}), "BatchSize is -3"},
		{"NewDataset", "batch over examples with drop", dataset(mat, DatasetConfig{BatchSize: 3, DropRemainder: true}), "exceeds the 2 examples"},
		{"NewDataset", "nil backend", func() error { _, err := NewDataset(nil, "t", mat, DatasetConfig{BatchSize: 1}); return err }, "backend is nil"},
		{"NewDataset", "hand-made NaN matrix", func() error { return (&Matrix{data: []float32{float32(nan)}, dims: []int{1, 1}}).Validate() }, "example 0, element 0"},
		{"NewDataset", "hand-made ragged matrix", func() error { return (&Matrix{data: []float32{1, 2, 3}, dims: []int{2, 2}}).Validate() }, "holds 3 values"},
		{"NewDataset", "labels", func() error { _, err := mat.WithLabels([]int32{1}); return err }, "1 labels for 2 examples"},
		{"NewDataset", "nil matrix validate", func() error { return (*Matrix)(nil).Validate() }, "nil"},
		{"NewDataset", "split fractions", func() error { _, err := mat.Split(0.5, 0.7); return err }, "sum to"},
		{"NewDataset", "split empty part", func() error { _, err := mat.Split(0.1, 0.9); return err }, "is empty"},

		{"LoadMNISTFrom", "unknown split", load(dir, "valid"), "unknown MNIST split"},
		{"LoadMNISTFrom", "missing dir", load(filepath.Join(dir, "none"), "test"), "opening MNIST file"},
		{"LoadMNISTFrom", "dir is a file", load(file, "test"), "opening MNIST file"},
		{"LoadMNISTFrom", "no labels", load(mnist("nolab", img, nil), "test"), "opening MNIST file"},
		{"LoadMNISTFrom", "empty images", load(mnist("empty", []byte{}, lab), "test"), "truncated"},
		{"LoadMNISTFrom", "swapped files", load(mnist("swap", lab, img), "t10k"), "MNIST images have magic"},
		{"LoadMNISTFrom", "count mismatch", load(mnist("count", img, idxBytes(IDXMagicLabels, []uint32{3}, []byte{1, 2, 3})), "test"), "2 images but 3 labels"},
		{"LoadMNISTFrom", "label 10", load(mnist("ten", img, idxBytes(IDXMagicLabels, []uint32{2}, []byte{1, 10})), "test"), "label 1 is 10"},
		{"LoadMNISTFrom", "truncated images", load(mnist("trunc", img[:len(img)-3], lab), "test"), "truncated"},
		{"LoadMNISTFrom", "trailing bytes", load(mnist("trail", append(append([]byte{}, img...), 9), lab), "test"), "trailing bytes"},
		{"LoadMNISTFrom", "bad magic", load(mnist("magic", append([]byte{1}, img[1:]...), lab), "test"), "bad magic"},
		{"LoadMNISTFrom", "zero-width images", load(mnist("zero", idxBytes(IDXMagicImages, []uint32{2, 0, 2}, nil), lab), "test"), "images of 0×2 pixels"},
	}
}

// TestEntryPointsRejectBadInput runs at least 12 bad inputs through each data-set loader and
// constructor: every one gives an error naming the problem, none panics.
func TestEntryPointsRejectBadInput(t *testing.T) {
	cases := badInputs(t)
	count := map[string]int{}
	for _, c := range cases {
		count[c.entry]++
		t.Run(c.entry+"/"+c.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panicked: %v", r)
					}
				}()
				err = c.run()
			}()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
	for entry, n := range count {
		if n < 12 {
			t.Errorf("%s: only %d cases", entry, n)
		}
	}
}

// TestCheckedSamplersAcceptGoodInput: the checked samplers return what the plain ones do.
func TestCheckedSamplersAcceptGoodInput(t *testing.T) {
	rows, err := SampleToy("moons", 5, 3)
	if err != nil || len(rows) != 5 {
		t.Fatalf("SampleToy: %d rows, %v", len(rows), err)
	}
	toy, _ := Toy("moons")
	for i, r := range toy.Sample(5, 3) {
		if r[0] != rows[i][0] || r[1] != rows[i][1] {
			t.Fatalf("row %d differs from Toy2D.Sample", i)
		}
	}
	if err := ValidateRows("rows", rows, 2); err != nil {
		t.Fatal(err)
	}
	m, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if v, err := Bimodal().SampleValues(3, 1); err != nil || len(v) != 3 {
		t.Fatalf("SampleValues: %v %v", v, err)
	}
	if r, err := Mixture8D().SampleRows(3, 1); err != nil || len(r) != 3 || len(r[0]) != 8 {
		t.Fatalf("SampleRows: %v %v", r, err)
	}
}
