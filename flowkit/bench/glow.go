package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit/glow"
)

func init() {
	Register(Config{
		Name: "glow8x8",
		Description: "Glow on 8x8x1 images: squeeze, 4 steps of ActNorm + LU 1x1 conv + affine coupling " +
			"(CNN with 32 channels), split, squeeze, 4 steps; batch 512 (glow.Train)",
		Batch: 512, LearningRate: 1e-3,
		Peer: 24, PeerText: "22-26",
		Measure: measureGlow8x8,
	})
}

// glow8x8Config is issue 12's Glow: 2 levels of 4 steps with 32-channel conditioners, Glow's
// split prior and no top prior (the listed structure).
func glow8x8Config() glow.Config {
	return glow.Config{Event: []int{8, 8, 1}, Levels: 2, Steps: 4, Hidden: 32, NoTopPrior: true}
}

// randomImages returns n random 8x8 images (the cost of a step does not depend on the pixels).
func randomImages(n int, seed uint64) (*datasets.Images, error) {
	r := rand.New(rand.NewPCG(seed, 1))
	pix := make([]uint8, n*64)
	for i := range pix {
		pix[i] = uint8(r.IntN(256))
	}
	return datasets.NewImages(n, 8, 8, pix, nil)
}

// measureGlow8x8 times glow.Train's step (one step alone, then 2*Steps steps with an evaluation
// in the middle; the second window's speed is reported) and the density and sampling throughput
// of the model (through its flowkit.Model, on dequantized pixels).
func measureGlow8x8(cfg Config, o Options) (Result, error) {
	r, err := newResult(cfg)
	if err != nil {
		return r, err
	}
	train, err := randomImages(8192, 1)
	if err != nil {
		return r, err
	}
	test, err := randomImages(o.Points, 2)
	if err != nil {
		return r, err
	}
	m, err := glow.New(glow8x8Config())
	if err != nil {
		return r, err
	}
	tc := glow.TrainConfig{BatchSize: cfg.Batch, LearningRate: cfg.LearningRate, WarmupSteps: 1,
		EvalImages: 512, Log: io.Discard, Seed: 1}
	tc.Steps, tc.EvalEvery = 1, 1
	start := time.Now()
	if _, err := glow.Train(m, train, test, tc); err != nil {
		return r, fmt.Errorf("bench %s: first step: %w", cfg.Name, err)
	}
	r.FirstStep = time.Since(start)
	tc.Steps, tc.EvalEvery = 1+2*o.Steps, o.Steps
	res, err := glow.Train(m, train, test, tc)
	if err != nil {
		return r, fmt.Errorf("bench %s: training: %w", cfg.Name, err)
	}
	if len(res.Curve) < 2 {
		return r, fmt.Errorf("bench %s: the trainer reported %d evaluations, want 2", cfg.Name, len(res.Curve))
	}
	r.StepsPerSec = res.Curve[len(res.Curve)-1].StepsPerS

	if err := measureThroughput(&r, m.Model, test.Dequantize(3).Rows(), o.Points); err != nil {
		return r, err
	}
	r.PeakRSS = PeakRSS()
	return r, nil
}
