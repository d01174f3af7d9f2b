package datasets

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// batchIDs returns the example ids (x[:, 0]) of a batch after checking its shapes and that
// inputs and labels stay paired.
func batchIDs(t *testing.T, b train.Batch) []int {
	t.Helper()
	defer func() {
		if err := b.Finalize(); err != nil {
			t.Fatal(err)
		}
	}()
	if len(b.Inputs) != 1 || len(b.Labels) != 1 {
		t.Fatalf("batch has %d inputs and %d labels, want 1 and 1", len(b.Inputs), len(b.Labels))
	}
	xs := b.Inputs[0].Shape()
	if xs.Rank() != 2 || xs.Dimensions[1] != 2 {
		t.Fatalf("inputs shape %s, want [B, 2]", xs)
	}
	x, err := tensors.CopyFlatData[float32](b.Inputs[0])
	if err != nil {
		t.Fatal(err)
	}
	y, err := tensors.CopyFlatData[int32](b.Labels[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(y) != xs.Dimensions[0] {
		t.Fatalf("labels shape %s for inputs %s", b.Labels[0].Shape(), xs)
	}
	ids := make([]int, len(y))
	for i := range y {
		if x[2*i] != float32(y[i]) || x[2*i+1] != -x[2*i] {
			t.Fatalf("row %d = (%v, %v) with label %d: inputs and labels out of step", i, x[2*i], x[2*i+1], y[i])
		}
		ids[i] = int(y[i])
	}
	return ids
}

func TestDatasetOneEpochInOrder(t *testing.T) {
	ds, err := NewDataset(testBackend(t), "seq", seqMatrix(t, 10), DatasetConfig{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Finalize()
	var sizes, all []int
	for b, err := range ds.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		ids := batchIDs(t, b)
		sizes = append(sizes, len(ids))
		all = append(all, ids...)
	}
	if len(sizes) != 3 || sizes[0] != 4 || sizes[1] != 4 || sizes[2] != 2 || ds.BatchesPerEpoch() != 3 {
		t.Errorf("batch sizes %v (BatchesPerEpoch %d), want [4 4 2]", sizes, ds.BatchesPerEpoch())
	}
	for i, id := range all {
		if id != i {
			t.Fatalf("unshuffled epoch order %v", all)
		}
	}
	if ds.Name() != "seq" || ds.ShortName() != "seq" || ds.NumExamples() != 10 {
		t.Errorf("Name %q ShortName %q NumExamples %d", ds.Name(), ds.ShortName(), ds.NumExamples())
	}
}

// TestDatasetShuffledEpochsCoverEveryExample: every epoch visits every example once, each
// epoch in a new order, and the whole sequence is reproducible from the seed.
func TestDatasetShuffledEpochsCoverEveryExample(t *testing.T) {
	const n = 23
	epochs := func(seed uint64, drop bool) [][]int {
		ds, err := NewDataset(testBackend(t), "shuffled", seqMatrix(t, n), DatasetConfig{BatchSize: 5, Shuffle: true, Seed: seed, DropRemainder: drop})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Finalize()
		var out [][]int
		for e := 0; e < 3; e++ {
			var ids []int
			batches := 0
			for b, err := range ds.Iter() {
				if err != nil {
					t.Fatal(err)
				}
				got := batchIDs(t, b)
				if drop && len(got) != 5 {
					t.Fatalf("DropRemainder yielded a batch of %d", len(got))
				}
				ids = append(ids, got...)
				batches++
			}
			if batches != ds.BatchesPerEpoch() {
				t.Errorf("epoch %d had %d batches, BatchesPerEpoch says %d", e, batches, ds.BatchesPerEpoch())
			}
			out = append(out, ids)
		}
		return out
	}
	for _, drop := range []bool{false, true} {
		a, b := epochs(7, drop), epochs(7, drop)
		want := n
		if drop {
			want = n / 5 * 5
		}
		for e := range a {
			seen := map[int]bool{}
			for _, id := range a[e] {
				if seen[id] || id < 0 || id >= n {
					t.Fatalf("drop=%v epoch %d repeats or invents example %d: %v", drop, e, id, a[e])
				}
				seen[id] = true
			}
			if len(seen) != want {
				t.Errorf("drop=%v epoch %d visits %d examples, want %d", drop, e, len(seen), want)
			}
			for i := range a[e] {
				if a[e][i] != b[e][i] {
					t.Fatalf("drop=%v: the same seed gave different epoch %d: %v vs %v", drop, e, a[e], b[e])
				}
			}
		}
		if equalInts(a[0], a[1]) {
			t.Errorf("drop=%v: epochs 0 and 1 have the same order", drop)
		}
		if c := epochs(8, drop); equalInts(c[0], a[0]) {
			t.Errorf("drop=%v: seeds 7 and 8 gave the same first epoch", drop)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDatasetRepeatLoopsOverEpochs(t *testing.T) {
	const n, bs = 12, 4
	ds, err := NewDataset(testBackend(t), "repeat", seqMatrix(t, n), DatasetConfig{BatchSize: bs, Shuffle: true, Seed: 1, DropRemainder: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Finalize()
	var ids []int
	count := 0
	for b, err := range ds.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, batchIDs(t, b)...)
		count++
		if count == 4*ds.BatchesPerEpoch() {
			break
		}
	}
	for e := 0; e < 4; e++ {
		seen := map[int]bool{}
		for _, id := range ids[e*n : (e+1)*n] {
			seen[id] = true
		}
		if len(seen) != n {
			t.Errorf("pass %d of the repeating dataset covers %d of %d examples", e, len(seen), n)
		}
	}
}

func TestDatasetUnlabelledImages(t *testing.T) {
	im, err := NewImages(5, 2, 3, make([]uint8, 30), nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := NewDataset(testBackend(t), "im", im.Dequantize(1), DatasetConfig{BatchSize: 2, DropRemainder: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Finalize()
	n := 0
	for b, err := range ds.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Labels) != 0 || len(b.Inputs) != 1 {
			t.Fatalf("batch has %d inputs, %d labels", len(b.Inputs), len(b.Labels))
		}
		if d := b.Inputs[0].Shape().Dimensions; len(d) != 4 || d[0] != 2 || d[1] != 2 || d[2] != 3 || d[3] != 1 {
			t.Fatalf("image batch shape %v, want [2 2 3 1]", d)
		}
		_ = b.Finalize()
		n++
	}
	if n != 2 {
		t.Errorf("%d batches, want 2", n)
	}
	if ds.ShortName() != "im" {
		t.Errorf("ShortName %q", ds.ShortName())
	}
}

func TestNewDatasetRejectsBadConfig(t *testing.T) {
	b := testBackend(t)
	m := seqMatrix(t, 4)
	cases := []struct {
		name    string
		backend compute.Backend
		m       *Matrix
		cfg     DatasetConfig
		want    string
	}{
		{"nil backend", nil, m, DatasetConfig{BatchSize: 2}, "backend is nil"},
		{"no matrix", b, nil, DatasetConfig{BatchSize: 2}, "no examples"},
		{"empty", b, &Matrix{}, DatasetConfig{BatchSize: 2}, "no examples"},
		{"batch 0", b, m, DatasetConfig{}, "BatchSize is 0"},
		{"batch too big", b, m, DatasetConfig{BatchSize: 5, DropRemainder: true}, "every epoch would be empty"},
	}
	for _, c := range cases {
		if _, err := NewDataset(c.backend, "x", c.m, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}
