package fit

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Checkpoints are GoMLX checkpoints (its JSON + binary format, loadable by its checkpoint
// package), each written whole into a temporary folder and then renamed into place, so a
// crash or kill during a save never leaves a half-written latest checkpoint:
//
//	dir/step-00001200/   complete checkpoints, newest = highest step
//	dir/.tmp-*/          abandoned partial saves, ignored and cleaned up
const ckptPrefix = "step-"

// SaveCheckpoint writes store's variables and parameters as the checkpoint for step in dir,
// atomically, and keeps at most keep checkpoints (0 keeps all).
func SaveCheckpoint(store *model.Store, dir string, step int, keep int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fit: checkpoint dir: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return fmt.Errorf("fit: checkpoint temp dir: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	h, err := checkpoint.Build(store).Dir(tmp).Immediate().Done()
	if err != nil {
		return fmt.Errorf("fit: checkpoint: %w", err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("fit: saving checkpoint: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	final := filepath.Join(dir, fmt.Sprintf("%s%08d", ckptPrefix, step))
	_ = os.RemoveAll(final) // a re-save of the same step replaces it
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("fit: publishing checkpoint: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if keep > 0 {
		list, _ := ListCheckpoints(dir)
		for len(list) > keep {
			_ = os.RemoveAll(list[0])
			list = list[1:]
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

// LoadCheckpoint loads the newest checkpoint of dir into store. Variables are matched by path
// when the model builds them; Verify reports any mismatch with the model's variables.
func LoadCheckpoint(store *model.Store, dir string) (step int, err error) {
	path, step, err := LatestCheckpoint(dir)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, fmt.Errorf("fit: no checkpoint in %s", dir)
	}
	if _, err := checkpoint.Build(store).Dir(path).Immediate().Done(); err != nil {
		return 0, fmt.Errorf("fit: loading checkpoint %s: %w", path, err)
	}
	return step, nil
}
