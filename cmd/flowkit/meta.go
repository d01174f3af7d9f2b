package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
)

// metaFile is the metadata file of a checkpoint directory.
const metaFile = "flowkit.json"

// metaVersion is the version of the metadata format.
const metaVersion = 1

// Meta is what flowkit.json records about the model of a checkpoint directory: enough to rebuild
// its architecture and its data.
type Meta struct {
	Version int `json:"version"`
	Arch
	Dataset string `json:"dataset"`
	// Image is [h, w] for image models, nil otherwise.
	Image []int `json:"image,omitempty"`
	// Logit is the α of the data's logit preprocessing (0: none).
	Logit float64 `json:"logit,omitempty"`
	// Training settings of the run, for the record and for resuming.
	TrainN int     `json:"train_n"`
	Seed   uint64  `json:"seed"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`
}

// readMeta reads dir/flowkit.json. A missing directory or file gives an error naming it and
// saying what to do.
func readMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, metaFile)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("-ckpt %s: no such directory (train a model into it first: flowkit train -ckpt %s ...)", dir, dir)
	case err != nil:
		return nil, fmt.Errorf("-ckpt %s: %v", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("-ckpt %s: not a directory", dir)
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("-ckpt %s: no %s there: not a flowkit checkpoint directory (train one with flowkit train -ckpt %s ...)", dir, metaFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var m Meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: damaged metadata: %v", path, err)
	}
	if m.Version != metaVersion {
		return nil, fmt.Errorf("%s: metadata version %d, this flowkit reads version %d", path, m.Version, metaVersion)
	}
	if _, ok := lookupFamily(m.Family); !ok {
		return nil, fmt.Errorf("%s: unknown flow family %q", path, m.Family)
	}
	if m.Dims <= 0 || m.Layers <= 0 {
		return nil, fmt.Errorf("%s: bad sizes (dims %d, layers %d)", path, m.Dims, m.Layers)
	}
	return &m, nil
}

// writeMeta writes dir/flowkit.json atomically.
func writeMeta(dir string, m *Meta) error {
	m.Version = metaVersion
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-ckpt %s: %v", dir, err)
	}
	path := filepath.Join(dir, metaFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// describe is a one-line description of the model, e.g. "realnvp (8 layers, hidden 64,64) on moons".
func (m *Meta) describe() string {
	s := fmt.Sprintf("%s (%d layers", m.Family, m.Layers)
	if len(m.Hidden) > 0 {
		h := intList(m.Hidden)
		s += ", hidden " + h.String()
	}
	if m.Bins > 0 {
		s += fmt.Sprintf(", %d bins", m.Bins)
	}
	return s + fmt.Sprintf(", %dD) on %s", m.Dims, m.Dataset)
}

// sameArch reports whether two architectures are the same.
func sameArch(a, b Arch) bool {
	return a.Family == b.Family && a.Dims == b.Dims && a.Layers == b.Layers && a.Bins == b.Bins && slices.Equal(a.Hidden, b.Hidden)
}

// loaded is a trained model read back from its checkpoint directory.
type loaded struct {
	Meta  *Meta
	Model *flowkit.Model
	Step  int
	Data  dataset
}

// loadModel rebuilds the model of dir from its metadata and loads its newest checkpoint.
func loadModel(dir string, seed int64) (*loaded, error) {
	meta, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	data, err := lookupDataset("data", meta.Dataset)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, metaFile), err)
	}
	flow, err := buildFlow(meta.Arch)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, metaFile), err)
	}
	m, err := flowkit.NewModel(flow, flowkit.WithSeed(seed))
	if err != nil {
		return nil, err
	}
	path, _, err := fit.LatestCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("-ckpt %s: %v", dir, err)
	}
	if path == "" {
		return nil, fmt.Errorf("-ckpt %s: no checkpoint (step-* folder) yet: train first, or wait for the first evaluation to save one", dir)
	}
	step, err := fit.LoadModel(m, dir)
	if err != nil {
		return nil, archError(err, meta)
	}
	return &loaded{Meta: meta, Model: m, Step: step, Data: data}, nil
}

// archError turns fit's architecture mismatch (a multi-line list of variables) into one line
// naming the checkpoint, the architecture flowkit.json describes and the first mismatch.
func archError(err error, meta *Meta) error {
	var ae *fit.ArchitectureError
	if !errors.As(err, &ae) {
		return err
	}
	first := ""
	if len(ae.Mismatches) > 0 {
		mm := ae.Mismatches[0]
		first = fmt.Sprintf(" (first: %s is %s in the checkpoint, %s in the model)", mm.Variable, mm.Checkpoint, mm.Model)
	}
	return fmt.Errorf("checkpoint %s is from a different architecture than %s in %s: %d mismatched variables%s",
		ae.Path, meta.describe(), metaFile, len(ae.Mismatches), first)
}
