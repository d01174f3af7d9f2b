package glow

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
)

// ConfigFile is the name of the model configuration saved next to the checkpoints.
const ConfigFile = "config.json"

// CurveFile is the conventional name of the training curve in a checkpoint folder.
const CurveFile = "curve.csv"

// SaveConfig writes cfg (with its defaults filled in) as dir/config.json, creating dir. If the
// file exists with a different configuration it returns an error instead of overwriting it:
// the checkpoints in dir belong to that architecture.
func SaveConfig(dir string, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if old, err := LoadConfig(dir); err == nil {
		if !reflect.DeepEqual(old, cfg) {
			return fmt.Errorf("glow: %s holds checkpoints of another model (%+v), not %+v: use another folder or remove it",
				dir, old, cfg)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ConfigFile+".tmp")
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ConfigFile))
}

// LoadConfig reads dir/config.json.
func LoadConfig(dir string) (Config, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return Config{}, fmt.Errorf("glow: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return Config{}, fmt.Errorf("glow: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	return cfg.withDefaults()
}

// Load rebuilds the model saved in dir (config.json and the newest checkpoint, as written by
// Train with CheckpointDir and by cmd/glowtrain) and returns it with the checkpoint's step.
func Load(dir string, opts ...flowkit.ModelOption) (*Model, int, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, 0, err
	}
	m, err := New(cfg, opts...)
	if err != nil {
		return nil, 0, err
	}
	step, err := fit.LoadModel(m.Model, dir)
	if err != nil {
		return nil, 0, err
	}
	return m, step, nil
}
