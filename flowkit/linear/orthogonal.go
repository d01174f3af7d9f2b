package linear

import (
	"fmt"
	"math/rand/v2"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Orthogonal is the linear flow with an orthogonal matrix built from K Householder reflections
// (Tomczak & Welling 2016):
//
//	x = f(z) = Q z + β,   Q = H_1 H_2 ⋯ H_K,   H_k = I - 2 v_k v_kᵀ / (v_kᵀ v_k)
//
// Each reflection is orthogonal with determinant -1, so |det Q| = 1 and the log-determinant is
// exactly 0 in both directions: the flow rotates (and reflects) but never changes volume.
// Q⁻¹ = Qᵀ = H_K ⋯ H_1, so both directions cost O(K·D) per example, one reflection at a time
// (Q is never formed). K = D reflections can represent every orthogonal matrix (Householder's
// QR); fewer give a cheaper, restricted family.
//
// The input is [batch, D]; the variables are "householder" (the K vectors v_k as [K, D],
// trainable) and "bias" β ([D]). InitRotation (default) draws the vectors as independent
// Gaussians, a random orthogonal Q; InitIdentity pairs equal vectors (H H = I) so Q starts at the
// identity (with K rounded up to an even number).
type Orthogonal struct {
	// K is the number of reflections; 0 means D.
	K int
	// Init chooses the initial Q: InitRotation (default) or InitIdentity.
	Init Init
	// Seed varies the random initial vectors (combined with the scope path).
	Seed uint64
}

// NewOrthogonal returns an orthogonal flow of k Householder reflections (k = 0: D of them)
// starting at a random orthogonal matrix.
func NewOrthogonal(k int) *Orthogonal { return &Orthogonal{K: k} }

// Name implements flowkit.Named.
func (o *Orthogonal) Name() string {
	if o.K == 0 {
		return "Orthogonal"
	}
	return fmt.Sprintf("Orthogonal(K=%d)", o.K)
}

func (o *Orthogonal) params(s *model.Scope, x *Node) (h *householder, bias *Node) {
	checkInput("linear.Orthogonal", x, 2, "[batch, D]")
	if x.Rank() != 2 {
		panic(fmt.Errorf("linear.Orthogonal: the input has shape %v, want [batch, D]", x.Shape().Dimensions))
	}
	if o.K < 0 {
		panic(fmt.Errorf("linear.Orthogonal: K = %d reflections, want K ≥ 0 (0 means D)", o.K))
	}
	d := lastDim(x)
	h = newHouseholder("linear.Orthogonal", s, x, o.K, o.Init, o.Seed)
	bVar := variable("linear.Orthogonal", s, "bias", shapeOf(x.DType(), d), valuesInit(make([]float64, d)))
	return h, Reshape(bVar.NodeValue(x.Graph()), 1, d)
}

// Forward implements flowkit.Bijector: x = Q z + β, log-det 0.
func (o *Orthogonal) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	h, bias := o.params(s, z)
	return Add(h.apply(z), bias), flowkit.ZeroLogDet(z)
}

// Inverse implements flowkit.Bijector: z = Qᵀ (x - β), log-det 0.
func (o *Orthogonal) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	h, bias := o.params(s, x)
	return h.applyT(Sub(x, bias)), flowkit.ZeroLogDet(x)
}

// householder is the product Q = H_1 ⋯ H_K of the reflections given by the rows of vectors.
type householder struct {
	vectors *Node // [K, D]
	k, d    int
}

// newHouseholder creates or fetches the variable "householder" [K, D] (K = 0: D) in scope s.
func newHouseholder(who string, s *model.Scope, x *Node, k int, init Init, seed uint64) *householder {
	d := lastDim(x)
	if k == 0 {
		k = d
	}
	if init == InitIdentity && k%2 == 1 {
		k++
	}
	v := variable(who, s, "householder", shapeOf(x.DType(), k, d), func(g *Graph, shape shapes.Shape) *Node {
		return valuesInit(initialHouseholder(k, d, init, seedFor(s, seed)))(g, shape)
	})
	return &householder{vectors: v.NodeValue(x.Graph()), k: k, d: d}
}

// initialHouseholder draws K Gaussian vectors of size d; for InitIdentity, vectors 2i and 2i+1
// are equal, so each pair of reflections cancels.
func initialHouseholder(k, d int, init Init, seed uint64) []float64 {
	if init != InitRotation && init != InitIdentity {
		panic(fmt.Errorf("linear: unknown initialisation %v", init))
	}
	r := rand.New(rand.NewPCG(seed, 0x40f5e))
	v := make([]float64, k*d)
	for i := range k {
		for j := range d {
			if init == InitIdentity && i%2 == 1 {
				v[i*d+j] = v[(i-1)*d+j]
			} else {
				v[i*d+j] = r.NormFloat64()
			}
		}
	}
	return v
}

// reflect applies H_i to every row of rows [n, D]: r - 2 (r·v) v / (v·v), O(n·D).
func (h *householder) reflect(rows *Node, i int) *Node {
	v := Slice(h.vectors, AxisRange(i, i+1), AxisRange()) // [1, D]
	coef := MulScalar(Dot(rows, Transpose(v, 0, 1)).Product(), 2)
	coef = Div(coef, ReduceAllSum(Square(v))) // 2 (r·v) / (v·v), [n, 1]
	return Sub(rows, Mul(coef, v))
}

// apply returns the rows of Q r = H_1(H_2(⋯H_K r)).
func (h *householder) apply(rows *Node) *Node {
	for i := h.k - 1; i >= 0; i-- {
		rows = h.reflect(rows, i)
	}
	return rows
}

// applyT returns the rows of Qᵀ r = H_K(⋯H_1 r).
func (h *householder) applyT(rows *Node) *Node {
	for i := 0; i < h.k; i++ {
		rows = h.reflect(rows, i)
	}
	return rows
}

var _ flowkit.Bijector = (*Orthogonal)(nil)
