package linear

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// TestQRLogDetMatchesDense checks the QR flow's log-determinant against gonum's log|det| of its
// Jacobian, rebuilt by pushing the identity's rows through it with the bias removed, after
// moving the parameters away from their initial values.
func TestQRLogDetMatchesDense(t *testing.T) {
	for _, mag := range []Magnitude{MagnitudeExp, MagnitudeSoftplus} {
		const d = 9
		store := model.NewStore()
		b := &QR{Magnitude: mag}
		in := tensors.FromFlatDataAndDimensions(eye(d).RawMatrix().Data, d, d)
		runBijector(t, store, b, in)
		perturb(t, variableByName(t, store, "upper"), 0.3, 1)
		perturb(t, variableByName(t, store, "log_scale"), 0.5, 2)
		shift(t, variableByName(t, store, "log_scale"), 0.1)
		out := runBijector(t, store, b, in)
		bias := float64sOf(t, variableByName(t, store, "bias"))
		rows := flowkit.Float64s(out[0])
		jt := mat.NewDense(d, d, nil) // row i = (W e_i)ᵀ + β = column i of W, plus β
		for i := range d {
			for j := range d {
				jt.Set(i, j, rows[i*d+j]-bias[j])
			}
		}
		want := logAbsDet(jt)
		if math.Abs(want) < 0.1 {
			t.Fatalf("%s: log|det| = %g: the perturbation did not move it", mag, want)
		}
		if got := flowkit.Float64s(out[1])[0]; math.Abs(got-want) > 1e-10 {
			t.Errorf("%s: log-det %.12g, gonum %.12g", mag, got, want)
		}
		if got := flowkit.Float64s(out[3])[0]; math.Abs(got+want) > 1e-10 {
			t.Errorf("%s: inverse log-det %.12g, want %.12g", mag, got, -want)
		}
	}
}

// TestQRCheck runs the verification harness on the QR flow.
func TestQRCheck(t *testing.T) {
	for _, b := range []flowkit.Bijector{NewQR(), &QR{K: 2, Magnitude: MagnitudeSoftplus, Init: InitIdentity}} {
		r, err := check.Bijector(b, check.Options{Event: []int{5}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}
