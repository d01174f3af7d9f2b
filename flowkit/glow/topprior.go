package glow

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// DefaultTopPriorFactor is TopPrior's default parameter scale (Glow's logscale_factor).
const DefaultTopPriorFactor = 3

// TopPrior is Glow's learned top prior: the last level's latent x [batch, event...] is modelled
// as N(μ, σ²) with one mean and one scale per element, written as an elementwise affine bijector
// so that a standard normal base gives exactly that density:
//
//	normalizing  z = (x - μ) / σ,   log|det ∂z/∂x| = -Σ log σ;   generative  x = μ + σ·z.
//
// Temperature sampling then draws x = μ + T·σ·ε, Glow's tempered top prior. Both directions are
// O(1) per element.
//
// The variables are "mean" and "log_scale" [event...], multiplied by Factor before use (μ =
// Factor·mean, log σ = Factor·log_scale, as Glow's logscale_factor): Adam moves every variable by
// about the learning rate per step, and a per-element scale that must travel several units would
// otherwise need thousands of steps. Data-dependent initialisation (unless NoDataInit): the first
// batch through the normalizing direction sets μ and log σ to each element's mean and log
// standard deviation over the batch, so that batch comes out standardised element by element
// (ActNorm per element rather than per channel). On MNIST this gives the constant border its
// narrow density from the first step. The initialisation uses a non-trainable flag named like
// ActNorm's ("actnorm_initialized"), so linear.InitActNorm initialises it with the ActNorm
// layers and checkpoints carry it.
type TopPrior struct {
	// Factor multiplies the variables (0: DefaultTopPriorFactor).
	Factor float64
	// NoDataInit starts at N(0, 1) (for the verification harness).
	NoDataInit bool
	// Epsilon is added to each element's variance at initialisation (default 1e-6), bounding
	// the initial σ below by 10⁻³.
	Epsilon float64
}

// Name implements flowkit.Named.
func (p *TopPrior) Name() string { return "TopPrior" }

func (p *TopPrior) factor() float64 {
	if p.Factor == 0 {
		return DefaultTopPriorFactor
	}
	if !(p.Factor > 0) || math.IsInf(p.Factor, 0) {
		panic(fmt.Errorf("glow.TopPrior: Factor = %v, want a positive finite value", p.Factor))
	}
	return p.Factor
}

// params returns μ and log σ [1, event...], initialising them from x when init is set.
func (p *TopPrior) params(s *model.Scope, x *Node, init bool) (mu, logSigma *Node) {
	if x.Rank() < 2 {
		panic(fmt.Errorf("glow.TopPrior: input shape %v: want [batch, event...]", x.Shape().Dimensions))
	}
	g, dt := x.Graph(), x.DType()
	event := x.Shape().Dimensions[1:]
	f := p.factor()
	variable := func(name string, trainable bool) *model.Variable {
		shape := shapes.Make(dt, event...)
		if !trainable {
			shape = shapes.Make(dt)
		}
		if v := s.GetVariable(name); v != nil && !v.Shape().Equal(shape) {
			panic(fmt.Errorf("glow.TopPrior: variable %q has shape %s but this input needs %s", name, v.Shape(), shape))
		}
		return s.WithInitializer(initializer.Zero).VariableWithShape(name, shape).SetTrainable(trainable)
	}
	meanVar, scaleVar := variable("mean", true), variable("log_scale", true)
	mean, logScale := meanVar.NodeValue(g), scaleVar.NodeValue(g)
	if !p.NoDataInit && init {
		flag := variable(actNormFlag, false)
		if !hostFlagSet(flag) {
			eps := p.Epsilon
			if eps == 0 {
				eps = 1e-6
			}
			m := StopGradient(ReduceMean(x, 0))
			v := StopGradient(ReduceMean(Square(Sub(x, InsertAxes(m, 0))), 0))
			done := GreaterThan(flag.NodeValue(g), Scalar(g, dt, 0.5))
			mean = Where(done, mean, DivScalar(m, f))
			logScale = Where(done, logScale, DivScalar(MulScalar(Log(AddScalar(v, eps)), 0.5), f))
			meanVar.SetNodeValue(mean)
			scaleVar.SetNodeValue(logScale)
			flag.SetNodeValue(Scalar(g, dt, 1))
		}
	}
	return InsertAxes(MulScalar(mean, f), 0), InsertAxes(MulScalar(logScale, f), 0)
}

// actNormFlag is linear.ActNorm's initialisation flag name, shared so linear.InitActNorm
// (re)initialises TopPrior too.
const actNormFlag = "actnorm_initialized"

// hostFlagSet reports whether the flag variable already holds 1 on the host.
func hostFlagSet(v *model.Variable) bool {
	if !v.HasValue() {
		return false
	}
	val, err := v.Value()
	if err != nil || val.Shape().Size() != 1 {
		return false
	}
	return flowkit.Float64s(val)[0] > 0.5
}

// Forward implements flowkit.Bijector: x = μ + σ·z. It does not initialise.
func (p *TopPrior) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	mu, logSigma := p.params(s, z, false)
	x = Add(Mul(z, Exp(logSigma)), mu)
	return x, BroadcastToDims(ReduceAllSum(logSigma), z.Shape().Dimensions[0])
}

// Inverse implements flowkit.Bijector: z = (x - μ)/σ, initialising μ and σ from x on the first
// batch.
func (p *TopPrior) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	mu, logSigma := p.params(s, x, true)
	z = Mul(Sub(x, mu), Exp(Neg(logSigma)))
	return z, BroadcastToDims(Neg(ReduceAllSum(logSigma)), x.Shape().Dimensions[0])
}

var _ flowkit.Bijector = (*TopPrior)(nil)
