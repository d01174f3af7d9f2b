package p16_03

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
)

func rows(m mat.Matrix) [][]float64 {
	r, c := m.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = make([]float64, c)
		for j := range out[i] {
			out[i][j] = m.At(i, j)
		}
	}
	return out
}

// TestProblem16_3 checks the chain-rule Jacobian of the inverse of a three-layer flow in
// R^3 (affine, elementwise sinh, affine autoregressive) at 50 random points x = f(z):
//   - against central finite differences of the composed inverse z = f^{-1}(x)
//     (relative 1e-7: the FD truncation+rounding error at step 1e-5 is about 1e-10);
//   - against the matrix inverse of the forward Jacobian df/dz (relative 1e-11);
//   - |det dz/dx| = prod_k |det d f_k^{-1}| = 1 / |det df/dz| (relative 1e-11);
//   - the product in the wrong order differs (relative > 1e-3), so the order is tested.
func TestProblem16_3(t *testing.T) {
	f := ExampleFlow()
	r := rand.New(rand.NewPCG(16, 3))
	worstFD, worstInv, worstDet, minWrong := 0.0, 0.0, 0.0, math.Inf(1)
	for trial := 0; trial < 50; trial++ {
		z := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		x := f.Forward(z)
		// Round trip first: the inverse must be exact.
		zr := f.Inverse(x)
		for i := range z {
			if math.Abs(zr[i]-z[i]) > 1e-12*math.Max(1, math.Abs(z[i])) {
				t.Fatalf("round trip: z=%v -> x=%v -> %v", z, x, zr)
			}
		}
		jChain := rows(f.InverseJacobian(x))
		scale := numcheck.MaxAbs(jChain)

		jFD := numcheck.JacobianFD(f.Inverse, x, 1e-5)
		worstFD = math.Max(worstFD, numcheck.MaxAbsDiff(jChain, jFD)/scale)

		var jInv mat.Dense
		if err := jInv.Inverse(f.ForwardJacobian(z)); err != nil {
			t.Fatal(err)
		}
		worstInv = math.Max(worstInv, numcheck.MaxAbsDiff(jChain, rows(&jInv))/scale)

		detChain := math.Abs(mat.Det(f.InverseJacobian(x)))
		detProd := f.InverseAbsDet(x)
		detFwd := math.Abs(mat.Det(f.ForwardJacobian(z)))
		worstDet = math.Max(worstDet, math.Abs(detProd-detChain)/detChain)
		worstDet = math.Max(worstDet, math.Abs(detProd*detFwd-1))

		wrong := rows(f.WrongOrderInverseJacobian(x))
		minWrong = math.Min(minWrong, numcheck.MaxAbsDiff(wrong, jFD)/scale)
	}
	t.Logf("max relative deviation: chain vs FD %.2e, chain vs inverse of forward %.2e, determinants %.2e; wrong order deviates by >= %.2e",
		worstFD, worstInv, worstDet, minWrong)
	if worstFD > 1e-7 {
		t.Errorf("chain-rule inverse Jacobian vs finite differences: %.3e > 1e-7", worstFD)
	}
	if worstInv > 1e-11 {
		t.Errorf("chain-rule inverse Jacobian vs inverse of forward Jacobian: %.3e > 1e-11", worstInv)
	}
	if worstDet > 1e-11 {
		t.Errorf("determinant identities: %.3e > 1e-11", worstDet)
	}
	if minWrong < 1e-3 {
		t.Errorf("the wrong multiplication order agreed with FD to %.3e: the test would not detect an order error", minWrong)
	}
}
