package autoregressive_test

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// randomModel returns a float64 model of flow whose variables are perturbed away from their
// identity initialisation.
func randomModel(t *testing.T, flow *flowkit.Flow, std float64) *flowkit.Model {
	t.Helper()
	m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64), flowkit.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dims()
	if _, err := m.LogProb(tensors.FromFlatDataAndDimensions(make([]float64, 2*d), 2, d), nil); err != nil {
		t.Fatal(err) // creates the variables
	}
	perturb(t, m.Store, std, 9)
	return m
}

// TestEq16_17SamplingMatchesDensity is the consistency test: 10,000 samples drawn by the
// sequential direction of a MAF (eq. 16.17, x_d = g⁻¹(z_d; φ(x_{<d})), D passes), with the
// log-density the sampling pass itself returns (SampleAndLogProb: log p(z) - log|det ∂x/∂z|), must
// get the same log-density from LogProb, which runs the parallel direction (eq. 16.16). For IAF the
// roles swap: one-pass sampling, sequential density. In float64 the two agree to 1e-4 (in fact
// to about 1e-10).
func TestEq16_17SamplingMatchesDensity(t *testing.T) {
	const D = 4
	for _, c := range []struct {
		name string
		flow *flowkit.Chain
		n    int
		std  float64
	}{
		{"MAF affine", autoregressive.MAF(D, 3, 16, 16), 10000, 0.3},
		{"IAF affine", autoregressive.IAF(D, 3, 16, 16), 10000, 0.3},
		{"NSF", autoregressive.NSF(D, 2, 16), 10000, 0.3},
		// NAF samples by bisection (35 steps per pass), so fewer samples; smaller perturbations
		// keep the DSF slopes in the range trained flows have (random ones can push preimages past
		// the bisection bound of 1e4).
		{"NAF", autoregressive.Config{Layers: 2, Hidden: []int{16}, Transformer: transformer.NewDSF(8)}.Build(D), 1000, 0.1},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := c.n
			m := randomModel(t, flowkit.NewFlow(flowkit.StandardNormal(D), c.flow), c.std)
			x, lpSample, err := m.Sample(n, nil)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := m.LogProb(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			worst, spread := 0.0, 0.0
			for i := range lp {
				worst = math.Max(worst, math.Abs(lp[i]-lpSample[i]))
				spread = math.Max(spread, math.Abs(lp[i]-lp[0]))
			}
			if worst > 1e-4 || math.IsNaN(worst) {
				t.Fatalf("LogProb of the samples differs from SampleAndLogProb by up to %.3g", worst)
			}
			if spread < 1 {
				t.Fatalf("log-densities vary by only %.3g: the flow is not exercised", spread)
			}
			t.Logf("max |LogProb - SampleAndLogProb| over %d samples: %.2g", n, worst)
		})
	}
}

// sequentialOutputs runs the sequential direction of a MAF layer and returns x and its log-det.
func sequentialOutputs(t *testing.T, store *model.Store, l *autoregressive.MAFLayer, z *tensors.Tensor) [][]float64 {
	return run(t, store, func(s *model.Scope, in []*Node) []*Node {
		x, ld := l.Forward(s, in[0], nil)
		return []*Node{x, ld}
	}, z)
}

// TestLoopMatchesUnrolled: the While-loop form of the sequential direction gives the unrolled
// form's x and log-det (same variables), including with the DSF transformer, whose bisection then
// runs unrolled inside the loop body.
func TestLoopMatchesUnrolled(t *testing.T) {
	const D = 6
	for _, tr := range []transformer.Transformer{transformer.NewAffine(), transformer.NewRQSpline(5, 3), transformer.NewDSF(4)} {
		t.Run(tr.Name(), func(t *testing.T) {
			store := model.NewStore()
			z := normal(16, D, 3)
			unrolled := autoregressive.NewMAFLayer(tr, 12)
			sequentialOutputs(t, store, unrolled, z)
			perturb(t, store, 0.3, 4)
			want := sequentialOutputs(t, store, unrolled, z)
			looped := autoregressive.NewMAFLayer(tr, 12).WithSampling(autoregressive.Loop)
			got := sequentialOutputs(t, store, looped, z)
			for i := range want {
				if d := maxAbsDiff(got[i], want[i]); d > 1e-9 {
					t.Fatalf("output %d of the loop differs from the unrolled passes by %.3g", i, d)
				}
			}
			// And it inverts the one-pass direction.
			back := run(t, store, func(s *model.Scope, in []*Node) []*Node {
				z, _ := looped.Inverse(s, in[0], nil)
				return []*Node{z}
			}, tensors.FromFlatDataAndDimensions(want[0], 16, D))[0]
			if d := maxAbsDiff(back, tensors.MustCopyFlatData[float64](z)); d > 1e-6 {
				t.Fatalf("round trip error %.3g", d)
			}
		})
	}
}

// TestFreshLayerIsIdentity: with the MADE's output layer at zero, a new affine or spline MAF
// layer maps z to itself with log-det 0 in both directions.
func TestFreshLayerIsIdentity(t *testing.T) {
	for _, tr := range []transformer.Transformer{transformer.NewAffine(), transformer.NewRQSpline(4, 3)} {
		l := autoregressive.NewMAFLayer(tr, 8)
		z := normal(5, 3, 1)
		out := run(t, model.NewStore(), func(s *model.Scope, in []*Node) []*Node {
			x, ld := l.Forward(s, in[0], nil)
			zz, ldi := l.Inverse(s, in[0], nil)
			return []*Node{x, ld, zz, ldi}
		}, z)
		zs := tensors.MustCopyFlatData[float64](z)
		if d := math.Max(maxAbsDiff(out[0], zs), maxAbsDiff(out[2], zs)); d > 1e-12 {
			t.Errorf("%s: fresh layer moves inputs by %.3g", tr.Name(), d)
		}
		for _, v := range append(out[1], out[3]...) {
			if math.Abs(v) > 1e-12 {
				t.Errorf("%s: fresh layer has log-det %g", tr.Name(), v)
			}
		}
	}
}

// TestIAFIsInvertedMAF: an IAF layer's generative direction is the MAF layer's normalizing
// direction with the same variables, and its log-dets are the MAF's (section 16.3.5).
func TestIAFIsInvertedMAF(t *testing.T) {
	store := model.NewStore()
	maf := autoregressive.NewMAFLayer(transformer.NewAffine(), 8)
	iaf := &autoregressive.IAFLayer{MAFLayer: *maf}
	z := normal(6, 3, 2)
	fn := func(s *model.Scope, in []*Node) []*Node {
		a, la := iaf.Forward(s, in[0], nil)
		b, lb := maf.Inverse(s, in[0], nil)
		c, lc := iaf.Inverse(s, in[0], nil)
		d, ld := maf.Forward(s, in[0], nil)
		return []*Node{a, b, la, lb, c, d, lc, ld}
	}
	run(t, store, fn, z)
	perturb(t, store, 0.4, 1)
	out := run(t, store, fn, z)
	for i := 0; i < len(out); i += 2 {
		if d := maxAbsDiff(out[i], out[i+1]); d != 0 {
			t.Errorf("IAF output %d differs from the MAF's by %g", i/2, d)
		}
	}
	if maxAbsDiff(out[0], tensors.MustCopyFlatData[float64](z)) < 1e-3 {
		t.Error("the perturbed layer is still the identity: the test is vacuous")
	}
}

// TestMAFRejectsBadInput: a rank-3 input is a graph-build error naming the expected shape.
func TestMAFRejectsBadInput(t *testing.T) {
	l := autoregressive.NewMAFLayer(nil, 4)
	e, err := model.NewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, x *Node) *Node {
		z, _ := l.Inverse(s, x, nil)
		return z
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Exec(tensors.FromFlatDataAndDimensions(make([]float64, 8), 2, 2, 2))
	if err == nil || !strings.Contains(err.Error(), "want [batch, D]") {
		t.Fatalf("got %v, want an error naming the expected shape [batch, D]", err)
	}
}

// TestEq16_17Passes: after pass k of the sequential direction, exactly the first k dimensions in
// the layer's order are final (figure 16.7b), and the last pass is Forward's output.
func TestEq16_17Passes(t *testing.T) {
	const D, N = 5, 8
	order := []int{2, 0, 4, 1, 3}
	l := autoregressive.NewMAFLayer(transformer.NewRQSpline(4, 3), 16).WithOrder(order)
	store := model.NewStore()
	fn := func(s *model.Scope, in []*Node) []*Node {
		x, _ := l.Forward(s, in[0], nil)
		return append(l.Passes(s, in[0], nil), x)
	}
	z := normal(N, D, 6)
	run(t, store, fn, z)
	perturb(t, store, 0.5, 7)
	out := run(t, store, fn, z)
	final := out[D]
	if d := maxAbsDiff(out[D-1], final); d != 0 {
		t.Fatalf("the last pass differs from Forward by %g", d)
	}
	for k := 1; k <= D; k++ {
		for dim := 0; dim < D; dim++ {
			diff := 0.0
			for n := 0; n < N; n++ {
				diff = math.Max(diff, math.Abs(out[k-1][n*D+dim]-final[n*D+dim]))
			}
			if exact := order[dim] < k; exact && diff != 0 {
				t.Errorf("after pass %d, dimension %d (order %d) is off by %g", k, dim, order[dim], diff)
			} else if !exact && diff == 0 {
				t.Errorf("after pass %d, dimension %d (order %d) is already final: the passes are not sequential", k, dim, order[dim])
			}
		}
	}
}
