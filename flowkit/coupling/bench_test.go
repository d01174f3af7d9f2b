package coupling_test

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// trainStep is one maximum-likelihood training step built the way fit.MLE built it when this
// benchmark was written (Adam, gradient clipping by global norm, one global non-finite guard),
// marked as a training graph (model.Store.SetTraining), with a host loop that samples a batch
// from the data and feeds it in, as fit's loop does: the steps/s it measures include everything
// a training run pays per step except the periodic evaluation. fit.MLE itself now also checks
// every gradient and every updated variable for finiteness (more ops per step):
// BenchmarkTrainRealNVPWithFit measures it.
type trainStep struct {
	m     *flowkit.Model
	exec  *model.Exec
	data  []float64
	n, d  int
	batch int
	rng   *rand.Rand
	buf   []float32
}

func newTrainStep(tb testing.TB, flow *flowkit.Flow, data [][]float64, batch int) *trainStep {
	tb.Helper()
	m, err := flowkit.NewModel(flow)
	if err != nil {
		tb.Fatal(err)
	}
	opt := optimizer.Adam().Done().(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	exec, err := model.NewExec(m.Backend, m.Store, func(s *model.Scope, x, lr *Node) []*Node {
		g := x.Graph()
		s.Store().SetTraining(g, true)
		loss := Neg(ReduceAllMean(m.Flow.LogProb(flowkit.FlowScope(s), x, nil)))
		grads := s.BuildTrainableVariablesGradientsGraph(loss)
		sq := ScalarZero(g, loss.DType())
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		norm := Sqrt(sq)
		finite := LogicalAnd(IsFinite(loss), IsFinite(norm))
		scale := Min(OnesLike(norm), Div(Scalar(g, loss.DType(), 5.0), Add(norm, Scalar(g, loss.DType(), 1e-12))))
		scale = Where(finite, scale, ZerosLike(scale))
		for i, gr := range grads {
			grads[i] = Where(finite, Mul(gr, scale), ZerosLike(gr))
		}
		optimizer.LearningRateVar(s, loss.DType(), 0).SetNodeValue(Where(finite, ConvertDType(lr, loss.DType()), ZerosLike(loss)))
		opt.UpdateGraphWithGradients(s, grads, loss.DType())
		return []*Node{loss, norm, ConvertDType(finite, loss.DType())}
	})
	if err != nil {
		tb.Fatal(err)
	}
	d := len(data[0])
	flat := make([]float64, 0, len(data)*d)
	for _, r := range data {
		flat = append(flat, r...)
	}
	return &trainStep{m: m, exec: exec, data: flat, n: len(data), d: d, batch: batch,
		rng: rand.New(rand.NewPCG(1, 2)), buf: make([]float32, batch*d)}
}

// run does one step and returns the loss.
func (t *trainStep) run(tb testing.TB) float64 {
	for i := 0; i < t.batch; i++ {
		j := t.rng.IntN(t.n)
		for k := 0; k < t.d; k++ {
			t.buf[i*t.d+k] = float32(t.data[j*t.d+k])
		}
	}
	x := tensors.FromFlatDataAndDimensions(append([]float32(nil), t.buf...), t.batch, t.d)
	outs, err := t.exec.Exec(x, tensors.FromScalar(float32(1e-3)))
	if err != nil {
		tb.Fatal(err)
	}
	loss := float64(tensors.ToScalar[float32](outs[0]))
	for _, o := range outs {
		o.FinalizeAll()
	}
	return loss
}

func moons(tb testing.TB, n int) [][]float64 {
	tb.Helper()
	toy, err := datasets.Toy("moons-std")
	if err != nil {
		tb.Fatal(err)
	}
	return toy.Sample(n, 1)
}

func benchTrain(b *testing.B, flow *flowkit.Flow) {
	step := newTrainStep(b, flow, moons(b, 20000), 512)
	step.run(b) // compile
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		step.run(b)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/step")
}

// cpuTime is the process's user+system CPU time: on a shared machine it tells the work a step
// costs apart from the time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainRealNVP is issue 12's RealNVP configuration: 8 affine couplings, MLP 2x64 ReLU
// conditioners, batch 512, 2D moons (noise 0.05, standardized).
func BenchmarkTrainRealNVP(b *testing.B) {
	benchTrain(b, coupling.Normal(coupling.RealNVP(2, 8, 64, 64), 2))
}

// BenchmarkTrainNSF is issue 12's NSF configuration: 8 rational-quadratic spline couplings with
// 8 bins on [-3, 3], MLP 2x64 conditioners, batch 512, 2D moons.
func BenchmarkTrainNSF(b *testing.B) {
	benchTrain(b, coupling.Normal(coupling.NSF(2, 8, 8, 3, 64, 64), 2))
}

// BenchmarkTrainRealNVPWithFit runs fit.MLE itself for b.N steps on the RealNVP configuration
// (graph compilation included, amortised over b.N).
func BenchmarkTrainRealNVPWithFit(b *testing.B) {
	benchFit(b, coupling.Normal(coupling.RealNVP(2, 8, 64, 64), 2))
}

// BenchmarkTrainNSFWithFit is BenchmarkTrainRealNVPWithFit for the NSF configuration.
func BenchmarkTrainNSFWithFit(b *testing.B) {
	benchFit(b, coupling.Normal(coupling.NSF(2, 8, 8, 3, 64, 64), 2))
}

func benchFit(b *testing.B, flow *flowkit.Flow) {
	data := moons(b, 20000)
	m, err := flowkit.NewModel(flow)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	if _, err := fit.MLE(m, data, nil, fit.Config{Steps: b.N, BatchSize: 512, EvalEvery: b.N + 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/step")
}

func benchLogProb(b *testing.B, flow *flowkit.Flow) {
	m, err := flowkit.NewModel(flow)
	if err != nil {
		b.Fatal(err)
	}
	x := moons(b, 10000)
	if _, err := m.LogProb(x, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := m.LogProb(x, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(x))/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(b.N*len(x))/(cpuTime()-cpu0).Seconds(), "samples/cpu-s")
}

// BenchmarkLogProbRealNVP measures density evaluation: Model.LogProb on 10k points (host-side
// validation and conversion included).
func BenchmarkLogProbRealNVP(b *testing.B) {
	benchLogProb(b, coupling.Normal(coupling.RealNVP(2, 8, 64, 64), 2))
}

// BenchmarkLogProbNSF is BenchmarkLogProbRealNVP for the NSF configuration.
func BenchmarkLogProbNSF(b *testing.B) {
	benchLogProb(b, coupling.Normal(coupling.NSF(2, 8, 8, 3, 64, 64), 2))
}

// BenchmarkTrainRealNVPMasked is BenchmarkTrainRealNVP with the masks realised RealNVP's way:
// the conditioner sees z·b, the transformer runs on every element and a select keeps the kept
// half, instead of static slices.
func BenchmarkTrainRealNVPMasked(b *testing.B) {
	coupling.SetForceSelect(true)
	defer coupling.SetForceSelect(false)
	benchTrain(b, coupling.Normal(coupling.RealNVP(2, 8, 64, 64), 2))
}
