package residual_test

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/residual"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestForwardImplicitGradient: the generative direction's gradient with respect to the weights
// (the implicit-function gradient through the fixed-point iteration) matches central finite
// differences of the iteration's result.
func TestForwardImplicitGradient(t *testing.T) {
	const D = 3
	net := &residual.MLP{Hidden: []int{6}, SpectralNorm: residual.SpectralNorm{Coeff: 0.8}}
	b := &residual.IResNet{Net: net, FixedPoint: residual.FixedPoint{Tol: 1e-13}}
	m := newModel(t, b, D, dtypes.Float64, 9)
	z := randRows(5, D, 4, 1)
	if _, err := m.LogProb(z, nil); err != nil {
		t.Fatal(err)
	}
	perturb(t, m, 0.3, 3)
	zt, _ := flowkit.ToTensor("z", z, []int{D}, dtypes.Float64)
	const wPath = "/flow/transform/g/layer_0/weights"
	coef := []float64{0.7, -1.3, 0.4}
	loss := func(s *model.Scope, in []*Node) (*Node, *Node) {
		x, ld := b.Forward(flowkit.FlowScope(s).At("transform"), in[0], nil)
		c := Reshape(Const(in[0].Graph(), coef), 1, D)
		return Add(ReduceAllSum(Mul(x, c)), ReduceAllSum(ld)), s.Store().GetVariable(wPath).NodeValue(in[0].Graph())
	}
	out := execOn(t, m, func(s *model.Scope, in []*Node) []*Node {
		l, w := loss(s, in)
		return []*Node{l, Gradient(l, w)[0]}
	}, zt)
	grad := out[1]
	v := m.Store.GetVariable(wPath)
	w0 := tensors.MustCopyFlatData[float64](v.MustValue())
	dims := v.Shape().Dimensions
	value := func(w []float64) float64 {
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), w...), dims...)); err != nil {
			t.Fatal(err)
		}
		return execOn(t, m, func(s *model.Scope, in []*Node) []*Node {
			l, _ := loss(s, in)
			return []*Node{l}
		}, zt)[0][0]
	}
	const h = 1e-6
	worst := 0.0
	for i := range w0 {
		w := append([]float64(nil), w0...)
		w[i] += h
		p := value(w)
		w[i] -= 2 * h
		mv := value(w)
		fd := (p - mv) / (2 * h)
		worst = math.Max(worst, math.Abs(fd-grad[i]))
		if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("∂/∂W[%d]: implicit gradient %.9f, finite differences %.9f", i, grad[i], fd)
		}
	}
	t.Logf("largest |implicit gradient - finite differences| over %d weights: %.2g", len(w0), worst)
	value(w0)
}

// TestIResNetLearnsMoons trains a small stack with fit.MLE on two moons: the validation NLL
// drops well below the untrained model's, and sampling (the fixed-point direction) converges in
// every block.
func TestIResNetLearnsMoons(t *testing.T) {
	toy, err := datasets.Toy("moons")
	if err != nil {
		t.Fatal(err)
	}
	chain := residual.NewStack(3, func(int) flowkit.Bijector {
		return residual.NewIResNet(residual.NewMLP(32, 32), residual.Exact{})
	}, nil)
	m := newModel(t, chain, 2, dtypes.Float32, 1)
	train, valid := toy.Sample(8192, 1), toy.Sample(2048, 2)
	before, err := m.NLL(valid, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fit.MLE(m, train, valid, fit.Config{Steps: 100, BatchSize: 128, LearningRate: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := residual.RefreshSpectralNorms(m.Backend, m.Store, 100); err != nil {
		t.Fatal(err)
	}
	after, err := m.NLL(valid, nil)
	if err != nil {
		t.Fatal(err)
	}
	bayes, _ := toy.BayesNLL()
	t.Logf("moons: valid NLL %.3f before, %.3f after %d steps in %v (Bayes %.3f)", before, after, res.Steps, res.Elapsed, bayes)
	if after > before-0.4 {
		t.Errorf("valid NLL went from %.3f to %.3f: not learning", before, after)
	}
	_, _, stats, err := residual.Sample(m, 512, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if !st.Converged() {
			t.Errorf("%v", st)
		}
	}
	t.Logf("sampling: %d blocks, iterations %d, %d, %d", len(stats), stats[0].Iterations, stats[1].Iterations, stats[2].Iterations)
}

// TestBadConfigurationsAreClearErrors: misconfigured blocks fail at graph-build time with a
// message naming the problem (flowkit.Model turns the panic into an error).
func TestBadConfigurationsAreClearErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    flowkit.Bijector
		d    int
		want string
	}{
		{"coeff", residual.NewIResNet(&residual.MLP{Hidden: []int{4}, SpectralNorm: residual.SpectralNorm{Coeff: 1.2}}, nil), 2, "Coeff must be in (0, 1)"},
		{"conv on vectors", residual.NewIResNet(residual.NewConv(4), nil), 2, "not a batch of images"},
		{"no net", &residual.IResNet{}, 2, "Net (the residual branch g) is nil"},
		{"even kernel", residual.NewIResNet(&residual.Conv{Hidden: []int{2}, Kernels: []int{2, 3}}, nil), 0, "odd"},
	} {
		var m *flowkit.Model
		var err error
		if tc.d > 0 {
			m = newModel(t, tc.b, tc.d, dtypes.Float64, 1)
			_, err = m.LogProb(randRows(2, tc.d, 1, 1), nil)
		} else {
			m, err = flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(4, 4, 1), tc.b), flowkit.WithBackend(testBackend(t)))
			if err == nil {
				_, err = m.LogProb(tensors.FromShape(tensorsShape(2, 4, 4, 1)), nil)
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
