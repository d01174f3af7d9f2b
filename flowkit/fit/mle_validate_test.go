package fit_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/ml/model"
)

// noPanic runs f and turns a panic into a test failure.
func noPanic(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panicked: %v", r)
		}
	}()
	return f()
}

// wantArgError checks that err is a *flowkit.ArgError for argument arg (a prefix) whose
// message names what was expected and what was given.
func wantArgError(t *testing.T, err error, arg string) {
	t.Helper()
	var ae *flowkit.ArgError
	if !errors.As(err, &ae) {
		t.Fatalf("want a *flowkit.ArgError for %s, got %T: %v", arg, err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(ae.Arg, arg) || !strings.Contains(msg, arg) {
		t.Errorf("argument %q (message %q), want %q named", ae.Arg, msg, arg)
	}
	if ae.Want == "" || ae.Got == "" || !strings.Contains(msg, ae.Want) || !strings.Contains(msg, ae.Got) {
		t.Errorf("message %q does not show want %q and got %q", msg, ae.Want, ae.Got)
	}
}

// TestMLERejectsBadInput tries every kind of bad setting and data on fit.MLE: each gives an
// ArgError naming the argument, what it should be and what it was, before any training.
func TestMLERejectsBadInput(t *testing.T) {
	m, err := flowkit.NewModel(oneDFlow())
	if err != nil {
		t.Fatal(err)
	}
	mc, err := flowkit.NewModel(oneDFlow(), flowkit.WithCond(2))
	if err != nil {
		t.Fatal(err)
	}
	bounded, err := flowkit.NewModel(flowkit.NewFlow(flowkit.NewUniform(0, 1, 1), elementwise.New(transformer.NewPiecewiseLinear(4))))
	if err != nil {
		t.Fatal(err)
	}
	good := [][]float64{{0.1}, {0.5}, {-1}}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		m     *flowkit.Model
		train any
		valid any
		cfg   fit.Config
		arg   string
	}{
		{"negative steps", m, good, nil, fit.Config{Steps: -1}, "Config.Steps"},
		{"negative batch", m, good, nil, fit.Config{BatchSize: -2}, "Config.BatchSize"},
		{"negative learning rate", m, good, nil, fit.Config{LearningRate: -1e-3}, "Config.LearningRate"},
		{"NaN learning rate", m, good, nil, fit.Config{LearningRate: math.NaN()}, "Config.LearningRate"},
		{"infinite learning rate", m, good, nil, fit.Config{LearningRate: math.Inf(1)}, "Config.LearningRate"},
		{"learning rate beyond float32", m, good, nil, fit.Config{LearningRate: 1e39}, "Config.LearningRate"},
		{"negative warm-up", m, good, nil, fit.Config{WarmupSteps: -5}, "Config.WarmupSteps"},
		{"unknown schedule", m, good, nil, fit.Config{Schedule: "linear"}, "Config.Schedule"},
		{"min LR fraction > 1", m, good, nil, fit.Config{MinLRFraction: 2}, "Config.MinLRFraction"},
		{"NaN min LR fraction", m, good, nil, fit.Config{MinLRFraction: math.NaN()}, "Config.MinLRFraction"},
		{"NaN clip norm", m, good, nil, fit.Config{ClipNorm: math.NaN()}, "Config.ClipNorm"},
		{"infinite clip norm", m, good, nil, fit.Config{ClipNorm: math.Inf(1)}, "Config.ClipNorm"},
		{"negative eval interval", m, good, nil, fit.Config{EvalEvery: -1}, "Config.EvalEvery"},
		{"negative patience", m, good, nil, fit.Config{Patience: -1}, "Config.Patience"},
		{"negative keep", m, good, nil, fit.Config{CheckpointKeep: -1}, "Config.CheckpointKeep"},
		{"negative duration", m, good, nil, fit.Config{MaxDuration: -time.Second}, "Config.MaxDuration"},
		{"checkpoint dir is a file", m, good, nil, fit.Config{CheckpointDir: file}, "Config.CheckpointDir"},
		{"nil model", nil, good, nil, fit.Config{}, "m"},
		{"nil data", m, nil, nil, fit.Config{}, "train"},
		{"empty data", m, [][]float64{}, nil, fit.Config{}, "train"},
		{"2D data for a 1D flow", m, [][]float64{{1, 2}}, nil, fit.Config{}, "train[0]"},
		{"ragged rows", m, [][]float64{{1}, {}}, nil, fit.Config{}, "train[1]"},
		{"NaN in data", m, [][]float64{{1}, {math.NaN()}}, nil, fit.Config{}, "train"},
		{"Inf in data", m, [][]float64{{math.Inf(-1)}}, nil, fit.Config{}, "train"},
		{"beyond float32", m, [][]float64{{1e300}}, nil, fit.Config{}, "train"},
		{"wrong data type", m, "data.csv", nil, fit.Config{}, "train"},
		{"out of the flow's domain", bounded, [][]float64{{0.5}, {1.2}}, nil, fit.Config{}, "train"},
		{"bad validation shape", m, good, [][]float64{{1, 2}}, fit.Config{}, "valid[0]"},
		{"NaN in validation", m, good, [][]float64{{math.NaN()}}, fit.Config{}, "valid"},
		{"validation cond without validation", m, good, nil, fit.Config{ValidCond: [][]float64{{1}}}, "Config.ValidCond"},
		{"cond for an unconditional model", m, good, nil, fit.Config{Cond: [][]float64{{1}, {2}, {3}}}, "Config.Cond"},
		{"missing cond", mc, good, nil, fit.Config{}, "Config.Cond"},
		{"cond rows", mc, good, nil, fit.Config{Cond: [][]float64{{1, 2}}}, "Config.Cond"},
		{"cond width", mc, good, nil, fit.Config{Cond: [][]float64{{1}, {2}, {3}}}, "Config.Cond[0]"},
		{"NaN in cond", mc, good, nil, fit.Config{Cond: [][]float64{{1, 2}, {3, math.NaN()}, {5, 6}}}, "Config.Cond"},
		{"missing validation cond", mc, good, good, fit.Config{Cond: [][]float64{{1, 2}, {3, 4}, {5, 6}}}, "Config.ValidCond"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := 0
			if c.m != nil {
				before = c.m.Store.NumVariables()
			}
			err := noPanic(t, func() error { _, err := fit.MLE(c.m, c.train, c.valid, c.cfg); return err })
			wantArgError(t, err, c.arg)
			if c.m != nil && c.m.Store.NumVariables() != before {
				t.Errorf("the rejected call created variables")
			}
		})
	}
}

// TestCheckpointEntryPointsRejectBadInput: SaveCheckpoint, LoadCheckpoint, LoadModel,
// VerifyCheckpoint and LatestCheckpoint give errors, not panics, for bad arguments.
func TestCheckpointEntryPointsRejectBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(tmp, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	m, _ := flowkit.NewModel(oneDFlow())
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"save nil store", func() error { return fit.SaveCheckpoint(nil, tmp, 1, 0) }, "store is nil"},
		{"save negative step", func() error { return fit.SaveCheckpoint(model.NewStore(), tmp, -1, 0) }, "step must be >= 0"},
		{"save into a file", func() error { return fit.SaveCheckpoint(model.NewStore(), file, 1, 0) }, "checkpoint dir"},
		{"load nil store", func() error { _, err := fit.LoadCheckpoint(nil, tmp); return err }, "no checkpoint"},
		{"load missing dir", func() error { _, err := fit.LoadCheckpoint(model.NewStore(), filepath.Join(tmp, "none")); return err }, "no checkpoint"},
		{"load empty dir", func() error { _, err := fit.LoadCheckpoint(model.NewStore(), empty); return err }, "no checkpoint in " + empty},
		{"load from a file", func() error { _, err := fit.LoadCheckpoint(model.NewStore(), file); return err }, "not a directory"},
		{"load path nil store", func() error { return fit.LoadCheckpointPath(nil, empty) }, "store is nil"},
		{"load path not a checkpoint", func() error { return fit.LoadCheckpointPath(model.NewStore(), empty) }, "cannot be verified"},
		{"model nil", func() error { _, err := fit.LoadModel(nil, tmp); return err }, "model is nil"},
		{"model empty dir", func() error { _, err := fit.LoadModel(m, empty); return err }, "no checkpoint in"},
		{"model missing dir", func() error { _, err := fit.LoadModel(m, filepath.Join(tmp, "none")); return err }, "no checkpoint in"},
		{"verify missing", func() error { return fit.VerifyCheckpoint(filepath.Join(tmp, "none")) }, "cannot be verified"},
		{"verify a file", func() error { return fit.VerifyCheckpoint(file) }, "cannot be verified"},
		{"variables of a non-checkpoint", func() error { _, err := fit.CheckpointVariables(empty); return err }, "want one GoMLX metadata file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := noPanic(t, c.run)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

// TestMaxDurationStopsTraining checks the wall-time limit used by long runs.
func TestMaxDurationStopsTraining(t *testing.T) {
	m, _ := flowkit.NewModel(oneDFlow())
	res, err := fit.MLE(m, sampleMixture(bimodal, 500, 1), nil, fit.Config{Steps: 1 << 30, MaxDuration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "time" || res.Steps <= 0 || res.Steps >= 1<<30 {
		t.Fatalf("stopped %q after %d steps", res.Stopped, res.Steps)
	}
	t.Logf("stopped after %d steps in %v", res.Steps, res.Elapsed)
}
