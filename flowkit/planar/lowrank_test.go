package planar_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit/planar"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

func denseLogAbsDet(a []float64, n int) float64 {
	var lu mat.LU
	lu.Factorize(mat.NewDense(n, n, append([]float64(nil), a...)))
	v, _ := lu.LogDet()
	return v
}

// identityPlusUVt returns I_D + U Vᵀ for row-major U, V [D, k].
func identityPlusUVt(u, v []float64, D, k int) []float64 {
	out := make([]float64, D*D)
	for i := 0; i < D; i++ {
		out[i*D+i] = 1
		for j := 0; j < D; j++ {
			for l := 0; l < k; l++ {
				out[i*D+j] += u[i*k+l] * v[j*k+l]
			}
		}
	}
	return out
}

// TestMatrixDeterminantLemma: log|det(I_D + U Vᵀ)| computed as log|det(I_k + Vᵀ U)| in graph
// operations matches gonum's dense LU determinant of the D×D matrix, batched, for several ranks.
func TestMatrixDeterminantLemma(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	r := newRunner(t, planar.New(), 1, 1)
	for _, sz := range []struct{ B, D, k int }{{4, 7, 3}, {3, 5, 5}, {2, 9, 1}, {2, 6, 8}} {
		u := normals(rng, sz.B*sz.D*sz.k, 0.8)
		v := normals(rng, sz.B*sz.D*sz.k, 0.8)
		out := r.run(func(s *model.Scope, in []*Node) []*Node {
			return []*Node{planar.LogDetLowRank(in[0], in[1])}
		}, tensors.FromFlatDataAndDimensions(u, sz.B, sz.D, sz.k), tensors.FromFlatDataAndDimensions(v, sz.B, sz.D, sz.k))
		n := sz.D * sz.k
		for b := 0; b < sz.B; b++ {
			want := denseLogAbsDet(identityPlusUVt(u[b*n:(b+1)*n], v[b*n:(b+1)*n], sz.D, sz.k), sz.D)
			if math.Abs(out[0][b]-want) > 1e-10 {
				t.Errorf("B,D,k=%v example %d: lemma %v, dense %v", sz, b, out[0][b], want)
			}
		}
	}
}

// TestLogAbsDetPivoting: the graph elimination pivots (a zero leading entry, a permutation
// matrix), handles negative determinants, and its gradient is d log|det A|/dA = A⁻ᵀ.
func TestLogAbsDetPivoting(t *testing.T) {
	r := newRunner(t, planar.New(), 1, 1)
	mats := [][]float64{
		{0, 2, 1, 3, 1, 0, 1, 1, 4}, // zero pivot without row swaps
		{0, 1, 0, 0, 0, 1, 1, 0, 0}, // a permutation: |det| = 1
		{-2, 0.5, 1, 1e-3, 3, -1, 4, 0, 0.2},
	}
	flat := []float64{}
	for _, m := range mats {
		flat = append(flat, m...)
	}
	out := r.run(func(s *model.Scope, in []*Node) []*Node {
		ld := planar.LogAbsDet(in[0])
		return []*Node{ld, Gradient(ReduceAllSum(ld), in[0])[0]}
	}, tensors.FromFlatDataAndDimensions(flat, len(mats), 3, 3))
	for i, m := range mats {
		want := denseLogAbsDet(m, 3)
		if math.Abs(out[0][i]-want) > 1e-12 {
			t.Errorf("matrix %d: %v, want %v", i, out[0][i], want)
		}
		var inv mat.Dense
		if err := inv.Inverse(mat.NewDense(3, 3, m)); err != nil {
			t.Fatal(err)
		}
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				if g := out[1][i*9+a*3+b]; math.Abs(g-inv.At(b, a)) > 1e-9 {
					t.Fatalf("matrix %d: gradient [%d,%d] = %v, want A⁻ᵀ = %v", i, a, b, g, inv.At(b, a))
				}
			}
		}
	}
}
