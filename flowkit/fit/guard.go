package fit

import (
	"errors"
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// The guard: every training step computes the loss, the gradients and the optimiser's update
// in one graph, checks them all for NaN and ±Inf, and commits the update only when everything
// is finite; otherwise every variable it would have changed (parameters, Adam's moments and
// step counters, the learning rate) keeps its value from before the step, exactly as if the
// step had not run. On such a step the trainer runs a diagnosis on the offending batch
// (Model.Trace, one bijector at a time in the density direction) and reports the first layer
// whose output went non-finite, or the first variable whose gradient or update did.

// ErrNonFinite is returned (wrapped, as a *NonFiniteError) when training stops on a non-finite
// loss, gradient or update.
var ErrNonFinite = errors.New("fit: non-finite loss or gradient")

// NonFiniteError describes a training step whose loss, gradient or update was not finite and
// where it came from. errors.Is(err, ErrNonFinite) holds for it.
type NonFiniteError struct {
	// Step is the 0-based step index.
	Step int
	// Loss and GradNorm are the step's loss and global gradient norm (before clipping).
	Loss, GradNorm float64
	// Cause is "loss" (the NLL itself), "gradient" or "update" (the optimiser's new values).
	Cause string
	// Layer is the variable scope of the layer found responsible, e.g.
	// "/flow/transform/01_Elementwise_RQSpline_K_16_B_4__", or "" when none could be named;
	// LayerName is the bijector's name when known.
	Layer, LayerName string
	// Detail says what was found there.
	Detail string
	// Trace is the per-layer diagnosis of the offending batch (for a non-finite loss).
	Trace []flowkit.LayerTrace
}

// Error implements error.
func (e *NonFiniteError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v at step %d (loss %v, gradient norm %v): ", ErrNonFinite, e.Step, e.Loss, e.GradNorm)
	if e.Layer != "" {
		fmt.Fprintf(&sb, "non-finite %s from layer %s", e.Cause, e.Layer)
		if e.LayerName != "" {
			fmt.Fprintf(&sb, " (%s)", e.LayerName)
		}
		sb.WriteString(": ")
	}
	sb.WriteString(e.Detail)
	return sb.String()
}

// Unwrap makes errors.Is(err, ErrNonFinite) true.
func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }

// stepResult is what one guarded step reports.
type stepResult struct {
	loss, gradNorm float64
	ok             bool     // everything finite: the update was committed
	badGrads       []string // variables whose gradient is not finite
	badUpdates     []string // variables whose new value would not be finite
}

// buildStep returns the guarded training step graph: inputs x, [cond], lr; outputs loss,
// gradient norm, ok flag, and one finiteness flag per gradient and per updated variable (their
// names are recorded in t.gradVars and t.updVars when the graph is built).
func (t *trainer) buildStep() (*model.Exec, error) {
	opt := optimizer.Adam().Done()
	withGrads, ok := opt.(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	if !ok {
		return nil, fmt.Errorf("fit: GoMLX's Adam no longer exposes UpdateGraphWithGradients")
	}
	clip := t.cfg.ClipNorm
	return model.NewExec(t.m.Backend, t.m.Store, func(s *model.Scope, inputs []*Node) []*Node {
		x, lr := inputs[0], inputs[len(inputs)-1]
		var cond *Node
		if len(inputs) == 3 {
			cond = inputs[1]
		}
		g := x.Graph()
		dt := x.DType()
		// Bijectors with training-only behaviour (BatchNorm's batch statistics, spectral
		// normalisation's power iterations) read GoMLX's training flag.
		s.Store().SetTraining(g, true)
		var loss *Node
		var grads []*Node
		var recomputed map[string]*Node
		if t.cfg.Recompute {
			l, vars, gs := flowkit.RecomputedNLL(flowkit.FlowScope(s), t.m.Flow, x, cond)
			loss, recomputed = l, map[string]*Node{}
			for i, v := range vars {
				recomputed[v.Path()] = gs[i]
			}
		} else {
			loss = t.nllGraph(s, x, cond)
		}
		// The variables BuildTrainableVariablesGradientsGraph differentiates, in its order.
		var gradVars []string
		for v := range s.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				gradVars = append(gradVars, v.Path())
			}
		}
		if recomputed == nil {
			grads = s.BuildTrainableVariablesGradientsGraph(loss)
		} else {
			for _, path := range gradVars {
				gr, ok := recomputed[path]
				if !ok {
					panic(fmt.Errorf("fit: Config.Recompute: variable %s has no recomputed gradient", path))
				}
				grads = append(grads, gr)
			}
		}
		sq := ScalarZero(g, dt)
		var flags []*Node
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
			flags = append(flags, allFinite(gr))
		}
		norm := Sqrt(sq)
		gradsOK := IsFinite(norm)
		for _, f := range flags {
			gradsOK = LogicalAnd(gradsOK, f)
		}
		finite := LogicalAnd(IsFinite(loss), gradsOK)
		grads = GuardGradients(s, grads, norm, finite, lr, clip)
		withGrads.UpdateGraphWithGradients(s, grads, dt)

		// Check every value the step changes; commit only if all are finite.
		var changed []*model.Variable
		for v := range s.Store().IterVariables() {
			if v.ChangedInGraph(g) {
				changed = append(changed, v)
			}
		}
		var updVars []string
		updOK := finite
		for _, v := range changed {
			if !v.DType().IsFloat() {
				continue
			}
			f := allFinite(v.NodeValue(g))
			updVars = append(updVars, v.Path())
			flags = append(flags, f)
			updOK = LogicalAnd(updOK, f)
		}
		for _, v := range changed {
			if old := g.GetParameterByName(v.Path()); old != nil {
				v.SetNodeValue(Where(updOK, v.NodeValue(g), old))
			}
		}
		t.gradVars, t.updVars = gradVars, updVars
		outs := []*Node{loss, norm, ConvertDType(updOK, dt)}
		if len(flags) > 0 {
			fs := make([]*Node, len(flags))
			for i, f := range flags {
				fs[i] = ConvertDType(f, dt)
			}
			outs = append(outs, Stack(fs, 0))
		}
		return outs
	})
}

// allFinite is a scalar boolean: every element of v is finite.
func allFinite(v *Node) *Node {
	if v.Shape().Size() == 0 {
		return Const(v.Graph(), true)
	}
	return LogicalAll(IsFinite(v))
}

// parseStep reads a guarded step's outputs.
func (t *trainer) parseStep(outs []*tensors.Tensor) stepResult {
	r := stepResult{loss: scalar(outs[0]), gradNorm: scalar(outs[1]), ok: scalar(outs[2]) == 1}
	if !r.ok && len(outs) > 3 {
		flags := flowkit.Float64s(outs[3])
		for i, name := range t.gradVars {
			if i < len(flags) && flags[i] != 1 {
				r.badGrads = append(r.badGrads, name)
			}
		}
		for j, name := range t.updVars {
			if k := len(t.gradVars) + j; k < len(flags) && flags[k] != 1 {
				r.badUpdates = append(r.badUpdates, name)
			}
		}
	}
	return r
}

// layerOf returns the layer scope a variable path belongs to, looking through the optimiser's
// mirror scope ("/AdamOptimizer/flow/…/params_1st_moment" belongs to "/flow/…").
func layerOf(varPath string) string {
	p := strings.TrimPrefix(varPath, "/"+optimizer.AdamDefaultScope)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Dir(p)
}

// diagnose explains a non-finite step on the batch (x, cond) it ran on. The parameters are
// those before the step (the guard did not commit it), so the diagnosis sees the same numbers.
func (t *trainer) diagnose(step int, r stepResult, x, cond *tensors.Tensor) *NonFiniteError {
	e := &NonFiniteError{Step: step, Loss: r.loss, GradNorm: r.gradNorm}
	var c any
	if cond != nil {
		c = cond
	}
	trace, traceErr := t.m.Trace(x, c)
	e.Trace = trace
	nameOf := func(scope string) string {
		for _, l := range trace {
			if l.Scope == scope || strings.HasPrefix(scope, l.Scope+"/") {
				return l.Name
			}
		}
		return ""
	}
	lossBad := math.IsNaN(r.loss) || math.IsInf(r.loss, 0)
	switch {
	case lossBad && traceErr != nil:
		e.Cause = "loss"
		e.Detail = "the per-layer diagnosis failed: " + traceErr.Error()
	case lossBad:
		e.Cause = "loss"
		if l, ok := flowkit.FirstNonFinite(trace); ok {
			e.Layer, e.LayerName = l.Scope, l.Name
			prev := trace[max(0, l.Stage-1)]
			e.Detail = fmt.Sprintf("in the density direction x → z it is stage %d of %d, the first whose output is not finite "+
				"(%d non-finite values and %d non-finite log-dets on this batch of %d; its input, from %s, had max |value| %.3g)",
				l.Stage, len(trace)-1, l.NonFinite, l.NonFiniteLogDet, x.Shape().Dimensions[0], prev.Scope, prev.MaxAbs)
		} else {
			e.Detail = "every layer's output and log-det is finite on this batch; the sum of the log-densities overflowed " +
				"into the loss (values too large for the dtype?)"
		}
	case len(r.badGrads) > 0:
		e.Cause = "gradient"
		e.Layer = layerOf(r.badGrads[0])
		e.LayerName = nameOf(e.Layer)
		e.Detail = fmt.Sprintf("the loss is finite but the gradient of %s is not (%d of %d variables have non-finite gradients)",
			r.badGrads[0], len(r.badGrads), len(t.gradVars))
	case len(r.badUpdates) > 0:
		e.Cause = "update"
		e.Layer = layerOf(r.badUpdates[0])
		e.LayerName = nameOf(e.Layer)
		e.Detail = fmt.Sprintf("the loss and gradients are finite but the optimiser's new value of %s is not "+
			"(%d variables affected; is the learning rate too large?)", r.badUpdates[0], len(r.badUpdates))
	default:
		e.Cause = "gradient"
		e.Detail = "the global gradient norm overflowed (every per-variable gradient is finite)"
	}
	return e
}

// GuardGradients prepares one guarded optimiser step: it scales grads to a global norm (norm, the
// norm of all of grads) of at most clip (no clipping when clip <= 0) and, when finite is false,
// zeroes every gradient and sets the optimiser's learning rate for this step to zero; otherwise
// the learning rate is lr (a scalar node). Custom trainers (glow.Train) share it with fit's step.
func GuardGradients(s *model.Scope, grads []*Node, norm, finite, lr *Node, clip float64) []*Node {
	g, dt := norm.Graph(), norm.DType()
	scale := OnesLike(norm)
	if clip > 0 {
		scale = Min(scale, Div(Scalar(g, dt, clip), Add(norm, Scalar(g, dt, 1e-12))))
	}
	scale = Where(finite, scale, ZerosLike(scale))
	out := make([]*Node, len(grads))
	for i, gr := range grads {
		out[i] = Where(finite, Mul(gr, scale), ZerosLike(gr))
	}
	optimizer.LearningRateVar(s, dt, 0).SetNodeValue(Where(finite, ConvertDType(lr, dt), ZerosLike(norm)))
	return out
}
