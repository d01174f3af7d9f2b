package residual_test

import (
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/residual"
)

// TestConvIResNetLearnsDigits trains the convolutional variant on MNIST digits shrunk to 7×7 with
// the Russian-roulette log-determinant (stochastic, Neumann-series gradient), then switches the
// same blocks to the exact log-determinant to measure the NLL before and after: it must drop.
// Sampling must converge in every block.
func TestConvIResNetLearnsDigits(t *testing.T) {
	im, err := datasets.LoadMNIST("test")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	small, err := im.Subset(512)
	if err != nil {
		t.Fatal(err)
	}
	small = small.Downscale2x().Downscale2x() // 7×7
	head, err := small.Subset(64)
	if err != nil {
		t.Fatal(err)
	}
	train, valid := small.Dequantize(1).Tensor(), head.Dequantize(2).Tensor()
	var blocks []*residual.IResNet
	chain := residual.NewStack(2, func(int) flowkit.Bijector {
		b := residual.NewIResNet(residual.NewConv(8), residual.RussianRoulette{})
		blocks = append(blocks, b)
		return b
	}, func(int) flowkit.Bijector { return linear.NewActNorm() })
	chain = flowkit.NewChain(append([]flowkit.Bijector{linear.NewActNorm()}, chain.Bijectors...)...)
	flow := flowkit.NewFlow(flowkit.StandardNormal(7, 7, 1), chain)
	m, err := flowkit.NewModel(flow, flowkit.WithSeed(1), flowkit.WithBackend(testBackend(t)))
	if err != nil {
		t.Fatal(err)
	}
	exactNLL := func() float64 {
		for _, b := range blocks {
			b.LogDet = residual.Exact{}
		}
		defer func() {
			for _, b := range blocks {
				b.LogDet = residual.RussianRoulette{}
			}
		}()
		em, err := flowkit.NewModel(flow, flowkit.WithStore(m.Store), flowkit.WithBackend(m.Backend))
		if err != nil {
			t.Fatal(err)
		}
		nll, err := em.NLL(valid, nil)
		if err != nil {
			t.Fatal(err)
		}
		return nll
	}
	before := exactNLL() // (also initialises the ActNorms on the validation images)
	t.Logf("exact NLL before training: %.2f", before)
	res, err := fit.MLE(m, train, nil, fit.Config{Steps: 15, BatchSize: 32, LearningRate: 5e-3, EvalEvery: 15})
	if err != nil {
		t.Fatal(err)
	}
	after := exactNLL()
	t.Logf("7×7 digits, 2 conv iResNet blocks trained with the Russian roulette: exact NLL %.2f -> %.2f nats (%d steps, %v)",
		before, after, res.Steps, res.Elapsed)
	if after > before-2 {
		t.Errorf("exact NLL went from %.2f to %.2f: not learning", before, after)
	}
	_, _, stats, err := residual.Sample(m, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if !st.Converged() {
			t.Errorf("%v", st)
		}
	}
}
