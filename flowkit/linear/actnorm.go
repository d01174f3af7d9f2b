package linear

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ActNorm is Glow's activation normalization (Kingma & Dhariwal 2018): a per-channel affine map
// on the last axis of an input of any rank ([batch, D] or [batch, H, W, C]),
//
//	x = f(z) = z ⊙ exp(log_scale) + loc,   log|det ∂f/∂z| = P · Σ_c log_scale_c,
//
// where P is the number of positions per example (H·W for images, 1 for vectors). Both
// directions cost O(1) per element. It is a diagonal linear flow (section 16.3.1, Notes).
//
// Data-dependent initialisation: the first batch that goes through the normalizing direction
// (Inverse: LogProb, the first training step of fit.MLE) sets loc to the per-channel mean and
// log_scale to the log of the per-channel standard deviation of its input, so that batch comes
// out with zero mean and unit variance in every channel. This happens inside the graph: a
// non-trainable scalar variable "actnorm_initialized" is 0 until then; while it is 0 the graph
// computes the batch statistics and writes them into the variables "loc" and "log_scale" (and
// 1 into the flag) with SetNodeValue, so the statistics are part of the store and are saved
// with the checkpoint; a model restored from a checkpoint is not initialised again. Forward
// (sampling) never initialises: sample only from a model that has seen data. The statistics are
// only as good as the batch: a first call on a handful of examples (or one) gives extreme scales;
// InitActNorm re-runs the initialisation on a chosen, representative batch.
type ActNorm struct {
	// NoDataInit turns the data-dependent initialisation off: the layer starts at the identity
	// (loc 0, log_scale 0) and is only trained.
	NoDataInit bool
	// Epsilon is added to the variance at initialisation (default 1e-8), so a constant channel
	// gives a large but finite scale.
	Epsilon float64
}

// NewActNorm returns an ActNorm layer with data-dependent initialisation.
func NewActNorm() *ActNorm { return &ActNorm{} }

// Name implements flowkit.Named.
func (a *ActNorm) Name() string { return "ActNorm" }

// actNormFlag is the name of the variable marking an initialised ActNorm.
const actNormFlag = "actnorm_initialized"

// params returns loc and log_scale [C] for input x, initialising them from x's statistics when
// init is true and the layer has not been initialised.
func (a *ActNorm) params(s *model.Scope, x *Node, init bool) (loc, logScale *Node) {
	checkInput("linear.ActNorm", x, 2, "[batch, ..., C]")
	c, g, dt := lastDim(x), x.Graph(), x.DType()
	locVar := variable("linear.ActNorm", s, "loc", shapeOf(dt, c), valuesInit(make([]float64, c)))
	scaleVar := variable("linear.ActNorm", s, "log_scale", shapeOf(dt, c), valuesInit(make([]float64, c)))
	loc, logScale = locVar.NodeValue(g), scaleVar.NodeValue(g)
	if a.NoDataInit {
		return loc, logScale
	}
	flagVar := variable("linear.ActNorm", s, actNormFlag, shapeOf(dt), valuesInit([]float64{0})).SetTrainable(false)
	if !init || hostFlagSet(flagVar) {
		// Initialised already when this graph is built (e.g. restored from a checkpoint): the
		// graph need not carry the initialisation.
		return loc, logScale
	}
	eps := a.Epsilon
	if eps == 0 {
		eps = 1e-8
	}
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i
	}
	mean := StopGradient(ReduceMean(x, axes...))
	centred := Sub(x, ExpandLeftToRank(mean, x.Rank()))
	variance := StopGradient(ReduceMean(Square(centred), axes...))
	done := GreaterThan(flagVar.NodeValue(g), Scalar(g, dt, 0.5))
	loc = Where(done, loc, mean)
	logScale = Where(done, logScale, MulScalar(Log(AddScalar(variance, eps)), 0.5))
	locVar.SetNodeValue(loc)
	scaleVar.SetNodeValue(logScale)
	flagVar.SetNodeValue(Scalar(g, dt, 1))
	return loc, logScale
}

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

// Forward implements flowkit.Bijector: x = z ⊙ exp(log_scale) + loc. It does not initialise.
func (a *ActNorm) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	loc, logScale := a.params(s, z, false)
	r := z.Rank()
	x = Add(Mul(z, ExpandLeftToRank(Exp(logScale), r)), ExpandLeftToRank(loc, r))
	return x, perExample(MulScalar(ReduceAllSum(logScale), float64(positions(z))), z)
}

// Inverse implements flowkit.Bijector: z = (x - loc) ⊙ exp(-log_scale), initialising loc and
// log_scale from x's per-channel statistics on the first batch.
func (a *ActNorm) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	loc, logScale := a.params(s, x, true)
	r := x.Rank()
	z = Mul(Sub(x, ExpandLeftToRank(loc, r)), ExpandLeftToRank(Exp(Neg(logScale)), r))
	return z, perExample(MulScalar(ReduceAllSum(logScale), -float64(positions(x))), x)
}

// InitActNorm (re-)runs the data-dependent initialisation of every ActNorm layer of m on the
// batch x (and cond, for conditional models; nil otherwise): it marks the layers uninitialised
// and evaluates log p(x) once, which sets each layer's loc and log_scale from the statistics of
// the values reaching it. It returns the number of ActNorm layers initialised. Calling it is
// optional: the first LogProb, NLL or fit.MLE step on data initialises the layers by itself;
// use it to choose the batch (e.g. a large one) or to re-initialise.
func InitActNorm(m *flowkit.Model, x, cond any) (int, error) {
	xt, err := m.Input("x", x)
	if err != nil {
		return 0, err
	}
	ct, err := m.Cond(cond, xt.Shape().Dimensions[0])
	if err != nil {
		return 0, err
	}
	for v := range m.Store.IterVariables() {
		if strings.HasSuffix(v.Path(), "/"+actNormFlag) {
			zero := tensors.FromShape(v.Shape())
			if err := v.SetValue(zero); err != nil {
				return 0, err
			}
		}
	}
	// A new graph: one built earlier may have left the initialisation out (see ActNorm).
	exec, err := model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) *Node {
		var c *Node
		if len(inputs) > 1 {
			c = inputs[1]
		}
		return m.Flow.LogProb(flowkit.FlowScope(s), inputs[0], c)
	})
	if err != nil {
		return 0, err
	}
	defer exec.Finalize()
	args := []any{xt}
	if ct != nil {
		args = append(args, ct)
	}
	out, err := exec.Exec(args...)
	if err != nil {
		return 0, fmt.Errorf("linear.InitActNorm: %w", err)
	}
	for _, o := range out {
		for _, v := range flowkit.Float64s(o) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("linear.InitActNorm: log p(x) is not finite after initialisation (a constant channel?)")
			}
		}
	}
	n := 0
	for v := range m.Store.IterVariables() {
		if strings.HasSuffix(v.Path(), "/"+actNormFlag) && hostFlagSet(v) {
			n++
		}
	}
	return n, nil
}

var _ flowkit.Bijector = (*ActNorm)(nil)
