package fit

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Checkpoints are GoMLX checkpoints (its JSON + binary format, loadable by its checkpoint
// package) plus a SHA-256 manifest, each written whole into a temporary folder, flushed to
// disk, and then renamed into place, so a crash or kill at any moment of a save leaves the
// previous checkpoints complete and never a half-written latest one:
//
//	dir/step-00001200/checkpoint-….json   GoMLX's metadata
//	dir/step-00001200/checkpoint-….bin    the variables
//	dir/step-00001200/MANIFEST.sha256     "<sha256>  <file>" per file (sha256sum -c format)
//	dir/.tmp-*/  dir/.del-*/              abandoned saves and deletions, ignored and cleaned up
//
// Loading verifies the manifest (VerifyCheckpoint) and, for LoadModel, that the checkpoint's
// variables match the model's (names, shapes, dtypes), listing every mismatch.
const ckptPrefix = "step-"

// ManifestFile is the name of the checksum manifest inside each checkpoint folder.
const ManifestFile = "MANIFEST.sha256"

// SaveCheckpoint writes store's variables and parameters as the checkpoint for step in dir,
// atomically and verified by a manifest, and keeps at most keep checkpoints (0 keeps all; the
// oldest are removed only after the new one is in place).
func SaveCheckpoint(store *model.Store, dir string, step int, keep int) error {
	if store == nil {
		return fmt.Errorf("fit: SaveCheckpoint: store is nil")
	}
	if step < 0 {
		return fmt.Errorf("fit: SaveCheckpoint: step must be >= 0, got %d", step)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fit: checkpoint dir: %w", err)
	}
	cleanAbandoned(dir)
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return fmt.Errorf("fit: checkpoint temp dir: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := saveInto(store, tmp); err != nil {
		return err
	}
	if err := writeManifest(tmp); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	final := filepath.Join(dir, fmt.Sprintf("%s%08d", ckptPrefix, step))
	// A re-save of the same step replaces it: move the old one aside first, so the folder
	// named final is at every instant either the old complete checkpoint or the new one.
	var old string
	if _, err := os.Stat(final); err == nil {
		if old, err = moveAside(dir, final); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("fit: publishing checkpoint: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	if keep > 0 {
		list, _ := ListCheckpoints(dir)
		for len(list) > keep {
			if aside, err := moveAside(dir, list[0]); err == nil {
				_ = os.RemoveAll(aside)
			}
			list = list[1:]
		}
	}
	return nil
}

// saveInto writes a GoMLX checkpoint of store into the empty folder tmp. GoMLX attaches the
// handler as the store's variable loader; the previous loader is restored afterwards so that
// repeated saves do not pile up handlers (a leak in long runs).
func saveInto(store *model.Store, tmp string) error {
	prev := store.Loader()
	defer store.SetLoader(prev)
	h, err := checkpoint.Build(store).Dir(tmp).Immediate().Done()
	if err != nil {
		return fmt.Errorf("fit: checkpoint: %w", err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("fit: saving checkpoint: %w", err)
	}
	return nil
}

// moveAside renames path to a fresh ".del-*" name in dir (an atomic step, so an interrupted
// deletion never leaves a partial checkpoint under a checkpoint's name) and returns it.
func moveAside(dir, path string) (string, error) {
	aside, err := os.MkdirTemp(dir, ".del-")
	if err != nil {
		return "", fmt.Errorf("fit: checkpoint: %w", err)
	}
	if err := os.Remove(aside); err != nil {
		return "", fmt.Errorf("fit: checkpoint: %w", err)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("fit: checkpoint: moving %s aside: %w", path, err)
	}
	return aside, nil
}

// cleanAbandoned removes the temporary folders of saves and deletions a killed process left.
func cleanAbandoned(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".del-") {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// writeManifest writes ManifestFile into dir: the SHA-256 of every other file, sorted by name.
func writeManifest(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var sb strings.Builder
	for _, e := range entries {
		if e.IsDir() || e.Name() == ManifestFile {
			continue
		}
		sum, err := fileSHA256(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("fit: checkpoint manifest: %w", err)
		}
		fmt.Fprintf(&sb, "%s  %s\n", sum, e.Name())
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("fit: checkpoint manifest: %w", err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyCheckpoint checks the checkpoint folder path against its manifest: every listed file
// is present with the recorded SHA-256, no other file is there, and the manifest lists GoMLX's
// metadata (.json) and data (.bin) files. The error names the file and what is wrong.
func VerifyCheckpoint(path string) error {
	mf, err := os.Open(filepath.Join(path, ManifestFile))
	if err != nil {
		return fmt.Errorf("fit: checkpoint %s cannot be verified: no readable %s (%v); it was not written by "+
			"fit.SaveCheckpoint or is damaged", path, ManifestFile, err)
	}
	defer mf.Close()
	listed := map[string]string{}
	sc := bufio.NewScanner(mf)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		sum, name, ok := strings.Cut(text, "  ")
		if !ok || len(sum) != 64 || name == "" || strings.ContainsAny(name, "/\\") {
			return fmt.Errorf("fit: checkpoint %s: %s line %d is malformed: %q", path, ManifestFile, line, text)
		}
		listed[name] = sum
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("fit: checkpoint %s: reading %s: %w", path, ManifestFile, err)
	}
	var hasJSON, hasBin bool
	for name, want := range listed {
		got, err := fileSHA256(filepath.Join(path, name))
		if err != nil {
			return fmt.Errorf("fit: checkpoint %s: file %s listed in %s is missing or unreadable: %v", path, name, ManifestFile, err)
		}
		if got != want {
			return fmt.Errorf("fit: checkpoint %s: file %s is corrupt: SHA-256 %s, manifest says %s", path, name, got, want)
		}
		hasJSON = hasJSON || strings.HasSuffix(name, checkpoint.JsonNameSuffix)
		hasBin = hasBin || strings.HasSuffix(name, checkpoint.BinDataSuffix)
	}
	if !hasJSON || !hasBin {
		return fmt.Errorf("fit: checkpoint %s: %s lists %d files, want GoMLX's .json and .bin", path, ManifestFile, len(listed))
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := listed[e.Name()]; !ok && e.Name() != ManifestFile {
			return fmt.Errorf("fit: checkpoint %s: unexpected file %s not in %s", path, e.Name(), ManifestFile)
		}
	}
	return nil
}

// syncDir flushes a folder's files and entries to disk.
func syncDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("fit: syncing checkpoint: %w", err)
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ListCheckpoints returns the complete checkpoints in dir, oldest first.
func ListCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ckptPrefix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// LatestCheckpoint returns the newest complete checkpoint in dir and its step, or "" when there
// is none.
func LatestCheckpoint(dir string) (path string, step int, err error) {
	list, err := ListCheckpoints(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return "", 0, nil
		}
		return "", 0, err
	}
	if len(list) == 0 {
		return "", 0, nil
	}
	path = list[len(list)-1]
	_, err = fmt.Sscanf(filepath.Base(path), ckptPrefix+"%d", &step)
	return path, step, err
}

// CheckpointVariables returns the variables (path → shape and dtype) recorded in the metadata of
// the checkpoint folder path.
func CheckpointVariables(path string) (map[string]shapes.Shape, error) {
	matches, _ := filepath.Glob(filepath.Join(path, "*"+checkpoint.JsonNameSuffix))
	if len(matches) != 1 {
		return nil, fmt.Errorf("fit: checkpoint %s: want one GoMLX metadata file (*%s), found %d", path, checkpoint.JsonNameSuffix, len(matches))
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		return nil, fmt.Errorf("fit: checkpoint %s: %w", path, err)
	}
	var meta struct {
		Variables []struct {
			ParameterName string
			Dimensions    []int
			DType         dtypes.DType
		}
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("fit: checkpoint %s: decoding %s: %w", path, filepath.Base(matches[0]), err)
	}
	out := map[string]shapes.Shape{}
	for _, v := range meta.Variables {
		out[strings.TrimPrefix(v.ParameterName, "var:")] = shapes.Make(v.DType, v.Dimensions...)
	}
	return out, nil
}

// Mismatch is one variable that differs between a checkpoint and a model.
type Mismatch struct {
	Variable string
	// Checkpoint and Model describe the variable on each side ("Float32[2 3]"), or "absent".
	Checkpoint, Model string
}

// ArchitectureError reports a checkpoint that does not fit the model it is loaded into, listing
// every mismatched variable.
type ArchitectureError struct {
	Path       string
	Mismatches []Mismatch
}

// Error implements error.
func (e *ArchitectureError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "fit: checkpoint %s does not fit this model's architecture: %d mismatched variables:", e.Path, len(e.Mismatches))
	for _, m := range e.Mismatches {
		fmt.Fprintf(&sb, "\n  %s: checkpoint %s, model %s", m.Variable, m.Checkpoint, m.Model)
	}
	return sb.String()
}

func shapeString(s shapes.Shape) string { return fmt.Sprintf("%s%v", s.DType, s.Dimensions) }

// compareVariables lists the differences between a checkpoint's variables and the expected
// ones; with under set, only variables whose path starts with it are compared on both sides,
// otherwise only the variables present on both sides are.
func compareVariables(ck, want map[string]shapes.Shape, under string) []Mismatch {
	var out []Mismatch
	keys := map[string]bool{}
	for k := range ck {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		c, inC := ck[k]
		w, inW := want[k]
		switch {
		case inC && inW:
			if !c.Equal(w) {
				out = append(out, Mismatch{Variable: k, Checkpoint: shapeString(c), Model: shapeString(w)})
			}
		case under == "" || !strings.HasPrefix(k, under):
		case inC:
			out = append(out, Mismatch{Variable: k, Checkpoint: shapeString(c), Model: "absent"})
		default:
			out = append(out, Mismatch{Variable: k, Checkpoint: "absent", Model: shapeString(w)})
		}
	}
	return out
}

// storeShapes returns the shapes of the variables already in store.
func storeShapes(store *model.Store) map[string]shapes.Shape {
	out := map[string]shapes.Shape{}
	for v := range store.IterVariables() {
		out[v.Path()] = v.Shape()
	}
	return out
}

// LoadCheckpoint loads the newest checkpoint of dir into store, after verifying its manifest
// and that the variables the store already holds have the checkpoint's shapes (an
// *ArchitectureError lists those that do not). Variables not yet in the store are created.
// Use LoadModel to also check against a model's full set of variables.
func LoadCheckpoint(store *model.Store, dir string) (step int, err error) {
	path, step, err := LatestCheckpoint(dir)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, fmt.Errorf("fit: no checkpoint in %s", dir)
	}
	return step, LoadCheckpointPath(store, path)
}

// LoadCheckpointPath is LoadCheckpoint for one checkpoint folder (an element of
// ListCheckpoints), e.g. an older one.
func LoadCheckpointPath(store *model.Store, path string) error {
	if store == nil {
		return fmt.Errorf("fit: LoadCheckpoint: store is nil")
	}
	if err := VerifyCheckpoint(path); err != nil {
		return err
	}
	ck, err := CheckpointVariables(path)
	if err != nil {
		return err
	}
	if mm := compareVariables(ck, storeShapes(store), ""); len(mm) > 0 {
		return &ArchitectureError{Path: path, Mismatches: mm}
	}
	prev := store.Loader()
	defer store.SetLoader(prev)
	if _, err := checkpoint.Build(store).Dir(path).Immediate().Done(); err != nil {
		return fmt.Errorf("fit: loading checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadModel loads the newest checkpoint of dir into m's store after checking it: the manifest
// verifies, and the checkpoint holds exactly the flow's variables (under "/flow/") with the
// model's shapes and dtype. A checkpoint of another architecture gives an *ArchitectureError
// listing every mismatched variable (missing, extra, or of another shape). It returns the
// checkpoint's step.
func LoadModel(m *flowkit.Model, dir string) (step int, err error) {
	if m == nil || m.Store == nil {
		return 0, fmt.Errorf("fit: LoadModel: the model is nil or has no store")
	}
	path, step, err := LatestCheckpoint(dir)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, fmt.Errorf("fit: no checkpoint in %s", dir)
	}
	if err := VerifyCheckpoint(path); err != nil {
		return 0, err
	}
	ck, err := CheckpointVariables(path)
	if err != nil {
		return 0, err
	}
	want, err := m.VariableShapes()
	if err != nil {
		return 0, err
	}
	if mm := compareVariables(ck, want, "/flow/"); len(mm) > 0 {
		return 0, &ArchitectureError{Path: path, Mismatches: mm}
	}
	return step, LoadCheckpointPath(m.Store, path)
}
