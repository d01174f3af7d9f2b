package fit_test

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// deepAffineStack is depth × (elementwise affine, random permutation) on 2D: a deep float32
// stack whose log-determinants add up over 2·depth layers.
func deepAffineStack(depth int) *flowkit.Flow {
	var bs []flowkit.Bijector
	for i := 0; i < depth; i++ {
		bs = append(bs, elementwise.New(transformer.NewAffine()), flowkit.RandomPermute(2, uint64(i)))
	}
	return flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(bs...))
}

// deepStackRun trains deepAffineStack(depth) in float32 for steps on the 8-Gaussians toy with a
// learning rate ten times the default, and fails unless every loss, gradient and update
// stayed finite (no step skipped or stopped) and the NLL improved.
func deepStackRun(tb testing.TB, depth, steps int) {
	toy, err := datasets.Toy("8gaussians")
	if err != nil {
		tb.Fatal(err)
	}
	train := toy.Sample(4096, 1)
	m, err := flowkit.NewModel(deepAffineStack(depth))
	if err != nil {
		tb.Fatal(err)
	}
	before, err := m.NLL(train, nil)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: steps, BatchSize: 256, LearningRate: 1e-2, EvalEvery: max(1, steps/10)})
	if err != nil {
		tb.Fatal(err)
	}
	after, err := m.NLL(train, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%d affine+permute layers, float32, %d steps in %v: NLL %.4f -> %.4f, skipped %d",
		depth, steps, time.Since(start).Round(time.Millisecond), before, after, res.Skipped)
	if res.Steps != steps || res.Skipped != 0 || math.IsNaN(after) || math.IsInf(after, 0) {
		tb.Fatalf("steps %d, skipped %d, final NLL %v", res.Steps, res.Skipped, after)
	}
	for _, p := range res.History {
		if math.IsNaN(p.TrainNLL) || math.IsNaN(p.GradNorm) || math.IsInf(p.GradNorm, 0) {
			tb.Fatalf("non-finite history at step %d: %+v", p.Step, p)
		}
	}
	if after >= before-0.5 {
		tb.Fatalf("NLL did not improve: %.4f -> %.4f", before, after)
	}
}

// TestDeepFloat32StackTrainsWithoutNaN is the quick version of the deep-stack stability run:
// 32 affine+permute layers (64 bijectors) for 200 steps. The full 2,000-step run takes about
// 15-30 s on two cores, too long for the unit tests: it is BenchmarkDeepStack2000Steps.
func TestDeepFloat32StackTrainsWithoutNaN(t *testing.T) {
	deepStackRun(t, 32, 200)
}

// BenchmarkDeepStack2000Steps is the full stability run: 32 affine+permute layers in float32
// trained for 2,000 steps with no non-finite step (one op = one run). FLOWKIT_DEPTH overrides
// the depth:
//
//	go test -run '^$' -bench DeepStack -benchtime 1x -v ./flowkit/fit/
func BenchmarkDeepStack2000Steps(b *testing.B) {
	depth := 32
	if s := os.Getenv("FLOWKIT_DEPTH"); s != "" {
		if _, err := fmt.Sscan(s, &depth); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		deepStackRun(b, depth, 2000)
	}
}
