package planar_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// runner builds the bijector's variables in a fresh float64 store, lets the test set them,
// and runs graphs on that store.
type runner struct {
	t     *testing.T
	store *model.Store
	b     flowkit.Bijector
}

func newRunner(t *testing.T, b flowkit.Bijector, D int, seed int64) *runner {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	r := &runner{t: t, store: store, b: b}
	r.run(func(s *model.Scope, in []*Node) []*Node {
		x, _ := b.Forward(s, in[0], nil)
		return []*Node{x}
	}, tensors.FromFlatDataAndDimensions(make([]float64, 2*D), 2, D))
	return r
}

// set overwrites the variable whose path ends in name.
func (r *runner) set(name string, vals ...float64) {
	r.t.Helper()
	for v := range r.store.IterVariables() {
		if strings.HasSuffix(v.Path(), "/"+name) {
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
				r.t.Fatal(err)
			}
			return
		}
	}
	r.t.Fatalf("no variable %q", name)
}

func (r *runner) get(name string) []float64 {
	r.t.Helper()
	for v := range r.store.IterVariables() {
		if strings.HasSuffix(v.Path(), "/"+name) {
			return tensors.MustCopyFlatData[float64](v.MustValue())
		}
	}
	r.t.Fatalf("no variable %q", name)
	return nil
}

func (r *runner) run(fn func(s *model.Scope, in []*Node) []*Node, args ...any) [][]float64 {
	r.t.Helper()
	exec, err := model.NewExec(backend.MustShared(), r.store, fn)
	if err != nil {
		r.t.Fatal(err)
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		r.t.Fatal(err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		if o.DType() == dtypes.Float64 {
			res[i] = tensors.MustCopyFlatData[float64](o)
		} else {
			res[i] = flowkit.Float64s(o)
		}
	}
	return res
}

// roundTrip runs z → Forward → x → Inverse → z' and returns x, z', both log-dets.
func (r *runner) roundTrip(z []float64, N, D int) (x, zBack, ldF, ldI []float64) {
	out := r.run(func(s *model.Scope, in []*Node) []*Node {
		x, ldF := r.b.Forward(s, in[0], nil)
		zb, ldI := r.b.Inverse(s, x, nil)
		return []*Node{x, zb, ldF, ldI}
	}, tensors.FromFlatDataAndDimensions(z, N, D))
	return out[0], out[1], out[2], out[3]
}

func normals(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func maxAbsDiff(a, b []float64) float64 {
	w := 0.0
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		w = math.Max(w, d)
	}
	return w
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
