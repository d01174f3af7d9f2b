package linear

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// QR is the QR-parameterised linear flow of Hoogeboom et al. (2019):
//
//	x = f(z) = Q (R + diag(s)) z + β,   log|det ∂f/∂z| = Σ_i log s_i
//
// with Q = H_1 ⋯ H_K a product of Householder reflections (as in Orthogonal), R strictly
// upper-triangular and s a positive magnitude, s = exp(s̃) or softplus(s̃) (Magnitude). Like LU
// it is invertible for every parameter value with an O(D) log-determinant, but the orthogonal
// factor is learned, so no fixed permutation has to be chosen. Forward costs O(D² + K·D) per
// example; Inverse z = (R + diag(s))⁻¹ Qᵀ (x - β) costs the K reflections and one triangular
// solve (UpperSolve), also O(D² + K·D).
//
// The input is [batch, D]; the variables are "householder" ([K, D]), "upper" ([D, D], only its
// strictly upper part is used), "log_scale" s̃ ([D]) and "bias" β ([D]), all trainable. It starts
// at a random orthogonal matrix (InitRotation: Gaussian Householder vectors, R = 0, s = 1) or at
// the identity (InitIdentity).
type QR struct {
	// K is the number of Householder reflections; 0 means D.
	K int
	// Init chooses the initial matrix: InitRotation (default) or InitIdentity.
	Init Init
	// Magnitude chooses s = exp(s̃) (default) or softplus(s̃).
	Magnitude Magnitude
	// Seed varies the random initial reflections (combined with the scope path).
	Seed uint64
}

// NewQR returns a QR linear flow with D reflections starting at a random orthogonal matrix.
func NewQR() *QR { return &QR{} }

// Name implements flowkit.Named.
func (q *QR) Name() string {
	if q.Magnitude == MagnitudeExp {
		return "QR"
	}
	return fmt.Sprintf("QR(%s)", q.Magnitude)
}

func (q *QR) params(s *model.Scope, x *Node) (h *householder, strictU, diag, logDet, bias *Node) {
	checkInput("linear.QR", x, 2, "[batch, D]")
	if x.Rank() != 2 {
		panic(fmt.Errorf("linear.QR: the input has shape %v, want [batch, D]", x.Shape().Dimensions))
	}
	if q.K < 0 {
		panic(fmt.Errorf("linear.QR: K = %d reflections, want K ≥ 0 (0 means D)", q.K))
	}
	d, g, dt := lastDim(x), x.Graph(), x.DType()
	h = newHouseholder("linear.QR", s, x, q.K, q.Init, q.Seed)
	upper := variable("linear.QR", s, "upper", shapeOf(dt, d, d), valuesInit(make([]float64, d*d)))
	ones := make([]float64, d)
	for i := range ones {
		ones[i] = q.Magnitude.raw(1)
	}
	raw := variable("linear.QR", s, "log_scale", shapeOf(dt, d), valuesInit(ones))
	bVar := variable("linear.QR", s, "bias", shapeOf(dt, d), valuesInit(make([]float64, d)))
	strictU = Mul(upper.NodeValue(g), strictlyUpperMask(g, dt, d))
	var logS *Node
	diag, logS = q.Magnitude.positive(raw.NodeValue(g))
	return h, strictU, diag, ReduceAllSum(logS), Reshape(bVar.NodeValue(g), 1, d)
}

// Forward implements flowkit.Bijector: x = Q (R + diag(s)) z + β.
func (q *QR) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	h, strictU, diag, ld, bias := q.params(s, z)
	y := matMulRowsT(z, Add(strictU, diagMatrix(diag)))
	return Add(h.apply(y), bias), perExample(ld, z)
}

// Inverse implements flowkit.Bijector: z = (R + diag(s))⁻¹ Qᵀ (x - β), one triangular solve.
func (q *QR) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	h, strictU, diag, ld, bias := q.params(s, x)
	y := h.applyT(Sub(x, bias))
	return UpperSolve(strictU, diag, y), perExample(Neg(ld), x)
}

var _ flowkit.Bijector = (*QR)(nil)
