package multiscale

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randn returns n standard normals drawn with seed.
func randn(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// tensor64 returns a float64 tensor of the given dims holding v.
func tensor64(v []float64, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
}

// run builds fn once on a store and returns its outputs on the inputs.
func run(t testing.TB, store *model.Store, fn func(s *model.Scope, inputs []*graph.Node) []*graph.Node, inputs ...any) []*tensors.Tensor {
	t.Helper()
	if store == nil {
		store = model.NewStore()
	}
	exec, err := model.NewExec(testBackend(t), store, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// perturbAll adds Gaussian noise of standard deviation sd to every trainable float variable,
// so a test sees a network away from its identity initialisation.
func perturbAll(t testing.TB, store *model.Store, sd float64, seed uint64) int {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 5))
	n := 0
	for v := range store.IterVariables() {
		if !v.Trainable || !v.DType().IsFloat() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		vals := flowkit.Float64s(val)
		for i := range vals {
			vals[i] += sd * r.NormFloat64()
		}
		var nt *tensors.Tensor
		if v.DType() == dtypes.Float32 {
			f := make([]float32, len(vals))
			for i, x := range vals {
				f[i] = float32(x)
			}
			nt = tensors.FromFlatDataAndDimensions(f, v.Shape().Dimensions...)
		} else {
			nt = tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)
		}
		if err := v.SetValue(nt); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func maxAbsDiff(a, b []float64) float64 {
	w := 0.0
	for i := range a {
		w = math.Max(w, math.Abs(a[i]-b[i]))
	}
	return w
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
