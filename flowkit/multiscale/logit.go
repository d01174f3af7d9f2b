package multiscale

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DefaultLogitAlpha is the α a zero-valued Logit uses (RealNVP's choice).
const DefaultLogitAlpha = 0.05

// Logit is the logit pre-processing of RealNVP for dequantized pixels y ∈ [0, 1]: the
// normalizing direction maps
//
//	u = logit(p),   p = α + (1 - 2α)·y,
//
// so pixels near 0 and 1 are spread out on the real line, with
//
//	log|det ∂u/∂y| = Σ [log(1 - 2α) - log p - log(1 - p)].
//
// The generative direction is y = (sigmoid(u) - α) / (1 - 2α), log|det ∂y/∂u| = Σ [log σ(u) +
// log(1 - σ(u)) - log(1 - 2α)]. Both directions cost O(1) per element. Put it last in a flow's
// chain (the data meets it first): its log-det is then part of log p(y), so the pre-processing's
// Jacobian is applied exactly once and bits/dim need no further correction (flowkit.BitsPerDim
// adds only the D·ln 256 of the [0, 256) → [0, 1) scaling). The input domain is [0, 1]
// (flowkit.Domained: Model rejects data outside it); α must be in (0, 0.5) so the endpoints map
// to finite values. Generated images land in (0, 1) up to the α margin: y ∈ (-α/(1-2α),
// (1-α)/(1-2α)) before clamping for display.
type Logit struct {
	// Alpha is α in (0, 0.5); 0 means DefaultLogitAlpha.
	Alpha float64
}

// Name implements flowkit.Named.
func (l Logit) Name() string { return fmt.Sprintf("Logit(α=%g)", l.alpha()) }

func (l Logit) alpha() float64 {
	a := l.Alpha
	if a == 0 {
		a = DefaultLogitAlpha
	}
	if !(a > 0 && a < 0.5) {
		panic(fmt.Errorf("multiscale.Logit: Alpha = %v, want a value in (0, 0.5) (or 0 for %g)", l.Alpha, DefaultLogitAlpha))
	}
	return a
}

// Domain implements flowkit.Domained: dequantized pixels in [0, 1].
func (l Logit) Domain() (lo, hi float64, bounded bool) { return 0, 1, true }

// Forward implements flowkit.Bijector: y = (sigmoid(u) - α) / (1 - 2α).
func (l Logit) Forward(_ *model.Scope, u, _ *graph.Node) (y, logDet *graph.Node) {
	a := l.alpha()
	y = graph.DivScalar(graph.AddScalar(graph.Sigmoid(u), -a), 1-2*a)
	// log σ(u) + log(1 - σ(u)) = -softplus(-u) - softplus(u).
	ld := graph.Neg(graph.Add(graph.Softplus(graph.Neg(u)), graph.Softplus(u)))
	return y, graph.AddScalar(flowkit.SumEvent(ld), -float64(eventSize(u))*math.Log(1-2*a))
}

// Inverse implements flowkit.Bijector: u = logit(α + (1 - 2α)·y).
func (l Logit) Inverse(_ *model.Scope, y, _ *graph.Node) (u, logDet *graph.Node) {
	a := l.alpha()
	// p and 1 - p are both formed from y directly, so neither loses precision near 1.
	logP := graph.Log(graph.AddScalar(graph.MulScalar(y, 1-2*a), a))
	log1mP := graph.Log(graph.AddScalar(graph.MulScalar(graph.OneMinus(y), 1-2*a), a))
	u = graph.Sub(logP, log1mP)
	ld := graph.Neg(graph.Add(logP, log1mP))
	return u, graph.AddScalar(flowkit.SumEvent(ld), float64(eventSize(y))*math.Log(1-2*a))
}

// eventSize is the number of values of one example of v [batch, event...].
func eventSize(v *graph.Node) int {
	return v.Shape().Size() / v.Shape().Dimensions[0]
}

var (
	_ flowkit.Bijector = Logit{}
	_ flowkit.Domained = Logit{}
)
