package linear

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Conv1x1 is Glow's invertible 1×1 convolution (Kingma & Dhariwal 2018; seed 002): one C×C
// matrix W applied to the channel vector of every pixel of an image [batch, H, W, C],
//
//	x[b, h, w, :] = W z[b, h, w, :],   W = P L (U + diag(sign·s)),
//
// with the LU parameterisation of LU (eq. 16.9). The Jacobian is block-diagonal with H·W copies
// of W, so
//
//	log|det ∂f/∂z| = H·W·log|det W| = H·W·Σ_i log s_i,
//
// O(C) to compute. Unlike LU, which solves per example, Conv1x1 forms W (Forward) or W⁻¹
// (Inverse) once per graph — O(C³) by the factors and, for W⁻¹, the two triangular solves
// applied to the identity — and then multiplies every pixel by it (one [B·H·W, C]×[C, C]
// product): for the many pixels of an image batch this is cheaper than per-pixel solves. Both
// directions cost O(C³ + B·H·W·C²).
//
// The input is [batch, ..., C]: any number of spatial axes (none for vectors); the map acts on
// the last axis. There is no bias (Glow puts it in ActNorm). The variables are those of LU
// without "bias"; the initial W is a random rotation (Init, default) or the identity.
type Conv1x1 struct {
	// Init chooses the initial W: InitRotation (default) or InitIdentity.
	Init Init
	// Magnitude chooses s = exp(s̃) (default) or softplus(s̃).
	Magnitude Magnitude
	// Seed varies the random initial rotation (combined with the scope path).
	Seed uint64
}

// NewConv1x1 returns an invertible 1×1 convolution starting at a random rotation.
func NewConv1x1() *Conv1x1 { return &Conv1x1{} }

// Name implements flowkit.Named.
func (c *Conv1x1) Name() string {
	if c.Magnitude == MagnitudeExp {
		return "Conv1x1"
	}
	return fmt.Sprintf("Conv1x1(%s)", c.Magnitude)
}

func (c *Conv1x1) params(s *model.Scope, x *Node) *luParams {
	checkInput("linear.Conv1x1", x, 2, "[batch, H, W, C] (or [batch, ..., C])")
	return newLUParams("linear.Conv1x1", s, x.Graph(), x.DType(), lastDim(x), c.Init, c.Magnitude, c.Seed)
}

// Forward implements flowkit.Bijector: every pixel's channels multiplied by W, formed once.
func (c *Conv1x1) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	p := c.params(s, z)
	x = flowkit.MatMulLast(z, Transpose(p.matrix(), 0, 1))
	return x, perExample(MulScalar(p.logDet(), float64(positions(z))), z)
}

// Inverse implements flowkit.Bijector: every pixel's channels multiplied by W⁻¹, computed once
// per graph by two triangular solves on the identity.
func (c *Conv1x1) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	p := c.params(s, x)
	z = flowkit.MatMulLast(x, p.inverseTransposed())
	return z, perExample(MulScalar(p.logDet(), -float64(positions(x))), x)
}

var _ flowkit.Bijector = (*Conv1x1)(nil)
