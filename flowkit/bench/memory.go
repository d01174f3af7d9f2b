package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/fit"
)

// MemoryResult is the peak memory of training one RealNVP stack (issue 12's constant-memory
// comparison): Depth affine couplings with MLP 2x64 conditioners on 2-D moons.
type MemoryResult struct {
	Depth, Batch, Steps int
	// Recompute is fit.Config.Recompute: layer inputs recomputed by inversion in the backward
	// pass instead of being stored.
	Recompute bool
	// PeakRSS is the process's peak resident memory after training, bytes. Measure one
	// configuration per process (cmd/flowbench -memory does) so it is this run's own.
	PeakRSS int64
	// CompiledRSS is the resident memory after the first step (graph built and compiled, one
	// step run): the part of PeakRSS that the graph itself takes grows with depth either way.
	CompiledRSS int64
	// StepsPerSec is the training speed over the run (compilation excluded).
	StepsPerSec float64
}

// MeasureMemory trains RealNVP(2, depth, 64, 64) for steps steps of batch rows with or without
// recomputation and reports the process's peak RSS.
func MeasureMemory(depth, batch, steps int, recompute bool) (MemoryResult, error) {
	if depth < 1 || batch < 1 || steps < 1 {
		return MemoryResult{}, fmt.Errorf("bench.MeasureMemory: depth %d, batch %d and steps %d must be positive", depth, batch, steps)
	}
	train, _ := moons(max(batch, 4096), 1)
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), coupling.RealNVP(2, depth, 64, 64)))
	if err != nil {
		return MemoryResult{}, err
	}
	cfg := fit.Config{Steps: 1, BatchSize: batch, LearningRate: 1e-4, Recompute: recompute, EvalEvery: 1}
	if _, err := fit.MLE(m, train, nil, cfg); err != nil { // builds and compiles the step
		return MemoryResult{}, err
	}
	compiled := CurrentRSS()
	cfg.Steps, cfg.EvalEvery = steps, steps
	start := time.Now()
	if _, err := fit.MLE(m, train, nil, cfg); err != nil {
		return MemoryResult{}, err
	}
	return MemoryResult{Depth: depth, Batch: batch, Steps: steps, Recompute: recompute,
		PeakRSS: PeakRSS(), CompiledRSS: compiled, StepsPerSec: float64(steps) / time.Since(start).Seconds()}, nil
}

// MemoryMarkdown formats memory results as a Markdown table, with each row's peak RSS relative
// to the shallowest stack trained the same way (same batch and Recompute setting).
func MemoryMarkdown(rs []MemoryResult) string {
	var sb strings.Builder
	sb.WriteString("| couplings | batch | recompute | RSS after first step | peak RSS | vs shallowest | steps/s |\n|---:|---:|:---|---:|---:|---:|---:|\n")
	for _, r := range rs {
		base := r
		for _, o := range rs {
			if o.Batch == r.Batch && o.Recompute == r.Recompute && o.Depth < base.Depth {
				base = o
			}
		}
		fmt.Fprintf(&sb, "| %d | %d | %v | %s | %s | %.2fx (vs %d) | %.1f |\n", r.Depth, r.Batch, r.Recompute,
			MiB(r.CompiledRSS), MiB(r.PeakRSS), float64(r.PeakRSS)/float64(base.PeakRSS), base.Depth, r.StepsPerSec)
	}
	return sb.String()
}
