package flowkit_test

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// logProbOnGrid evaluates d.LogProb on a 1D grid in float64 and integrates exp(log p).
func integrate1D(t *testing.T, d flowkit.Distribution, lo, hi float64, n int) (mass float64, lp []float64) {
	t.Helper()
	xs := make([]float64, n)
	h := (hi - lo) / float64(n-1)
	for i := range xs {
		xs[i] = lo + float64(i)*h
	}
	exec := model.MustNewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, x *Node) *Node {
		return d.LogProb(s, x, nil)
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(xs, n, 1))[0]
	lp = tensors.MustCopyFlatData[float64](out)
	for i, v := range lp {
		w := 1.0
		if i == 0 || i == n-1 {
			w = 0.5
		}
		mass += w * math.Exp(v) * h
	}
	return mass, lp
}

func TestDistributionsIntegrateToOne(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      flowkit.Distribution
		lo, hi float64
	}{
		{"normal", flowkit.StandardNormal(1), -10, 10},
		{"logistic", flowkit.NewStandardLogistic(1), -40, 40},
		{"mixture", flowkit.NewMixture1D([]float64{1, 3}, []float64{-2, 1}, []float64{0.5, 0.7}), -10, 10},
		{"diag normal", flowkit.NewDiagNormal(1), -10, 10},
	} {
		mass, _ := integrate1D(t, tc.d, tc.lo, tc.hi, 40001)
		if math.Abs(mass-1) > 1e-6 {
			t.Errorf("%s integrates to %.8f", tc.name, mass)
		}
	}
	// Uniform on [0, 2]: density ½ inside, 0 outside.
	_, lp := integrate1D(t, flowkit.NewUniform(0, 2, 1), -1, 3, 5) // x = -1, 0, 1, 2, 3
	want := []float64{math.Inf(-1), -math.Ln2, -math.Ln2, -math.Ln2, math.Inf(-1)}
	for i := range want {
		if lp[i] != want[i] && math.Abs(lp[i]-want[i]) > 1e-12 {
			t.Errorf("uniform log p at %d = %v, want %v", i, lp[i], want[i])
		}
	}
}

func TestMixtureGraphMatchesHost(t *testing.T) {
	m := &flowkit.Mixture{Weights: []float64{0.2, 0.8},
		Means: [][]float64{{0, 1}, {2, -1}}, Stds: [][]float64{{1, 0.5}, {0.3, 2}}}
	x := [][]float64{{0, 0}, {2, -1}, {5, 5}}
	exec := model.MustNewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, xn *Node) *Node {
		return m.LogProb(s, xn, nil)
	})
	out := tensors.MustCopyFlatData[float64](exec.MustExec(x)[0])
	for i := range x {
		if want := m.LogProbAt(x[i]); math.Abs(out[i]-want) > 1e-12 {
			t.Errorf("log p(%v): graph %v, host %v", x[i], out[i], want)
		}
	}
}

func TestSamplersMatchMoments(t *testing.T) {
	const n = 200000
	mix := flowkit.NewMixture1D([]float64{0.25, 0.75}, []float64{-2, 2}, []float64{0.5, 0.5})
	for _, tc := range []struct {
		name     string
		d        flowkit.Distribution
		mean, vr float64
	}{
		{"normal", flowkit.StandardNormal(1), 0, 1},
		{"logistic", flowkit.NewStandardLogistic(1), 0, math.Pi * math.Pi / 3},
		{"uniform", flowkit.NewUniform(-1, 3, 1), 1, 16.0 / 12},
		{"mixture", mix, 0.25*-2 + 0.75*2, 0.25 + 4 - 1},
	} {
		store := model.NewStore()
		_ = store.SetRNGStateFromSeed(5)
		exec := model.MustNewExec(backend.MustShared(), store, func(s *model.Scope, g *Graph) *Node {
			return tc.d.Sample(s, g, dtypes.Float64, n, nil)
		})
		xs := tensors.MustCopyFlatData[float64](exec.MustExec()[0])
		mean, sq := 0.0, 0.0
		for _, v := range xs {
			mean += v / n
		}
		for _, v := range xs {
			sq += (v - mean) * (v - mean) / n
		}
		se := math.Sqrt(tc.vr / n)
		if math.Abs(mean-tc.mean) > 5*se || math.Abs(sq-tc.vr) > 0.02*tc.vr+5*se {
			t.Errorf("%s: sample mean %.4f var %.4f, want %.4f and %.4f", tc.name, mean, sq, tc.mean, tc.vr)
		}
	}
}
