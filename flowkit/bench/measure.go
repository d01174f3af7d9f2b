package bench

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/fit"
)

// Options says how much to measure.
type Options struct {
	// Steps timed for the training speed (default 200), after one untimed step that builds and
	// compiles the graph.
	Steps int
	// QualitySteps, when positive, also trains a fresh model for that many steps (issue 12 uses
	// 2,000) and reports its test NLL.
	QualitySteps int
	// Points for the density and sampling throughput (default 10,000).
	Points int
}

// Result holds one configuration's figures. Rates are per second of wall time.
type Result struct {
	Name, Description string
	Backend, GoMLX    string
	GoVersion         string
	CPUs              int
	// FirstStep is the wall time of the first training step: graph building, compilation and
	// one step.
	FirstStep time.Duration
	// StepsPerSec is the training speed after the first step, through fit.MLE.
	StepsPerSec float64
	// DensityPerSec and SamplesPerSec are Model.LogProb and Model.Sample throughput on Points
	// points (after a first call that compiles).
	DensityPerSec, SamplesPerSec float64
	// TestNLL after QualitySteps steps (when QualitySteps > 0), nats per example.
	TestNLL      float64
	QualitySteps int
	// PeakRSS is the process's peak resident memory when the measurement ended, bytes.
	PeakRSS int64
	// Peer figures from Config, for the table.
	Peer, PeerDensity, PeerNLL float64
	PeerText                   string
	When                       time.Time
}

// pinnedGoMLX is what go.mod requires (TestPinnedGoMLXIsGoMod keeps the two equal): the answer
// of GoMLXVersion in builds without dependency information, such as test binaries.
const pinnedGoMLX = "v0.28.6 (compute v0.1.5)"

// GoMLXVersion returns the versions of GoMLX and of its compute module this program was built
// with, e.g. "v0.28.6 (compute v0.1.5)": from the build information where the build carries it
// (go run, go build), else the versions go.mod pins.
func GoMLXVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return pinnedGoMLX
	}
	version := func(path string) string {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				return d.Version
			}
		}
		return ""
	}
	g, c := version("github.com/gomlx/gomlx"), version("github.com/gomlx/compute")
	if g == "" || c == "" {
		return pinnedGoMLX
	}
	return g + " (compute " + c + ")"
}

// Measure runs cfg's measurements.
func Measure(cfg Config, o Options) (Result, error) {
	if o.Steps <= 0 {
		o.Steps = 200
	}
	if o.Points <= 0 {
		o.Points = 10000
	}
	if cfg.Measure != nil {
		return cfg.Measure(cfg, o)
	}
	r, err := newResult(cfg)
	if err != nil {
		return r, err
	}
	train, test := cfg.Data(20000, o.Points)

	// Speed: one step alone (build + compile + step); then a run of 2*Steps steps with an
	// evaluation in the middle: fit reports the speed of each window between evaluations, and
	// the second window is Steps steps of a compiled graph, host loop included.
	m, err := flowkit.NewModel(cfg.Flow())
	if err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := fit.MLE(m, train, nil, fit.Config{Steps: 1, BatchSize: cfg.Batch,
		LearningRate: cfg.LearningRate, Seed: 1}); err != nil {
		return r, fmt.Errorf("bench %s: first step: %w", cfg.Name, err)
	}
	r.FirstStep = time.Since(start)
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: 2 * o.Steps, BatchSize: cfg.Batch,
		LearningRate: cfg.LearningRate, EvalEvery: o.Steps, Seed: 1})
	if err != nil {
		return r, fmt.Errorf("bench %s: training: %w", cfg.Name, err)
	}
	if len(res.History) < 2 {
		return r, fmt.Errorf("bench %s: the trainer reported %d evaluations, want 2", cfg.Name, len(res.History))
	}
	r.StepsPerSec = res.History[1].StepsPerS

	if err := measureThroughput(&r, m, test, o.Points); err != nil {
		return r, err
	}

	if o.QualitySteps > 0 {
		q, err := flowkit.NewModel(cfg.Flow())
		if err != nil {
			return r, err
		}
		if _, err := fit.MLE(q, train, nil, fit.Config{Steps: o.QualitySteps, BatchSize: cfg.Batch,
			LearningRate: cfg.LearningRate, EvalEvery: o.QualitySteps, Seed: 1}); err != nil {
			return r, fmt.Errorf("bench %s: quality run: %w", cfg.Name, err)
		}
		if r.TestNLL, err = q.NLL(test, nil); err != nil {
			return r, err
		}
		r.QualitySteps = o.QualitySteps
	}
	r.PeakRSS = PeakRSS()
	return r, nil
}

// newResult starts cfg's Result: names, versions, machine and the peers' figures.
func newResult(cfg Config) (Result, error) {
	b, err := backend.Shared()
	if err != nil {
		return Result{}, err
	}
	return Result{
		Name: cfg.Name, Description: cfg.Description, Backend: backend.Name(b), GoMLX: GoMLXVersion(),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Peer: cfg.Peer, PeerDensity: cfg.PeerDensity, PeerNLL: cfg.PeerNLL, PeerText: cfg.PeerText,
		When: time.Now().UTC(),
	}, nil
}

// measureThroughput sets r's density throughput (m.LogProb on x) and sampling throughput
// (m.Sample of points points), each timed after a first call that compiles its graph.
func measureThroughput(r *Result, m *flowkit.Model, x [][]float64, points int) error {
	if _, err := m.LogProb(x, nil); err != nil {
		return fmt.Errorf("bench %s: density: %w", r.Name, err)
	}
	start := time.Now()
	if _, err := m.LogProb(x, nil); err != nil {
		return err
	}
	r.DensityPerSec = float64(len(x)) / time.Since(start).Seconds()
	if _, _, err := m.Sample(points, nil); err != nil {
		return fmt.Errorf("bench %s: sampling: %w", r.Name, err)
	}
	start = time.Now()
	if _, _, err := m.Sample(points, nil); err != nil {
		return err
	}
	r.SamplesPerSec = float64(points) / time.Since(start).Seconds()
	return nil
}
