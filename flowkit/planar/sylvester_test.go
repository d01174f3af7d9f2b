package planar_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/planar"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestSylvesterLogDetMatchesDenseDeterminant: the O(M) triangular log-det of Forward, the
// general matrix-determinant-lemma path LogDetLowRank(Q R diag(h'), Q R̃ᵀ), and gonum's dense
// LU determinant of I_D + Q R diag(h') R̃ Qᵀ built on the host all agree (float64); Q has
// orthonormal columns.
func TestSylvesterLogDetMatchesDenseDeterminant(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sf := range []*planar.Sylvester{{}, {M: 3, Reflections: 2}, {M: 1}} {
		const N, D = 6, 5
		r := newRunner(t, sf, D, 4)
		z := normals(rng, N*D, 1.5)
		out := r.run(func(s *model.Scope, in []*Node) []*Node {
			_, ld := sf.Forward(s, in[0], nil)
			Q, R, Rt, b := planar.SylvesterMatrices(sf, s, in[0])
			a := Add(Dot(Dot(in[0], Q).Product(), Transpose(Rt, 0, 1)).Product(), InsertAxes(b, 0))
			hp := OneMinus(Square(Tanh(a))) // [N, M]
			M := R.Shape().Dimensions[0]
			U := Mul(InsertAxes(Dot(Q, R).Product(), 0), InsertAxes(hp, 1)) // [N, D, M]
			V := BroadcastToDims(InsertAxes(Dot(Q, Transpose(Rt, 0, 1)).Product(), 0), N, D, M)
			return []*Node{ld, planar.LogDetLowRank(U, V), U, V, Q}
		}, tensors.FromFlatDataAndDimensions(z, N, D))
		ld, lemma, U, V, Q := out[0], out[1], out[2], out[3], out[4]
		M := len(Q) / D
		for n := 0; n < N; n++ {
			dense := denseLogAbsDet(identityPlusUVt(U[n*D*M:(n+1)*D*M], V[n*D*M:(n+1)*D*M], D, M), D)
			if math.Abs(ld[n]-dense) > 1e-10 || math.Abs(lemma[n]-dense) > 1e-10 {
				t.Errorf("%s example %d: triangular %v, lemma %v, dense %v", sf.Name(), n, ld[n], lemma[n], dense)
			}
		}
		for i := 0; i < M; i++ {
			for j := 0; j < M; j++ {
				qq := 0.0
				for d := 0; d < D; d++ {
					qq += Q[d*M+i] * Q[d*M+j]
				}
				if want := b2f(i == j); math.Abs(qq-want) > 1e-12 {
					t.Fatalf("%s: (QᵀQ)[%d,%d] = %v, want %v", sf.Name(), i, j, qq, want)
				}
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestSylvesterInverseConverges: the back-substitution inverse recovers z to 1e-6 in float64,
// also with diag(R)·diag(R̃) pushed to -0.99998, next to the invertibility limit -1, where the
// one-dimensional equations have slopes down to 2e-5 and amplify rounding errors accordingly.
func TestSylvesterInverseConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const N, D = 400, 6
	sf := &planar.Sylvester{M: 4}
	r := newRunner(t, sf, D, 8)
	for trial := 0; trial < 3; trial++ {
		if trial > 0 {
			rr, rt := normals(rng, 16, 2), normals(rng, 16, 2)
			for i := 0; i < 4; i++ { // diagonals tanh(±6): products ≈ -0.99998
				rr[i*5], rt[i*5] = 6, -6
			}
			r.set("r", rr...)
			r.set("r_tilde", rt...)
			r.set("b", normals(rng, 4, 2)...)
		}
		z := normals(rng, N*D, 3)
		_, zBack, ldF, ldI := r.roundTrip(z, N, D)
		e := maxAbsDiff(zBack, z)
		t.Logf("trial %d: max |f⁻¹(f(z)) - z| = %.3g", trial, e)
		if e > 1e-6 {
			t.Errorf("trial %d: round trip error %.3g", trial, e)
		}
		for i := range ldF {
			if math.Abs(ldF[i]+ldI[i]) > 1e-6 {
				t.Fatalf("trial %d: inverse log-det %v is not minus forward %v", trial, ldI[i], ldF[i])
			}
		}
	}
}

// TestSylvesterBadM: M larger than D is a readable error.
func TestSylvesterBadM(t *testing.T) {
	store := model.NewStore()
	exec, err := model.NewExec(backend.MustShared(), store, func(s *model.Scope, in []*Node) []*Node {
		x, _ := planar.NewSylvester(4).Forward(s, in[0], nil)
		return []*Node{x}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = exec.Exec(tensors.FromFlatDataAndDimensions(make([]float64, 6), 2, 3)); err == nil ||
		!strings.Contains(err.Error(), "M = 4 columns, want 1 ≤ M ≤ D = 3") {
		t.Fatalf("want a readable error about M, got %v", err)
	}
}
