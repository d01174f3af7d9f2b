package linear

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// LU is the LU-parameterised linear flow of eq. 16.9:
//
//	x = f(z) = Ω z + β,   Ω = P L (U + D)
//
// with P a fixed permutation, L unit lower-triangular, U strictly upper-triangular and
// D = diag(sign_i · s_i) a diagonal with a fixed sign and a positive magnitude s_i = exp(s̃_i)
// or softplus(s̃_i) (Magnitude). Ω is invertible for any value of the parameters, and
//
//	log|det ∂f/∂z| = log|det Ω| = Σ_i log s_i,
//
// an O(D) sum. Both directions cost O(D²) per example: Forward multiplies by the three
// factors in turn (Ω is never formed); Inverse solves z = (U + D)⁻¹ L⁻¹ Pᵀ (x - β) by two
// triangular solves (UnitLowerSolve and UpperSolve): no dense inverse and no O(D³) work.
//
// The input is [batch, D]. The variables, under the bijector's scope, are "lower", "upper"
// and "log_scale" (trainable, [D, D], [D, D], [D]), "bias" β (trainable, [D]), and the fixed
// "perm" (int32 indices, (P y)_i = y_perm_i) and "sign" ([D]), which are not trained but are
// saved with the checkpoint. The initial Ω is a random rotation factored by gonum on the host
// (Init, default), or the identity; the random rotation is drawn from Seed and the scope's
// path, so two LU layers of a chain start at different rotations.
type LU struct {
	// Init chooses the initial Ω: InitRotation (default) or InitIdentity.
	Init Init
	// Magnitude chooses s = exp(s̃) (default) or softplus(s̃).
	Magnitude Magnitude
	// Seed varies the random initial rotation (combined with the scope path).
	Seed uint64
}

// NewLU returns an LU linear flow starting at a random rotation with s = exp(s̃).
func NewLU() *LU { return &LU{} }

// Name implements flowkit.Named.
func (l *LU) Name() string {
	if l.Magnitude == MagnitudeExp {
		return "LU"
	}
	return fmt.Sprintf("LU(%s)", l.Magnitude)
}

func (l *LU) params(s *model.Scope, x *Node) (*luParams, *Node) {
	checkInput("linear.LU", x, 2, "[batch, D] (use linear.Conv1x1 for images)")
	if x.Rank() != 2 {
		panic(fmt.Errorf("linear.LU: the input has shape %v, want [batch, D] (use linear.Conv1x1 for images)", x.Shape().Dimensions))
	}
	d := lastDim(x)
	p := newLUParams("linear.LU", s, x.Graph(), x.DType(), d, l.Init, l.Magnitude, l.Seed)
	bias := variable("linear.LU", s, "bias", shapeOf(x.DType(), d), valuesInit(make([]float64, d))).NodeValue(x.Graph())
	return p, Reshape(bias, 1, d)
}

// Forward implements flowkit.Bijector: x = P L (U + D) z + β, O(D²) per example.
func (l *LU) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	p, bias := l.params(s, z)
	return Add(p.apply(z), bias), perExample(p.logDet(), z)
}

// Inverse implements flowkit.Bijector: z = (U + D)⁻¹ L⁻¹ Pᵀ (x - β) by two triangular solves,
// O(D²) per example; the log-determinant is -Σ log s_i.
func (l *LU) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	p, bias := l.params(s, x)
	return p.solve(Sub(x, bias)), perExample(Neg(p.logDet()), x)
}

// Matrix returns Ω = P L (U + D) as a [D, D] node, the flow's Jacobian, for inspection (O(D³)).
// It reads the variables of scope s, creating them for the event size and dtype of like (a
// [batch, D] node) if the flow has not run yet.
func (l *LU) Matrix(s *model.Scope, like *Node) *Node {
	p, _ := l.params(s, like)
	return p.matrix()
}

var _ flowkit.Bijector = (*LU)(nil)
