package linear

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
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
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// runBijector creates b's variables in store (one forward pass on x), then returns the outputs
// of Forward(x) and Inverse(x): x', ldF, z', ldI.
func runBijector(t testing.TB, store *model.Store, b flowkit.Bijector, x *tensors.Tensor) []*tensors.Tensor {
	t.Helper()
	be := testBackend(t)
	exec, err := model.NewExec(be, store, func(s *model.Scope, x *Node) []*Node {
		xf, ldF := b.Forward(s, x, nil)
		zi, ldI := b.Inverse(s, x, nil)
		return []*Node{xf, ldF, zi, ldI}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// variableByName returns the store's variable whose path ends with "/name".
func variableByName(t testing.TB, store *model.Store, name string) *model.Variable {
	t.Helper()
	for v := range store.IterVariables() {
		if strings.HasSuffix(v.Path(), "/"+name) {
			return v
		}
	}
	t.Fatalf("no variable %q in the store", name)
	return nil
}

// float64sOf returns a variable's value as float64s.
func float64sOf(t testing.TB, v *model.Variable) []float64 {
	t.Helper()
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	switch val.DType() {
	case dtypes.Int32:
		ints := tensors.MustCopyFlatData[int32](val)
		out := make([]float64, len(ints))
		for i, x := range ints {
			out[i] = float64(x)
		}
		return out
	default:
		return flowkit.Float64s(val)
	}
}

// perturb adds N(0, std²) noise to a float variable's value (in its own dtype).
func perturb(t testing.TB, v *model.Variable, std float64, seed uint64) {
	t.Helper()
	vals := float64sOf(t, v)
	noise := randn(len(vals), seed)
	for i := range vals {
		vals[i] += std * noise[i]
	}
	setValues(t, v, vals)
}

// shift adds c to every entry of a float variable.
func shift(t testing.TB, v *model.Variable, c float64) {
	t.Helper()
	vals := float64sOf(t, v)
	for i := range vals {
		vals[i] += c
	}
	setValues(t, v, vals)
}

func setValues(t testing.TB, v *model.Variable, vals []float64) {
	t.Helper()
	dims := v.Shape().Dimensions
	var tt *tensors.Tensor
	switch v.DType() {
	case dtypes.Float64:
		tt = tensors.FromFlatDataAndDimensions(vals, dims...)
	case dtypes.Float32:
		f := make([]float32, len(vals))
		for i, x := range vals {
			f[i] = float32(x)
		}
		tt = tensors.FromFlatDataAndDimensions(f, dims...)
	default:
		t.Fatalf("setValues: dtype %s", v.DType())
	}
	if len(dims) == 0 {
		if v.DType() == dtypes.Float64 {
			tt = tensors.FromScalar(vals[0])
		} else {
			tt = tensors.FromScalar(float32(vals[0]))
		}
	}
	if err := v.SetValue(tt); err != nil {
		t.Fatal(err)
	}
}

// hostLUMatrix rebuilds Ω = P L (U + diag(sign·s)) with gonum from the LU variables in store.
func hostLUMatrix(t testing.TB, store *model.Store, d int, magnitude Magnitude) *mat.Dense {
	t.Helper()
	perm := float64sOf(t, variableByName(t, store, "perm"))
	lower := float64sOf(t, variableByName(t, store, "lower"))
	upper := float64sOf(t, variableByName(t, store, "upper"))
	raw := float64sOf(t, variableByName(t, store, "log_scale"))
	sign := float64sOf(t, variableByName(t, store, "sign"))
	P := mat.NewDense(d, d, nil)
	L := mat.NewDense(d, d, nil)
	U := mat.NewDense(d, d, nil)
	for i := range d {
		P.Set(i, int(perm[i]), 1)
		for j := range d {
			switch {
			case j < i:
				L.Set(i, j, lower[i*d+j])
			case j > i:
				U.Set(i, j, upper[i*d+j])
			default:
				L.Set(i, i, 1)
				s := math.Exp(raw[i])
				if magnitude == MagnitudeSoftplus {
					s = math.Log1p(math.Exp(raw[i]))
				}
				U.Set(i, i, sign[i]*s)
			}
		}
	}
	var pl, w mat.Dense
	pl.Mul(P, L)
	w.Mul(&pl, U)
	return &w
}

// maxAbs returns max |a_i - b_i|.
func maxAbs(a, b []float64) float64 {
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

// applyRows returns the rows of W x_r + b for rows x [n·d].
func applyRows(w mat.Matrix, b, x []float64, d int) []float64 {
	n := len(x) / d
	out := make([]float64, len(x))
	for r := range n {
		for i := range d {
			v := 0.0
			if b != nil {
				v = b[i]
			}
			for j := range d {
				v += w.At(i, j) * x[r*d+j]
			}
			out[r*d+i] = v
		}
	}
	return out
}

// solveRows returns the rows of W⁻¹ (x_r - b) by gonum's LU solve.
func solveRows(t testing.TB, w mat.Matrix, b, x []float64, d int) []float64 {
	t.Helper()
	n := len(x) / d
	rhs := mat.NewDense(d, n, nil)
	for r := range n {
		for i := range d {
			v := x[r*d+i]
			if b != nil {
				v -= b[i]
			}
			rhs.Set(i, r, v)
		}
	}
	var lu mat.LU
	lu.Factorize(w)
	var sol mat.Dense
	if err := lu.SolveTo(&sol, false, rhs); err != nil {
		t.Fatalf("gonum solve: %v", err)
	}
	out := make([]float64, len(x))
	for r := range n {
		for i := range d {
			out[r*d+i] = sol.At(i, r)
		}
	}
	return out
}

// logAbsDet is log|det w| by gonum.
func logAbsDet(w mat.Matrix) float64 {
	var lu mat.LU
	lu.Factorize(w)
	l, _ := lu.LogDet()
	return l
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
