package flowkit

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Distribution is a density on an event shape, used as a flow's base distribution and as a
// target in reverse-KL training.
//
// LogProb takes x [batch, event...] and returns log p(x) [batch] in nats. Sample draws n
// examples [n, event...] in dtype from the store's random number generator. cond is an optional
// conditioning input (nil for the unconditional distributions of this package).
type Distribution interface {
	LogProb(s *model.Scope, x, cond *Node) *Node
	Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, cond *Node) *Node
	// EventShape is the shape of one example, e.g. [D] or [H, W, C].
	EventShape() []int
}

// shapesDType is GoMLX's dtype type, named here to keep signatures short.
type shapesDType = dtypes.DType

const log2Pi = 1.8378770664093453 // ln(2π)

func eventSize(event []int) int {
	n := 1
	for _, d := range event {
		n *= d
	}
	return n
}

func withBatch(n int, event []int) []int { return append([]int{n}, event...) }

// Normal is the standard normal distribution N(0, I) on an event shape.
type Normal struct{ Event []int }

// StandardNormal returns N(0, I) on the event shape dims (e.g. StandardNormal(2) or
// StandardNormal(28, 28, 1)).
func StandardNormal(dims ...int) *Normal { return &Normal{Event: dims} }

// Name implements Named.
func (d *Normal) Name() string { return fmt.Sprintf("StandardNormal%v", d.Event) }

// EventShape implements Distribution.
func (d *Normal) EventShape() []int { return d.Event }

// LogProb implements Distribution: -½‖x‖² - (D/2) ln 2π.
func (d *Normal) LogProb(_ *model.Scope, x, _ *Node) *Node {
	D := float64(eventSize(d.Event))
	return AddScalar(MulScalar(SumEvent(Square(x)), -0.5), -0.5*D*log2Pi)
}

// Sample implements Distribution.
func (d *Normal) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, _ *Node) *Node {
	return s.RandomNormal(g, shapes.Make(dtype, withBatch(n, d.Event)...))
}

// DiagNormal is a normal distribution with a learnable mean and log standard deviation per
// dimension (variables "loc" and "log_scale", initialised to N(0, I)).
type DiagNormal struct{ Event []int }

// NewDiagNormal returns a learnable diagonal normal on the event shape dims.
func NewDiagNormal(dims ...int) *DiagNormal { return &DiagNormal{Event: dims} }

// Name implements Named.
func (d *DiagNormal) Name() string { return fmt.Sprintf("DiagNormal%v", d.Event) }

// EventShape implements Distribution.
func (d *DiagNormal) EventShape() []int { return d.Event }

func (d *DiagNormal) params(s *model.Scope, g *Graph, dtype shapesDType) (loc, logScale *Node) {
	s = s.WithInitializer(initializer.Zero)
	loc = s.VariableWithShape("loc", shapes.Make(dtype, d.Event...)).NodeValue(g)
	logScale = s.VariableWithShape("log_scale", shapes.Make(dtype, d.Event...)).NodeValue(g)
	// A leading batch axis of size 1, since GoMLX broadcasts only axes of equal rank.
	return InsertAxes(loc, 0), InsertAxes(logScale, 0)
}

// LogProb implements Distribution.
func (d *DiagNormal) LogProb(s *model.Scope, x, _ *Node) *Node {
	loc, logScale := d.params(s, x.Graph(), x.DType())
	u := Mul(Sub(x, loc), Exp(Neg(logScale)))
	D := float64(eventSize(d.Event))
	lp := AddScalar(MulScalar(SumEvent(Square(u)), -0.5), -0.5*D*log2Pi)
	return Sub(lp, ReduceAllSum(logScale))
}

// Sample implements Distribution.
func (d *DiagNormal) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, _ *Node) *Node {
	loc, logScale := d.params(s, g, dtype)
	eps := s.RandomNormal(g, shapes.Make(dtype, withBatch(n, d.Event)...))
	return Add(Mul(eps, Exp(logScale)), loc)
}

// Uniform is the uniform distribution on the box [Low, High]^D (problem 16.1). LogProb is
// -Σ ln(High-Low) inside the box and -Inf outside.
type Uniform struct {
	Event     []int
	Low, High float64
}

// NewUniform returns the uniform distribution on [low, high] for each of the event dims.
func NewUniform(low, high float64, dims ...int) *Uniform {
	return &Uniform{Event: dims, Low: low, High: high}
}

// Name implements Named.
func (d *Uniform) Name() string { return fmt.Sprintf("Uniform[%g,%g]%v", d.Low, d.High, d.Event) }

// EventShape implements Distribution.
func (d *Uniform) EventShape() []int { return d.Event }

// LogProb implements Distribution.
func (d *Uniform) LogProb(_ *model.Scope, x, _ *Node) *Node {
	inside := LogicalAnd(GreaterOrEqual(x, Scalar(x.Graph(), x.DType(), d.Low)),
		LessOrEqual(x, Scalar(x.Graph(), x.DType(), d.High)))
	// All event entries inside: the count of outside entries is zero.
	outside := SumEvent(ConvertDType(LogicalNot(inside), x.DType()))
	D := float64(eventSize(d.Event))
	inVal := -D * math.Log(d.High-d.Low)
	g := x.Graph()
	return Where(IsZero(outside), FillScalar(g, outside.Shape(), inVal), FillScalar(g, outside.Shape(), math.Inf(-1)))
}

// Sample implements Distribution.
func (d *Uniform) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, _ *Node) *Node {
	u := s.RandomUniform(g, shapes.Make(dtype, withBatch(n, d.Event)...))
	return AddScalar(MulScalar(u, d.High-d.Low), d.Low)
}

// StandardLogistic is the standard logistic distribution on each event dimension,
// log p(x) = Σ -x - 2 softplus(-x), the base NICE uses.
type StandardLogistic struct{ Event []int }

// NewStandardLogistic returns the standard logistic distribution on the event shape dims.
func NewStandardLogistic(dims ...int) *StandardLogistic { return &StandardLogistic{Event: dims} }

// Name implements Named.
func (d *StandardLogistic) Name() string { return fmt.Sprintf("Logistic%v", d.Event) }

// EventShape implements Distribution.
func (d *StandardLogistic) EventShape() []int { return d.Event }

// LogProb implements Distribution.
func (d *StandardLogistic) LogProb(_ *model.Scope, x, _ *Node) *Node {
	return SumEvent(Sub(Neg(x), MulScalar(Softplus(Neg(x)), 2)))
}

// Sample implements Distribution, by the inverse CDF: x = log u - log(1-u).
func (d *StandardLogistic) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, _ *Node) *Node {
	u := s.RandomUniform(g, shapes.Make(dtype, withBatch(n, d.Event)...))
	eps := 1e-6
	u = ClipScalar(u, eps, 1-eps)
	return Sub(Log(u), Log1p(Neg(u)))
}

// Mixture is a fixed mixture of isotropic-per-axis Gaussians on R^D: component k has weight
// Weights[k], mean Means[k] (length D) and per-axis standard deviations Stds[k] (length D).
// It serves as the 1D and 2D example densities and as a teacher density.
type Mixture struct {
	Weights []float64
	Means   [][]float64
	Stds    [][]float64
}

// NewMixture1D returns a mixture of 1D Gaussians with the given weights, means and standard
// deviations; weights are normalised to sum to one.
func NewMixture1D(weights, means, stds []float64) *Mixture {
	m := &Mixture{}
	for k := range weights {
		m.Weights = append(m.Weights, weights[k])
		m.Means = append(m.Means, []float64{means[k]})
		m.Stds = append(m.Stds, []float64{stds[k]})
	}
	m.normalize()
	return m
}

func (m *Mixture) normalize() {
	sum := 0.0
	for _, w := range m.Weights {
		sum += w
	}
	for k := range m.Weights {
		m.Weights[k] /= sum
	}
}

// Name implements Named.
func (m *Mixture) Name() string { return fmt.Sprintf("Mixture(%d)", len(m.Weights)) }

// EventShape implements Distribution.
func (m *Mixture) EventShape() []int { return []int{len(m.Means[0])} }

// LogProbAt evaluates log p(x) on the host in float64, for checks and numerical integration.
func (m *Mixture) LogProbAt(x []float64) float64 {
	best := math.Inf(-1)
	terms := make([]float64, len(m.Weights))
	for k := range m.Weights {
		t := math.Log(m.Weights[k])
		for i, xi := range x {
			u := (xi - m.Means[k][i]) / m.Stds[k][i]
			t += -0.5*u*u - math.Log(m.Stds[k][i]) - 0.5*log2Pi
		}
		terms[k] = t
		best = math.Max(best, t)
	}
	sum := 0.0
	for _, t := range terms {
		sum += math.Exp(t - best)
	}
	return best + math.Log(sum)
}

// LogProb implements Distribution (log-sum-exp over components).
func (m *Mixture) LogProb(_ *model.Scope, x, _ *Node) *Node {
	g, dt := x.Graph(), x.DType()
	K, D := len(m.Weights), len(m.Means[0])
	means, invStd, logW := make([]float64, K*D), make([]float64, K*D), make([]float64, K)
	for k := 0; k < K; k++ {
		logW[k] = math.Log(m.Weights[k])
		for i := 0; i < D; i++ {
			means[k*D+i] = m.Means[k][i]
			invStd[k*D+i] = 1 / m.Stds[k][i]
			logW[k] -= math.Log(m.Stds[k][i]) + 0.5*log2Pi
		}
	}
	mu := Reshape(constOf(g, dt, means), 1, K, D)
	is := Reshape(constOf(g, dt, invStd), 1, K, D)
	u := Mul(Sub(InsertAxes(x, 1), mu), is)                                                  // [batch, K, D]
	t := Add(MulScalar(ReduceSum(Square(u), -1), -0.5), Reshape(constOf(g, dt, logW), 1, K)) // [batch, K]
	return ReduceLogSumExp(t, -1)
}

// Sample implements Distribution: a component by its weight, then a Gaussian draw.
func (m *Mixture) Sample(s *model.Scope, g *Graph, dtype shapesDType, n int, _ *Node) *Node {
	K, D := len(m.Weights), len(m.Means[0])
	cum := make([]float64, K)
	acc := 0.0
	for k, w := range m.Weights {
		acc += w
		cum[k] = acc
	}
	u := s.RandomUniform(g, shapes.Make(dtype, n, 1))
	// Component index = number of cumulative weights below u (last one forced to cover u < 1).
	cum[K-1] = 2
	idx := ReduceSum(ConvertDType(GreaterThan(u, Reshape(constOf(g, dtype, cum), 1, K)), dtype), -1) // [n]
	onehot := OneHot(ConvertDType(idx, dtypes.Int32), K, dtype)                                      // [n, K]
	means, stds := make([]float64, K*D), make([]float64, K*D)
	for k := 0; k < K; k++ {
		copy(means[k*D:], m.Means[k])
		copy(stds[k*D:], m.Stds[k])
	}
	mu := Dot(onehot, Reshape(constOf(g, dtype, means), K, D)).Product()
	sd := Dot(onehot, Reshape(constOf(g, dtype, stds), K, D)).Product()
	eps := s.RandomNormal(g, shapes.Make(dtype, n, D))
	return Add(mu, Mul(sd, eps))
}

// ReduceLogSumExp returns log Σ exp(v) along axis, computed stably.
func ReduceLogSumExp(v *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(v, ReduceMax, axis))
	return Add(Squeeze(m, axis), Log(ReduceSum(Exp(Sub(v, m)), axis)))
}

// constOf returns a constant of dtype dt holding the float64 values vs.
func constOf(g *Graph, dt shapesDType, vs []float64) *Node {
	return ConvertDType(Const(g, vs), dt)
}

func shapesOf(dt dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dt, dims...) }
