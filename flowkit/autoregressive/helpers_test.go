package autoregressive_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// run builds fn on the shared backend with store and returns its outputs as float64 slices.
func run(t testing.TB, store *model.Store, fn func(s *model.Scope, in []*Node) []*Node, args ...any) [][]float64 {
	t.Helper()
	e, err := model.NewExec(backend.MustShared(), store, fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		res[i] = flowkit.Float64s(o)
	}
	return res
}

// normal returns an [n, d] float64 tensor of standard normal values.
func normal(n, d int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n*d)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return tensors.FromFlatDataAndDimensions(v, n, d)
}

// perturb adds N(0, std²) noise to every trainable float variable of store, so tests do not only
// see the identity initialisation.
func perturb(t testing.TB, store *model.Store, std float64, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	for v := range store.IterVariables() {
		if !v.Trainable || !v.DType().IsFloat() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		f := flowkit.Float64s(val)
		for i := range f {
			f[i] += std * r.NormFloat64()
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(f, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

func maxAbsDiff(a, b []float64) float64 {
	worst := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}
