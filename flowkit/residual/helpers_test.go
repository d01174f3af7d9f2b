package residual_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

var (
	seqOnce    sync.Once
	seqBackend compute.Backend
	seqErr     error
)

// testBackend is the pure-Go backend with sequential op execution. The default (parallel)
// executor of the Go backend can deadlock on While loops whose bodies run large matrix
// products (see the package doc); sequential execution cannot.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	seqOnce.Do(func() { seqBackend, seqErr = backend.NewWithConfig("go:ops_sequential") })
	if seqErr != nil {
		t.Fatal(seqErr)
	}
	return seqBackend
}

// newModel wraps b in a flow with a standard normal base on d features.
func newModel(t testing.TB, b flowkit.Bijector, d int, dt dtypes.DType, seed int64) *flowkit.Model {
	t.Helper()
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(d), b),
		flowkit.WithDType(dt), flowkit.WithSeed(seed), flowkit.WithBackend(testBackend(t)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// randRows returns n rows of d standard normal values times scale.
func randRows(n, d int, seed uint64, scale float64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			rows[i][j] = scale * r.NormFloat64()
		}
	}
	return rows
}

// meanSE returns the mean of v and its standard error.
func meanSE(v []float64) (mean, se float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1) / float64(len(v)))
}

// spectralNorm returns the largest singular value of the matrix given by rows.
func spectralNorm(t testing.TB, a *mat.Dense) float64 {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	return svd.Values(nil)[0]
}

// execOn runs fn once on the model's store and backend and returns its outputs as float64s.
func execOn(t testing.TB, m *flowkit.Model, fn func(s *model.Scope, in []*Node) []*Node, args ...any) [][]float64 {
	t.Helper()
	e, err := model.NewExec(m.Backend, m.Store, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(out))
	for i, o := range out {
		res[i] = flowkit.Float64s(o)
	}
	return res
}

// tensorsShape is a float32 shape with the given dimensions.
func tensorsShape(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
