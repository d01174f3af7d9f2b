package transformer

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// Affine is y = x·exp(s) + t with parameters (t, s̃) and a softly bounded log-scale
// s = c·tanh(s̃/c), c = LogScaleBound, so scales stay in [e^-c, e^c] and deep stacks do not
// explode (RealNVP, Glow). With LogScaleBound <= 0 the log-scale is unbounded, s = s̃.
type Affine struct {
	LogScaleBound float64
}

// DefaultLogScaleBound is the soft bound on affine log-scales used by NewAffine.
const DefaultLogScaleBound = 5.0

// NewAffine returns the affine transformer with the default soft bound on its log-scale.
func NewAffine() *Affine { return &Affine{LogScaleBound: DefaultLogScaleBound} }

// Name implements Transformer.
func (a *Affine) Name() string { return fmt.Sprintf("Affine(bound=%g)", a.LogScaleBound) }

// NumParams implements Transformer: shift and raw log-scale.
func (a *Affine) NumParams() int { return 2 }

// IdentityParams implements Transformer.
func (a *Affine) IdentityParams() []float64 { return []float64{0, 0} }

// ShiftAndLogScale returns the constrained parameters t and s from raw params [..., D, 2].
func (a *Affine) ShiftAndLogScale(params *Node) (shift, logScale *Node) {
	shift, logScale = param(params, 0), param(params, 1)
	if c := a.LogScaleBound; c > 0 {
		logScale = MulScalar(Tanh(DivScalar(logScale, c)), c)
	}
	return shift, logScale
}

// Forward implements Transformer.
func (a *Affine) Forward(x, params *Node) (*Node, *Node) {
	checkParams(a, x, params)
	shift, ls := a.ShiftAndLogScale(broadcastParams(x, params))
	return Add(Mul(x, Exp(ls)), shift), ls
}

// Inverse implements Transformer.
func (a *Affine) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(a, y, params)
	shift, ls := a.ShiftAndLogScale(broadcastParams(y, params))
	return Mul(Sub(y, shift), Exp(Neg(ls))), Neg(ls)
}

// Additive is y = x + t (NICE): volume preserving, log-derivative 0.
type Additive struct{}

// Name implements Transformer.
func (Additive) Name() string { return "Additive" }

// NumParams implements Transformer: the shift.
func (Additive) NumParams() int { return 1 }

// IdentityParams implements Transformer.
func (Additive) IdentityParams() []float64 { return []float64{0} }

// Forward implements Transformer.
func (t Additive) Forward(x, params *Node) (*Node, *Node) {
	checkParams(t, x, params)
	return Add(x, param(broadcastParams(x, params), 0)), ZerosLike(x)
}

// Inverse implements Transformer.
func (t Additive) Inverse(y, params *Node) (*Node, *Node) {
	checkParams(t, y, params)
	return Sub(y, param(broadcastParams(y, params), 0)), ZerosLike(y)
}
