package linear

import (
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// TestOrthogonalIsOrthogonal pushes the identity's rows e_i through the Householder flow (bias
// 0): output row i is (Q e_i)ᵀ, so the outputs form Qᵀ, and QᵀQ must be I. The log-determinant
// is exactly 0 both ways, and the inverse of the identity's rows must form Q (the inverse is Qᵀ).
func TestOrthogonalIsOrthogonal(t *testing.T) {
	for _, k := range []int{0, 3} {
		const d = 6
		store := model.NewStore()
		b := NewOrthogonal(k)
		id := eye(d)
		out := runBijector(t, store, b, tensors.FromFlatDataAndDimensions(id.RawMatrix().Data, d, d))
		q := mat.NewDense(d, d, flowkit.Float64s(out[0])) // row i = (Q e_i)ᵀ, so this is Qᵀ
		var qtq mat.Dense
		qtq.Mul(q.T(), q)
		if !mat.EqualApprox(&qtq, id, 1e-12) {
			t.Errorf("K=%d: QᵀQ != I:\n%v", k, mat.Formatted(&qtq))
		}
		if mat.EqualApprox(q, id, 0.1) {
			t.Errorf("K=%d: Q starts at the identity, want a random orthogonal matrix", k)
		}
		for _, ld := range append(flowkit.Float64s(out[1]), flowkit.Float64s(out[3])...) {
			if ld != 0 {
				t.Errorf("K=%d: log-det %g, want 0", k, ld)
			}
		}
		// Inverse of the identity's rows: row i is (Qᵀ e_i)ᵀ = row i of Q.
		qi := mat.NewDense(d, d, flowkit.Float64s(out[2]))
		if !mat.EqualApprox(qi, q.T(), 1e-12) {
			t.Errorf("K=%d: the inverse is not Qᵀ", k)
		}
	}
	store := model.NewStore()
	out := runBijector(t, store, &Orthogonal{Init: InitIdentity}, tensors.FromFlatDataAndDimensions(randn(10, 1), 2, 5))
	if err := maxAbs(flowkit.Float64s(out[0]), randn(10, 1)); err > 1e-12 {
		t.Errorf("identity initialisation moves the input by %g", err)
	}
}

// TestOrthogonalCheck runs the verification harness on the Householder flow.
func TestOrthogonalCheck(t *testing.T) {
	for _, b := range []flowkit.Bijector{NewOrthogonal(0), NewOrthogonal(2), &Orthogonal{Init: InitIdentity}} {
		r, err := check.Bijector(b, check.Options{Event: []int{5}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}
