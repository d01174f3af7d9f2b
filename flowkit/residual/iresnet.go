package residual

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// IResNet is an invertible residual block (Behrmann et al. 2019; section 16.3.7):
//
//	Inverse (normalizing, cheap):  z = x + g(x),   log|det ∂z/∂x| = log det(I + J_g(x))
//	Forward (generative, iterative): x solves x + g(x) = z by x_{k+1} = z - g(x_k) (eq. 16.21),
//	                                 log|det ∂x/∂z| = -log det(I + J_g(x))
//
// g (Net) is a contraction, Lip(g) < 1, enforced by spectral normalisation of its weights; this
// makes z = x + g(x) a bijection and the iteration converge (eq. 16.20). The log-determinant
// comes from LogDet (default Exact); the residual map is on the density side so that LogProb costs
// one pass of g plus the estimator, and sampling pays for the iteration (see the package doc).
//
// The generative direction is differentiable: the loop itself is not, but its result gets the
// implicit-function gradient dx = (I + J_g(x))⁻¹ (dz - ∂g/∂θ dθ), the adjoint solve
// w = v - J_gᵀ w by the same fixed-point iteration (with reverse-mode products of g).
// Non-converged examples come out as NaN unless FixedPoint.KeepUnconverged; ForwardStats and
// Generate report the iteration count and residual.
//
// The variables of g live under the sub-scope "g" of the block's scope.
type IResNet struct {
	// Net is the residual branch g.
	Net Net
	// LogDet estimates log det(I + J_g); nil means Exact.
	LogDet LogDet
	// FixedPoint configures the generative direction's iteration.
	FixedPoint FixedPoint
}

// NewIResNet returns a block with residual branch net and log-determinant estimator est (nil for
// Exact).
func NewIResNet(net Net, est LogDet) *IResNet { return &IResNet{Net: net, LogDet: est} }

// Name implements flowkit.Named: "IResNet(<net>)". The log-determinant estimator is not part of
// the name (nor of the scope a chain gives the block), so a model trained with a stochastic
// estimator can be evaluated with Exact by changing the block's LogDet field: the variables
// are the same.
func (b *IResNet) Name() string { return fmt.Sprintf("IResNet(%s)", b.net()) }

func (b *IResNet) net() Net {
	if b.Net == nil {
		panic(fmt.Errorf("residual.IResNet: Net (the residual branch g) is nil"))
	}
	return b.Net
}

func (b *IResNet) estimator() LogDet {
	if b.LogDet == nil {
		return Exact{}
	}
	return b.LogDet
}

// Inverse implements flowkit.Bijector: z = x + g(x) and log det(I + J_g(x)).
func (b *IResNet) Inverse(s *model.Scope, x, cond *Node) (z, logDet *Node) {
	r := b.net().Build(s.At("g"), x, cond)
	lin := r.Linearize(x)
	return Add(x, lin.Value()), b.estimator().Estimate(s, lin)
}

// Forward implements flowkit.Bijector: x with x + g(x) = z by fixed-point iteration, and
// -log det(I + J_g(x)).
func (b *IResNet) Forward(s *model.Scope, z, cond *Node) (x, logDet *Node) {
	x, logDet, _ = b.ForwardStats(s, z, cond)
	return x, logDet
}

// ForwardStats is Forward, also returning the fixed-point iteration's statistics as graph nodes.
// The statistics are also recorded in the graph, for Generate to collect.
func (b *IResNet) ForwardStats(s *model.Scope, z, cond *Node) (x, logDet *Node, stats FixedPointNodes) {
	r := b.net().Build(s.At("g"), z, cond)
	stats = SolveFixedPoint(StopGradient(z), r.Apply, b.FixedPoint)
	xs := StopGradient(stats.X)
	// h equals xs at the fixed point (to within the residual); its gradient is dz - ∂g/∂θ dθ,
	// and the custom gradient applies (I + J_g(xs))⁻ᵀ to the incoming cotangent.
	h := Sub(z, r.Apply(xs))
	x = IdentityWithCustomGradient(h, func(_, v *Node) *Node {
		return adjointSolve(r.Linearize(xs), v, b.FixedPoint) // built only when a gradient is taken
	})
	lin := r.Linearize(x)
	logDet = Neg(b.estimator().Estimate(s, lin))
	recordStats(x.Graph(), s.Scope(), stats)
	return x, logDet, stats
}

// adjointSolve returns w = (I + Jᵀ)⁻¹ v by the iteration w_{k+1} = v - Jᵀ w_k, with the tolerance
// scaled by the size of v; unconverged entries are kept (a gradient, not a sample).
func adjointSolve(lin Linearization, v *Node, fp FixedPoint) *Node {
	g, dt := v.Graph(), v.DType()
	tol := fp.tolFor(dt)
	scale := MaxScalar(ReduceAllMax(perExampleNorm(v)), 1)
	vjp := func(w *Node) *Node { return dropProbeAxis(lin.VJP(withProbeAxis(w))) }
	out := solveFixedPoint(v, vjp, Mul(Scalar(g, dt, tol), scale), tol, fp.maxIter(), true)
	return out.X
}

// statsKey is the graph parameter holding the fixed-point statistics of the graph's blocks.
const statsKey = "/residual_fixed_point_stats"

type recordedStats struct {
	block string
	nodes FixedPointNodes
}

func recordStats(g *Graph, block string, st FixedPointNodes) {
	var list []recordedStats
	if v, found := model.GetGraphParam(g, statsKey); found {
		list, _ = v.([]recordedStats)
	}
	model.SetGraphParam(g, statsKey, append(list, recordedStats{block: block, nodes: st}))
}

func recordedIn(g *Graph) []recordedStats {
	if v, found := model.GetGraphParam(g, statsKey); found {
		list, _ := v.([]recordedStats)
		return list
	}
	return nil
}

// NormalizedWeights returns the spectrally normalised weights of the block's branch, as the
// graph uses them, for the block at scope s (e.g. to measure their norms by SVD).
func (b *IResNet) NormalizedWeights(s *model.Scope, like *Node) []NamedNode {
	return b.net().Build(s.At("g"), like, nil).Weights()
}
