package datasets

import (
	"fmt"
	"iter"
	"math/rand"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/train"
)

// DatasetConfig says how a Dataset batches and orders its examples.
type DatasetConfig struct {
	// BatchSize is the number of examples per batch, at least 1.
	BatchSize int
	// Shuffle draws a new uniformly random order of the examples for every epoch; otherwise
	// the examples come in their stored order.
	Shuffle bool
	// Seed makes the sequence of epoch orders reproducible: the same Seed gives the same
	// batches, epoch after epoch.
	Seed uint64
	// DropRemainder drops the last, incomplete batch of each epoch, so every batch has exactly
	// BatchSize examples (one shape, one compiled graph). Otherwise the last batch of an epoch
	// holds the N mod BatchSize leftover examples.
	DropRemainder bool
	// Repeat makes Iter loop over epochs forever (reshuffling each one when Shuffle is set),
	// as train.Loop wants for training by steps; otherwise Iter ends after one epoch, as
	// evaluation wants. Use DropRemainder with Repeat, or the shape changes every epoch end.
	Repeat bool
}

// Dataset serves an in-memory Matrix to GoMLX's training machinery: it implements
// train.Dataset (and train.HasShortName) so train.Trainer, train.Loop and the evaluation
// helpers can consume it. Each batch has Inputs = [x] with x a float32 tensor of shape
// [B, d₁, …] (the Matrix's example shape) and, when the Matrix has labels, Labels = [y] with y
// an int32 tensor of shape [B]; otherwise no labels (a flow's NLL loss needs none). Every epoch
// visits every example exactly once (except the remainder when DropRemainder is set).
//
// It is a thin wrapper over GoMLX's own dataset.InMemoryDataset (ml/dataset), which keeps the
// data on the backend's device and gathers each batch there; InMemory exposes it for anything
// not covered here.
type Dataset struct {
	mds *dataset.InMemoryDataset
	cfg DatasetConfig
	n   int
}

var (
	_ train.Dataset      = (*Dataset)(nil)
	_ train.HasShortName = (*Dataset)(nil)
)

// NewDataset copies m to backend's device and returns a Dataset over it with the given
// configuration. The name is shown in GoMLX's progress output and metric names.
func NewDataset(backend compute.Backend, name string, m *Matrix, cfg DatasetConfig) (ds *Dataset, err error) {
	if backend == nil {
		return nil, fmt.Errorf("datasets: NewDataset %q: backend is nil", name)
	}
	if m == nil || m.NumExamples() == 0 {
		return nil, fmt.Errorf("datasets: NewDataset %q: the matrix has no examples", name)
	}
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("datasets: NewDataset %q: BatchSize is %d; it must be at least 1", name, cfg.BatchSize)
	}
	n := m.NumExamples()
	if cfg.DropRemainder && cfg.BatchSize > n {
		return nil, fmt.Errorf("datasets: NewDataset %q: BatchSize %d exceeds the %d examples and DropRemainder is set, so every epoch would be empty",
			name, cfg.BatchSize, n)
	}
	if name == "" {
		name = "flowkit"
	}
	defer func() { // GoMLX reports some failures by panicking; return them as errors.
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("datasets: NewDataset %q: %v", name, r)
		}
	}()
	inputs := []any{m.Tensor()}
	var labels []any
	if m.labels != nil {
		labels = []any{tensors.FromFlatDataAndDimensions(m.labels, n)}
	}
	// InMemoryFromData takes the first 3 letters of the name as its short name; give it a
	// long enough placeholder and set the real names after.
	mds, err := dataset.InMemoryFromData(backend, "flowkit-dataset", inputs, labels)
	if err != nil {
		return nil, fmt.Errorf("datasets: NewDataset %q: %w", name, err)
	}
	short := name
	if len(short) > 3 {
		short = short[:3]
	}
	mds.SetName(name, short)
	mds.BatchSize(cfg.BatchSize, cfg.DropRemainder)
	if cfg.Shuffle {
		mds.Shuffle()
	}
	mds.WithRand(rand.New(rand.NewSource(int64(cfg.Seed))))
	mds.Infinite(cfg.Repeat)
	return &Dataset{mds: mds, cfg: cfg, n: n}, nil
}

// Name implements train.Dataset.
func (d *Dataset) Name() string { return d.mds.Name() }

// ShortName implements train.HasShortName: the first three letters of the name.
func (d *Dataset) ShortName() string { return d.mds.ShortName() }

// Iter implements train.Dataset: each call starts a new epoch (a new order when shuffling,
// drawn from the Seed's sequence) and yields batches until the epoch ends, or forever with
// Repeat. The caller owns the yielded tensors (train.Trainer finalizes them; otherwise call
// Batch.Finalize).
func (d *Dataset) Iter() iter.Seq2[train.Batch, error] { return d.mds.Iter() }

// NumExamples returns the number of examples N.
func (d *Dataset) NumExamples() int { return d.n }

// BatchesPerEpoch returns the number of batches in one epoch: ⌊N/B⌋ with DropRemainder,
// ⌈N/B⌉ without.
func (d *Dataset) BatchesPerEpoch() int {
	if d.cfg.DropRemainder {
		return d.n / d.cfg.BatchSize
	}
	return (d.n + d.cfg.BatchSize - 1) / d.cfg.BatchSize
}

// Config returns the configuration the Dataset was built with.
func (d *Dataset) Config() DatasetConfig { return d.cfg }

// InMemory returns the underlying GoMLX dataset.InMemoryDataset.
func (d *Dataset) InMemory() *dataset.InMemoryDataset { return d.mds }

// Finalize frees the device copy of the data now rather than at garbage collection. The
// Dataset must not be used afterwards.
func (d *Dataset) Finalize() { d.mds.FinalizeAll() }
