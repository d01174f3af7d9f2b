package autoregressive_test

import (
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// trainStep builds the maximum-likelihood step fit.MLE runs (mean NLL, gradients, global-norm
// clipping, Adam), for benchmarking one step in isolation.
func trainStep(b testing.TB, m *flowkit.Model) *model.Exec {
	opt := optimizer.Adam().Done()
	withGrads := opt.(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	exec, err := model.NewExec(m.Backend, m.Store, func(s *model.Scope, x, lr *Node) *Node {
		loss := Neg(ReduceAllMean(m.Flow.LogProb(flowkit.FlowScope(s), x, nil)))
		grads := s.BuildTrainableVariablesGradientsGraph(loss)
		sq := ScalarZero(x.Graph(), loss.DType())
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		scale := Min(OnesLike(sq), Div(Scalar(x.Graph(), loss.DType(), 5), Add(Sqrt(sq), Scalar(x.Graph(), loss.DType(), 1e-12))))
		for i, gr := range grads {
			grads[i] = Mul(gr, scale)
		}
		optimizer.LearningRateVar(s, loss.DType(), 0).SetNodeValue(lr)
		withGrads.UpdateGraphWithGradients(s, grads, loss.DType())
		return loss
	})
	if err != nil {
		b.Fatal(err)
	}
	return exec
}

// batchOf returns n rows of data as a float32 tensor.
func batchOf(rows [][]float64) *tensors.Tensor {
	d := len(rows[0])
	f := make([]float32, 0, len(rows)*d)
	for _, r := range rows {
		for _, v := range r {
			f = append(f, float32(v))
		}
	}
	return tensors.FromFlatDataAndDimensions(f, len(rows), d)
}

// BenchmarkMAFTrainStep is issue 12's MAF configuration: 5 MADE layers 8→64→64→16 (affine),
// reverse permutations between layers, batch 512, on datasets.Mixture8D samples. It reports
// steps/s; the first step (graph build and compilation) is excluded and reported as build-ms.
func BenchmarkMAFTrainStep(b *testing.B) {
	flow := flowkit.NewFlow(flowkit.StandardNormal(8), autoregressive.MAF(8, 5, 64, 64))
	m, err := flowkit.NewModel(flow)
	if err != nil {
		b.Fatal(err)
	}
	x := batchOf(datasets.Mixture8D().Sample(512, 1))
	lr := tensors.FromScalar(float32(1e-3))
	step := trainStep(b, m)
	start := time.Now()
	step.MustExec(x, lr)[0].FinalizeAll()
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "build-ms")
	b.ResetTimer()
	cpu := cpuSeconds()
	for range b.N {
		step.MustExec(x, lr)[0].FinalizeAll()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(1e3*(cpuSeconds()-cpu)/float64(b.N), "cpu-ms/step")
}

// cpuSeconds is the CPU time (user + system) this process has used: on a machine shared with
// other jobs it is a steadier measure of the work per step than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + 1e-6*float64(ru.Utime.Usec+ru.Stime.Usec)
}

// benchDirections measures LogProb (one pass) and sampling (D passes per layer) of a flow over
// d dimensions on 10,000 examples, reporting samples per second for each.
func benchDirections(b *testing.B, flow *flowkit.Flow, d int, sampling bool) {
	m, err := flowkit.NewModel(flow, flowkit.WithBackend(backend.MustShared()))
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	rows, err := m.SampleRows(n, nil) // builds the sampling graph; also gives data for LogProb
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.LogProb(rows, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if sampling {
			if _, _, err := m.Sample(n, nil); err != nil {
				b.Fatal(err)
			}
		} else if _, err := m.LogProb(rows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkMAFDirections is the cost of MAF's sequential sampling against its one-pass density as
// D grows (5 affine layers, MADE 2x64): the data of the notebook's plot.
func BenchmarkMAFDirections(b *testing.B) {
	for _, d := range []int{2, 4, 8, 16, 32} {
		for _, dir := range []string{"density", "sample", "sample-loop"} {
			b.Run(fmt.Sprintf("D=%d/%s", d, dir), func(b *testing.B) {
				c := autoregressive.Config{Layers: 5, Hidden: []int{64, 64}}
				if dir == "sample-loop" {
					c.Sampling = autoregressive.Loop
				}
				benchDirections(b, flowkit.NewFlow(flowkit.StandardNormal(d), c.Build(d)), d, dir != "density")
			})
		}
	}
}

// BenchmarkIAFSampling: sampling an IAF is one pass per layer (5 affine layers, MADE 2x64, 8D).
func BenchmarkIAFSampling(b *testing.B) {
	benchDirections(b, flowkit.NewFlow(flowkit.StandardNormal(8), autoregressive.IAF(8, 5, 64, 64)), 8, true)
}

// BenchmarkMAFSamplingGraph measures, for the two forms of the sequential direction (Unrolled:
// D passes written into the graph; Loop: a While loop over one pass), the time to build and
// compile the sampling graph of a 5-layer MAF (MADE 64x64) and the time to run it on 10,000
// samples, for D = 8 and D = 32. build-ms is the first call minus a later call.
func BenchmarkMAFSamplingGraph(b *testing.B) {
	for _, d := range []int{8, 32} {
		for _, mode := range []autoregressive.Sampling{autoregressive.Unrolled, autoregressive.Loop} {
			name := map[autoregressive.Sampling]string{autoregressive.Unrolled: "unrolled", autoregressive.Loop: "loop"}[mode]
			b.Run(fmt.Sprintf("D=%d/%s", d, name), func(b *testing.B) {
				const n = 10000
				var build, run time.Duration
				for range b.N {
					c := autoregressive.Config{Layers: 5, Hidden: []int{64, 64}, Sampling: mode}
					m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(d), c.Build(d)))
					if err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					if _, _, err := m.Sample(n, nil); err != nil {
						b.Fatal(err)
					}
					first := time.Since(start)
					start = time.Now()
					if _, _, err := m.Sample(n, nil); err != nil {
						b.Fatal(err)
					}
					second := time.Since(start)
					run += second
					build += first - second
				}
				b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms")
				b.ReportMetric(float64(run.Milliseconds())/float64(b.N), "run-ms")
			})
		}
	}
}
