package linear

import (
	"fmt"
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// channelData returns n examples of the given event shape whose channel c (last axis) has mean
// 3c - 2 and standard deviation 0.5 + c, in float32.
func channelData(n int, event []int, seed uint64) *tensors.Tensor {
	size := 1
	for _, d := range event {
		size *= d
	}
	C := event[len(event)-1]
	vals := randn(n*size, seed)
	f := make([]float32, len(vals))
	for i, v := range vals {
		c := float64(i % C)
		f[i] = float32((0.5+c)*v + 3*c - 2)
	}
	return tensors.FromFlatDataAndDimensions(f, append([]int{n}, event...)...)
}

// channelStats returns the per-channel (last axis) mean and population standard deviation.
func channelStats(t *tensors.Tensor) (mean, std []float64) {
	dims := t.Shape().Dimensions
	C := dims[len(dims)-1]
	v := flowkit.Float64s(t)
	mean, std = make([]float64, C), make([]float64, C)
	n := float64(len(v) / C)
	for i, x := range v {
		mean[i%C] += x / n
	}
	for i, x := range v {
		std[i%C] += (x - mean[i%C]) * (x - mean[i%C]) / n
	}
	for c := range std {
		std[c] = math.Sqrt(std[c])
	}
	return mean, std
}

func actNormModel(t *testing.T, event []int, store *model.Store) *flowkit.Model {
	t.Helper()
	opts := []flowkit.ModelOption{}
	if store != nil {
		opts = append(opts, flowkit.WithStore(store))
	}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(event...), NewActNorm()), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestActNormDataInit checks the data-dependent initialisation in float32, for vectors and
// images: after the first batch goes through the normalizing direction, that batch's outputs
// have per-channel mean 0 ± 1e-5 and standard deviation 1 ± 1e-4; a second batch with other
// statistics does not initialise again; the statistics live in the store and survive a
// checkpoint round trip.
func TestActNormDataInit(t *testing.T) {
	for _, event := range [][]int{{5}, {4, 4, 3}} {
		t.Run(fmt.Sprint(event), func(t *testing.T) {
			m := actNormModel(t, event, nil)
			x := channelData(512, event, 1)
			z, err := m.Latent(x, nil) // the first batch: initialises
			if err != nil {
				t.Fatal(err)
			}
			mean, std := channelStats(z)
			xm, xs := channelStats(x)
			for c := range mean {
				t.Logf("channel %d: data mean %.3f std %.3f -> mean %.2g std %.7f", c, xm[c], xs[c], mean[c], std[c])
				if math.Abs(mean[c]) > 1e-5 || math.Abs(std[c]-1) > 1e-4 {
					t.Errorf("channel %d after init: mean %.3g (want 0 ± 1e-5), std %.7f (want 1 ± 1e-4)", c, mean[c], std[c])
				}
			}
			if flag := float64sOf(t, variableByName(t, m.Store, actNormFlag)); flag[0] != 1 {
				t.Errorf("the initialised flag is %v, want 1", flag)
			}
			loc := float64sOf(t, variableByName(t, m.Store, "loc"))
			if math.Abs(loc[len(loc)-1]-xm[len(xm)-1]) > 1e-4 {
				t.Errorf("loc %v, want the data means %v", loc, xm)
			}

			// A second batch with other statistics: no re-initialisation.
			x2 := channelData(64, event, 2)
			if _, err := m.LogProb(x2, nil); err != nil {
				t.Fatal(err)
			}
			if again := float64sOf(t, variableByName(t, m.Store, "loc")); maxAbs(again, loc) != 0 {
				t.Errorf("a second batch changed loc from %v to %v", loc, again)
			}

			// Checkpoint round trip: a restored model maps x as the original did, without
			// initialising on the batch it sees first.
			dir := t.TempDir()
			if err := fit.SaveCheckpoint(m.Store, dir, 1, 0); err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			if _, err := fit.LoadCheckpoint(store, dir); err != nil {
				t.Fatal(err)
			}
			restored := actNormModel(t, event, store)
			want, _ := m.LogProb(x2, nil)
			got, err := restored.LogProb(x2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbs(got, want); d > 1e-5 {
				t.Errorf("the restored model's log p differs by %.3g: it was initialised again", d)
			}
		})
	}
}

// TestInitActNormHelper checks InitActNorm: it re-initialises every ActNorm of a chain on the
// batch given, in the order the normalizing direction reaches them.
func TestInitActNormHelper(t *testing.T) {
	flow := flowkit.NewFlow(flowkit.StandardNormal(3), flowkit.NewChain(NewActNorm(), NewLU(), NewActNorm()))
	m, err := flowkit.NewModel(flow)
	if err != nil {
		t.Fatal(err)
	}
	a := channelData(256, []int{3}, 1)
	if _, err := m.LogProb(a, nil); err != nil { // initialises on a
		t.Fatal(err)
	}
	b := channelData(1024, []int{3}, 9)
	bRows := flowkit.Float64s(b)
	for i := range bRows {
		bRows[i] = 2*bRows[i] + 1 // other statistics
	}
	bt := tensors.FromFlatDataAndDimensions(bRows, 1024, 3)
	n, err := InitActNorm(m, bt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("InitActNorm initialised %d layers, want 2", n)
	}
	z, err := m.Latent(bt, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first ActNorm (applied last in the normalizing direction) normalised the output of
	// the LU inverse, which is linear: z has zero mean and unit variance per channel on b.
	mean, std := channelStats(z)
	for c := range mean {
		if math.Abs(mean[c]) > 1e-5 || math.Abs(std[c]-1) > 1e-4 {
			t.Errorf("after InitActNorm on b, channel %d: mean %.3g std %.6f", c, mean[c], std[c])
		}
	}
	if _, err := InitActNorm(m, [][]float64{{1, 2}}, nil); err == nil {
		t.Error("InitActNorm accepted rows of the wrong size")
	}
}

// TestActNormTrainsInAChain fits N(0, I) pushed through LU then ActNorm to a correlated Gaussian
// with fit.MLE: the first step initialises ActNorm, and a linear flow can represent the target
// exactly, so the validation NLL must come within 0.02 nats of the true density's NLL on the
// same validation set.
func TestActNormTrainsInAChain(t *testing.T) {
	const n = 4000
	// x = A e + μ with e ~ N(0, I): covariance A Aᵀ.
	A := [2][2]float64{{2, 0}, {1.5, 0.5}}
	mu := [2]float64{3, -2}
	sample := func(n int, seed uint64) [][]float64 {
		e := randn(2*n, seed)
		rows := make([][]float64, n)
		for i := range rows {
			rows[i] = []float64{A[0][0]*e[2*i] + mu[0], A[1][0]*e[2*i] + A[1][1]*e[2*i+1] + mu[1]}
		}
		return rows
	}
	detA := A[0][0]*A[1][1] - A[0][1]*A[1][0]
	entropy := math.Log(2*math.Pi*math.E) + math.Log(math.Abs(detA)) // ½ log det(2πe Σ) for D = 2
	// trueNLL is the mean of -log N(x; μ, AAᵀ), by e = A⁻¹(x - μ).
	trueNLL := func(rows [][]float64) float64 {
		sum := 0.0
		for _, r := range rows {
			e0 := (r[0] - mu[0]) / A[0][0]
			e1 := (r[1] - mu[1] - A[1][0]*e0) / A[1][1]
			sum += 0.5*(e0*e0+e1*e1) + math.Log(2*math.Pi) + math.Log(math.Abs(detA))
		}
		return sum / float64(len(rows))
	}
	flow := flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(NewLU(), NewActNorm()))
	m, err := flowkit.NewModel(flow)
	if err != nil {
		t.Fatal(err)
	}
	train, valid := sample(n, 1), sample(2000, 2)
	res, err := fit.MLE(m, train, valid, fit.Config{Steps: 300, BatchSize: 256, LearningRate: 2e-2})
	if err != nil {
		t.Fatal(err)
	}
	nll, err := m.NLL(valid, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := res.History[0]
	want := trueNLL(valid)
	t.Logf("first eval: train NLL %.4f; final valid NLL %.4f; true density's NLL %.4f (entropy %.4f)",
		first.TrainNLL, nll, want, entropy)
	if math.Abs(nll-want) > 0.02 {
		t.Errorf("valid NLL %.4f, want the true density's %.4f ± 0.02", nll, want)
	}
	if flag := float64sOf(t, variableByName(t, m.Store, actNormFlag)); flag[0] != 1 {
		t.Error("ActNorm was not initialised by training")
	}
}

// TestActNormCheck runs the verification harness on ActNorm without data initialisation (the
// harness runs Forward first and perturbs the parameters itself), on vectors and images.
func TestActNormCheck(t *testing.T) {
	for _, event := range [][]int{{4}, {2, 2, 3}} {
		r, err := check.Bijector(&ActNorm{NoDataInit: true}, check.Options{Event: event, Pattern: check.DiagonalPattern})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}
