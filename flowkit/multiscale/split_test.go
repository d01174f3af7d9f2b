package multiscale

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// fixedPrior is a conditional prior with a known formula: for factored-out channel i,
//
//	μ_i = 0.7·h[..., 0] + 0.1·i,   log σ_i = 0.3·h[..., last] - 0.2,
//
// where h is the continuing half. It has no variables.
type fixedPrior struct{}

func (fixedPrior) Apply(_ *model.Scope, h, _ *graph.Node, out int) *graph.Node {
	c := h.Shape().Dimensions[3]
	first := graph.SliceAxis(h, -1, graph.AxisRange(0, 1))
	last := graph.SliceAxis(h, -1, graph.AxisRange(c-1, c))
	var parts []*graph.Node
	for i := 0; i < out/2; i++ {
		parts = append(parts, graph.AddScalar(graph.MulScalar(first, 0.7), 0.1*float64(i)),
			graph.AddScalar(graph.MulScalar(last, 0.3), -0.2))
	}
	return graph.Concatenate(parts, -1)
}

func fixedPriorParams(h []float64, i int) (mu, logSigma float64) {
	return 0.7*h[0] + 0.1*float64(i), 0.3*h[len(h)-1] - 0.2
}

func logNormal(x, mu, logSigma float64) float64 {
	d := (x - mu) / math.Exp(logSigma)
	return -0.5*d*d - logSigma - 0.5*math.Log(2*math.Pi)
}

// TestSplitPriorIsConditionalGaussian: a flow of a standard normal base and a Split with a
// conditional prior gives log p(x) = Σ log N(x₂; 0, 1) + Σ log N(x₁; μ(x₂), σ(x₂)²), computed
// here by hand: the prior's log-density is the standard normal's plus the bijector's log-det,
// exactly (the design of the package documentation).
func TestSplitPriorIsConditionalGaussian(t *testing.T) {
	const B, H, W, C = 3, 2, 3, 4
	k := C / 2
	split := &Split{Prior: fixedPrior{}, LogScaleBound: -1}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(H, W, C), split), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	x := randn(B*H*W*C, 3)
	lp, err := m.LogProb(tensor64(x, B, H, W, C), nil)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < B; b++ {
		want := 0.0
		for p := 0; p < H*W; p++ {
			px := x[(b*H*W+p)*C : (b*H*W+p+1)*C]
			x1, x2 := px[:k], px[k:]
			for _, v := range x2 {
				want += logNormal(v, 0, 0)
			}
			for i, v := range x1 {
				mu, ls := fixedPriorParams(x2, i)
				want += logNormal(v, mu, ls)
			}
		}
		if d := math.Abs(lp[b] - want); d > 1e-10 {
			t.Errorf("example %d: log p(x) = %.12g, conditional Gaussian by hand %.12g (diff %.3g)", b, lp[b], want, d)
		}
	}
}

// TestSplitTemperatureScalesPriorDeviation: the generative direction gives x₁ = μ(x₂) + σ(x₂)·z₁,
// so scaling the latent by T (temperature sampling) scales x₁'s deviation from the prior mean
// by T: Glow's tempered split prior.
func TestSplitTemperatureScalesPriorDeviation(t *testing.T) {
	const B, H, W, C = 2, 2, 2, 4
	k := C / 2
	split := &Split{Prior: fixedPrior{}, LogScaleBound: -1}
	z := randn(B*H*W*C, 4)
	const T = 0.5
	out := run(t, nil, func(s *model.Scope, in []*graph.Node) []*graph.Node {
		x1, _ := split.Forward(s, in[0], nil)
		xT, _ := split.Forward(s, graph.MulScalar(in[0], T), nil)
		return []*graph.Node{x1, xT}
	}, tensor64(z, B, H, W, C))
	xT := flowkit.Float64s(out[1])
	if d := maxAbsDiff(flowkit.Float64s(out[0]), xT); d < 0.1 {
		t.Fatalf("T = %g barely changes the output (%.3g)", T, d)
	}
	for p := 0; p < B*H*W; p++ {
		b := xT[p*C : (p+1)*C]
		for i := 0; i < k; i++ {
			muB, lsB := fixedPriorParams(b[k:], i)
			want := T * z[p*C+i] * math.Exp(lsB)
			if d := math.Abs((b[i] - muB) - want); d > 1e-12 {
				t.Fatalf("position %d channel %d: tempered deviation %.6g, want T·σ·z = %.6g", p, i, b[i]-muB, want)
			}
		}
	}
}

// TestSplitHarness runs the verification harness on a Split with a learned prior (a CNN,
// perturbed away from zero by the harness) and a 1×1 convolution as the inner flow, and on a
// Split without a prior.
func TestSplitHarness(t *testing.T) {
	for name, b := range map[string]flowkit.Bijector{
		"prior+inner": &Split{Prior: nn.CNN{Hidden: []int{4}, ZeroLast: true}, Inner: linear.NewConv1x1()},
		"no prior":    NewSplit(&linear.ActNorm{NoDataInit: true}, false),
		"default":     NewSplit(nil, true),
	} {
		r, err := check.Bijector(b, check.Options{Event: []int{2, 2, 4}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, r)
		}
	}
}

// TestSplitOneChannel: a single channel cannot be split; the error says to squeeze first.
func TestSplitOneChannel(t *testing.T) {
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2, 2, 1), NewSplit(nil, true)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.LogProb([][]float64{make([]float64, 4)}, nil)
	if err == nil || !containsAll(err.Error(), "1 channel", "squeeze") {
		t.Fatalf("error %v, want one saying a 1-channel image cannot be split", err)
	}
}
