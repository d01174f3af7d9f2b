package p16_04

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// leibnizDet computes the determinant from the permutation expansion
// det A = sum_sigma sgn(sigma) prod_i A[i][sigma(i)] on integer-valued entries,
// an exact computation independent of any factorization.
func leibnizDet(a mat.Matrix) float64 {
	n, _ := a.Dims()
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	var total int64
	var rec func(k int, sign int64)
	rec = func(k int, sign int64) {
		if k == n {
			p := sign
			for i := 0; i < n; i++ {
				p *= int64(a.At(i, perm[i]))
			}
			total += p
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			s := sign
			if i != k {
				s = -s
			}
			rec(k+1, s)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0, 1)
	return float64(total)
}

// TestProblem16_4 checks the hand-derived inverses and determinants:
//   - Omega * Omega^{-1} = Omega^{-1} * Omega = I exactly (all entries are dyadic
//     rationals except -1/5, whose products here are exact or round to the same value);
//   - the hand inverse equals gonum's triangular inverse (mat.TriDense.InverseTri) bit for
//     bit, and gonum's general mat.Dense.Inverse (LU with partial pivoting) to 2 ulp;
//   - the hand determinants equal the exact Leibniz expansion in integer arithmetic and
//     |prod diag(U)| of gonum's LU exactly, and gonum's mat.Det to 4 ulp (mat.Det returns
//     sign * exp(log|det|), which is not exact: -19.999999999999996 and 8.0000000000000018).
func TestProblem16_4(t *testing.T) {
	cases := []struct {
		name    string
		omega   *mat.Dense
		inv     *mat.Dense
		det     float64
		wantDet float64
	}{
		{"Omega_1", Omega1(), Omega1Inverse(), Omega1Det, -20},
		{"Omega_2", Omega2(), Omega2Inverse(), Omega2Det, 8},
	}
	var id mat.Dense
	id.Mul(mat.NewDiagDense(4, []float64{1, 1, 1, 1}), mat.NewDiagDense(4, []float64{1, 1, 1, 1}))
	for _, c := range cases {
		if c.det != c.wantDet {
			t.Errorf("%s: hand determinant %g, issue says %g", c.name, c.det, c.wantDet)
		}
		if got := leibnizDet(c.omega); got != c.det {
			t.Errorf("%s: Leibniz determinant %g, hand %g", c.name, got, c.det)
		}
		gdet := mat.Det(c.omega)
		t.Logf("%s: hand det %g, gonum mat.Det %.17g (|diff| %.1e)", c.name, c.det, gdet, math.Abs(gdet-c.det))
		if math.Abs(gdet-c.det) > 4*math.Abs(c.det)*0x1p-52 {
			t.Errorf("%s: gonum det %.17g vs hand %g beyond 4 ulp", c.name, gdet, c.det)
		}
		// Product of LU factors' diagonal: gonum's factorization without the exp(log) step.
		var lu mat.LU
		lu.Factorize(c.omega)
		var u mat.TriDense
		lu.UTo(&u)
		p := 1.0
		for i := 0; i < 4; i++ {
			p *= u.At(i, i)
		}
		if math.Abs(p) != math.Abs(c.det) {
			t.Errorf("%s: |prod diag(U)| = %.17g, want %g", c.name, math.Abs(p), math.Abs(c.det))
		}

		var left, right mat.Dense
		left.Mul(c.omega, c.inv)
		right.Mul(c.inv, c.omega)
		if !mat.Equal(&left, &id) || !mat.Equal(&right, &id) {
			t.Errorf("%s: Omega*inv =\n%v\ninv*Omega =\n%v", c.name, mat.Formatted(&left), mat.Formatted(&right))
		}
		// gonum's general inverse (LU with partial pivoting, then triangular solves) is
		// accurate to rounding but not always bit-exact: for Omega_2 it is off by up to
		// 1.1e-16 in row 3 because the pivoting reorders the elimination.
		var ginv mat.Dense
		if err := ginv.Inverse(c.omega); err != nil {
			t.Fatalf("%s: gonum inverse: %v", c.name, err)
		}
		var diff mat.Dense
		diff.Sub(&ginv, c.inv)
		t.Logf("%s: gonum mat.Dense.Inverse equals the hand inverse bit for bit: %v (max |diff| %.1e)",
			c.name, mat.Equal(&ginv, c.inv), mat.Norm(&diff, math.Inf(1)))
		if !mat.EqualApprox(&ginv, c.inv, 2*0x1p-52*mat.Norm(c.inv, math.Inf(1))) {
			t.Errorf("%s: gonum inverse\n%v\nhand inverse\n%v", c.name, mat.Formatted(&ginv), mat.Formatted(c.inv))
		}
		// Both matrices are lower triangular (Omega_1 trivially), so gonum's triangular
		// inverse applies; it uses forward substitution like the hand derivation and
		// reproduces the hand inverse exactly.
		tri := mat.NewTriDense(4, mat.Lower, nil)
		tri.Copy(c.omega)
		var tinv mat.TriDense
		if err := tinv.InverseTri(tri); err != nil {
			t.Fatalf("%s: gonum triangular inverse: %v", c.name, err)
		}
		if !mat.Equal(&tinv, c.inv) {
			t.Errorf("%s: gonum InverseTri\n%v\nhand inverse\n%v", c.name, mat.Formatted(&tinv), mat.Formatted(c.inv))
		}
	}
}
