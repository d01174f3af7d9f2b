package glow

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/gomlx/gomlx/core/tensors"
)

// benchTrainStep measures Train's step (forward, backward, clipping, Adam) on batches of a
// fresh dequantization, as images/s and steps/s. ActNorm is initialised first, so the graph is
// the steady-state one.
func benchTrainStep(b *testing.B, cfg Config, im *datasets.Images, batch int) {
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t := &trainer{m: m, cfg: TrainConfig{ClipNorm: 50, InitImages: 256, Seed: 1}, res: &TrainResult{}}
	if err := t.initActNorm(im); err != nil {
		b.Fatal(err)
	}
	if t.exec, err = t.buildStep(); err != nil {
		b.Fatal(err)
	}
	batches, err := datasets.NewImageBatches(im, batch, 3)
	if err != nil {
		b.Fatal(err)
	}
	lr := tensors.FromScalar(float32(1e-4))
	step := func() {
		pix, _ := batches.Next()
		out, err := t.exec.Exec(t.batchTensor(pix, batches.Dims()), lr)
		if err != nil {
			b.Fatal(err)
		}
		if scalar(out[2]) != 1 {
			b.Fatal("non-finite step")
		}
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	step() // compile
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(1/sec, "steps/s")
	b.ReportMetric(float64(batch)/sec, "images/s")
	// The process's CPU time per step does not depend on how busy the machine is.
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/step")
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainStepGlowMNIST: one training step of a 2-level, 4-step Glow with 64-channel
// conditioners on a batch of 64 MNIST images of 28×28 (the benchmark; the model
// cmd/glowtrain trains, with the logit pre-processing), with Glow's conditioner kernels (3-1-3)
// and with 5-1-1 (the same receptive field, less data movement).
func BenchmarkTrainStepGlowMNIST(b *testing.B) {
	if _, err := datasets.MNISTDir(); err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	im, err := datasets.LoadMNIST("train")
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range [][]int{{3, 1, 3}, {5, 1, 1}} {
		b.Run(fmt.Sprintf("kernels=%d-%d-%d", k[0], k[1], k[2]), func(b *testing.B) {
			benchTrainStep(b, Config{Event: []int{28, 28, 1}, Levels: 2, Steps: 4, Hidden: 64, Kernels: k, LogitAlpha: 1e-6}, im, 64)
		})
	}
}

// BenchmarkTrainStepGlow8x8: issue 12's configuration: Glow on 8×8 images (squeeze, 4 steps of
// ActNorm + LU 1×1 conv + affine coupling with a 32-channel CNN, split, squeeze, 4 steps),
// batch 512, with Glow's split prior and without its top prior (the listed structure). The pixels
// are random (the cost does not depend on them).
func BenchmarkTrainStepGlow8x8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	pix := make([]uint8, 4096*64)
	for i := range pix {
		pix[i] = uint8(r.IntN(256))
	}
	im, err := datasets.NewImages(4096, 8, 8, pix, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchTrainStep(b, Config{Event: []int{8, 8, 1}, Levels: 2, Steps: 4, Hidden: 32, NoTopPrior: true}, im, 512)
}
