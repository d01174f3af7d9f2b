package fit_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// trainedCheckpoint trains oneDFlow briefly with checkpoints in a new folder and returns it,
// the model and the newest checkpoint's path.
func trainedCheckpoint(t *testing.T) (string, *flowkit.Model, string) {
	t.Helper()
	dir := t.TempDir()
	m, err := flowkit.NewModel(oneDFlow())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fit.MLE(m, sampleMixture(bimodal, 500, 1), nil, fit.Config{Steps: 10, EvalEvery: 5, BatchSize: 64, CheckpointDir: dir}); err != nil {
		t.Fatal(err)
	}
	path, _, err := fit.LatestCheckpoint(dir)
	if err != nil || path == "" {
		t.Fatalf("no checkpoint: %v", err)
	}
	return dir, m, path
}

func dataFile(t *testing.T, path, suffix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(path, "*"+suffix))
	if len(m) != 1 {
		t.Fatalf("want one *%s in %s, found %v", suffix, path, m)
	}
	return m[0]
}

func TestCheckpointManifestVerifiesAndRoundTrips(t *testing.T) {
	dir, m, path := trainedCheckpoint(t)
	manifest, err := os.ReadFile(filepath.Join(path, fit.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(manifest)), "\n"); len(lines) != 2 {
		t.Fatalf("manifest should list the .json and .bin files:\n%s", manifest)
	}
	if err := fit.VerifyCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	x := sampleMixture(bimodal, 50, 9)
	want, _ := m.LogProb(x, nil)
	m2, _ := flowkit.NewModel(oneDFlow())
	step, err := fit.LoadModel(m2, dir)
	if err != nil || step != 10 {
		t.Fatalf("LoadModel: step %d, %v", step, err)
	}
	got, _ := m2.LogProb(x, nil)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("example %d: log p %v after reload, %v before", i, got[i], want[i])
		}
	}
}

// TestCheckpointCorruptionIsDetected damages a checkpoint in each way a disk or a person can and
// checks that loading fails with an error naming the file and the problem.
func TestCheckpointCorruptionIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   []string
	}{
		{"flipped byte in data", func(t *testing.T, path string) {
			f := dataFile(t, path, ".bin")
			b, _ := os.ReadFile(f)
			b[len(b)/2] ^= 0x40
			os.WriteFile(f, b, 0o644)
		}, []string{"is corrupt", ".bin", "SHA-256"}},
		{"truncated metadata", func(t *testing.T, path string) {
			f := dataFile(t, path, ".json")
			b, _ := os.ReadFile(f)
			os.WriteFile(f, b[:len(b)/2], 0o644)
		}, []string{"is corrupt", ".json"}},
		{"missing data file", func(t *testing.T, path string) {
			os.Remove(dataFile(t, path, ".bin"))
		}, []string{"missing or unreadable", ".bin"}},
		{"missing manifest", func(t *testing.T, path string) {
			os.Remove(filepath.Join(path, fit.ManifestFile))
		}, []string{"cannot be verified", fit.ManifestFile}},
		{"malformed manifest", func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(path, fit.ManifestFile), []byte("garbage\n"), 0o644)
		}, []string{"malformed", "line 1"}},
		{"stray file", func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(path, "extra.bin"), []byte("x"), 0o644)
		}, []string{"unexpected file extra.bin"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, _, path := trainedCheckpoint(t)
			c.damage(t, path)
			err := fit.VerifyCheckpoint(path)
			if err == nil {
				t.Fatal("damage not detected")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			m, _ := flowkit.NewModel(oneDFlow())
			if _, err := fit.LoadModel(m, dir); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadModel: %v", err)
			}
			if _, err := fit.LoadCheckpoint(model.NewStore(), dir); err == nil {
				t.Error("LoadCheckpoint accepted a damaged checkpoint")
			}
			// Resuming training from it fails too, instead of training from garbage.
			if _, err := fit.MLE(m, sampleMixture(bimodal, 100, 1), nil, fit.Config{Steps: 20, CheckpointDir: dir}); err == nil {
				t.Error("MLE resumed from a damaged checkpoint")
			}
		})
	}
}

// TestLoadIntoOtherArchitectureListsMismatches loads a checkpoint into flows that differ in a
// layer's size, in the number of layers and in dtype: each gives an *ArchitectureError listing
// every mismatched variable with both shapes.
func TestLoadIntoOtherArchitectureListsMismatches(t *testing.T) {
	dir, _, path := trainedCheckpoint(t)
	spline8 := "/flow/transform/01_Elementwise_RQSpline_K=8_B=4__/params"
	cases := []struct {
		name  string
		flow  *flowkit.Flow
		opts  []flowkit.ModelOption
		want  []string
		count int
	}{
		{"fewer spline bins", flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.NewChain(
			elementwise.New(transformer.NewAffine()),
			elementwise.New(transformer.NewRQSpline(8, 4)),
			elementwise.New(transformer.NewAffine()),
		)), nil, []string{
			"/flow/transform/01_Elementwise_RQSpline_K=16_B=4__/params: checkpoint Float32[1 47], model absent",
			spline8 + ": checkpoint absent, model Float32[1 23]",
		}, 2},
		{"extra layer", flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.NewChain(
			elementwise.New(transformer.NewAffine()),
			elementwise.New(transformer.NewRQSpline(16, 4)),
			elementwise.New(transformer.NewAffine()),
			elementwise.New(transformer.NewAffine()),
		)), nil, []string{"/flow/transform/03_Elementwise_Affine_bound=5__/params: checkpoint absent, model Float32[1 2]"}, 1},
		{"2D event", flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(
			elementwise.New(transformer.NewAffine()),
			elementwise.New(transformer.NewRQSpline(16, 4)),
			elementwise.New(transformer.NewAffine()),
		)), nil, []string{"00_Elementwise_Affine_bound=5__/params: checkpoint Float32[1 2], model Float32[2 2]"}, 3},
		{"float64 model", oneDFlow(), []flowkit.ModelOption{flowkit.WithDType(dtypes.Float64)},
			[]string{"checkpoint Float32[1 2], model Float64[1 2]"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := flowkit.NewModel(c.flow, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = fit.LoadModel(m, dir)
			var ae *fit.ArchitectureError
			if !errors.As(err, &ae) {
				t.Fatalf("want an *ArchitectureError, got %v", err)
			}
			if len(ae.Mismatches) != c.count || ae.Path != path {
				t.Errorf("%d mismatches in %s, want %d:\n%v", len(ae.Mismatches), ae.Path, c.count, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			// The model's store was not touched.
			if n := m.Store.NumVariables(); n > 1 {
				t.Errorf("the failed load left %d variables in the store", n)
			}
		})
	}
	// A store that already holds a variable of another shape is refused by LoadCheckpoint too.
	store := model.NewStore()
	if _, err := store.CreateVariable("/flow/transform/00_Elementwise_Affine_bound=5__/params",
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := fit.LoadCheckpoint(store, dir)
	if !strings.Contains(fmt.Sprint(err), "checkpoint Float32[1 2], model Float32[2 2]") {
		t.Fatalf("LoadCheckpoint into a store with another shape: %v", err)
	}
}

// TestSaveCheckpointReplacesPrunesAndCleans re-saves a step, prunes to keep, removes the
// leftovers of killed saves, and does not chain GoMLX loaders onto the store.
func TestSaveCheckpointReplacesPrunesAndCleans(t *testing.T) {
	dir := t.TempDir()
	m, _ := flowkit.NewModel(oneDFlow())
	if _, err := m.LogProb([][]float64{{0}}, nil); err != nil { // creates the variables
		t.Fatal(err)
	}
	for _, junk := range []string{".tmp-123", ".del-456"} {
		if err := os.MkdirAll(filepath.Join(dir, junk), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for step := 1; step <= 5; step++ {
		if err := fit.SaveCheckpoint(m.Store, dir, step, 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := fit.SaveCheckpoint(m.Store, dir, 5, 3); err != nil { // same step again
		t.Fatal(err)
	}
	if m.Store.Loader() != nil {
		t.Fatalf("SaveCheckpoint left a loader attached to the store: %v", m.Store.Loader())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "step-00000003 step-00000004 step-00000005" {
		t.Fatalf("folder holds %v", names)
	}
	for _, n := range names {
		if err := fit.VerifyCheckpoint(filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	store := model.NewStore()
	if _, err := fit.LoadCheckpoint(store, dir); err != nil {
		t.Fatal(err)
	}
	if store.Loader() != nil {
		t.Fatal("LoadCheckpoint left a loader attached")
	}
	m2, _ := flowkit.NewModel(oneDFlow(), flowkit.WithStore(store))
	a, _ := m.NLL([][]float64{{0.5}, {-1}}, nil)
	b, _ := m2.NLL([][]float64{{0.5}, {-1}}, nil)
	if math.Abs(a-b) > 0 {
		t.Fatalf("NLL %v after LoadCheckpoint, %v before", b, a)
	}
}
