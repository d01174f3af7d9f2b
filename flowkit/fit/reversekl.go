package fit

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/target"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Reverse-KL training (section 16.5.3, eq. 16.25). For a target q(x) = q̃(x)/Z known only
// through its unnormalised log-density log q̃, the flow p draws its own samples x = f(z),
// z ~ base, and minimises
//
//	L = E_{x~p}[log p(x) - log q̃(x)] = KL(p ‖ q) - log Z,
//
// by the reparameterisation gradient through f. Only the generative direction is run
// (Flow.SampleAndLogProb): the flow need not have a tractable inverse, and flows whose sampling
// is fast (IAF, couplings, planar and Sylvester flows) train fast. Because log Z enters L as a
// constant, rescaling q̃ by any K > 0 leaves the gradients, and so the trained flow, unchanged
// (problem 16.11); nothing in this trainer depends on the scale of q̃ (no normalisation of the
// loss by its value).
//
// How good is the fit? With w_i = q̃(x_i)/p(x_i), x_i ~ p, importance sampling gives
//
//	log Ẑ = log( (1/N) Σ_i w_i ),   ESS = (Σ_i w_i)² / Σ_i w_i²,
//
// and the ESS (out of N) says how many of the N samples effectively count: N for a perfect fit,
// near 1 when a few samples dominate (the flow is too narrow somewhere the target has mass). A
// mode the flow never visits does not lower the ESS: it shows only as log Ẑ too low by the log
// of the missed mass, which is the blind spot of every estimate from the flow's own samples.

// ReverseKLConfig holds the settings of ReverseKL. Zero values take the defaults shown.
type ReverseKLConfig struct {
	Steps        int     // optimisation steps (default 2000)
	BatchSize    int     // samples drawn from the flow per step (default 256)
	LearningRate float64 // peak learning rate (default 1e-3)
	WarmupSteps  int     // linear warm-up steps (default 0)
	// Schedule is "cosine" (default: decay to MinLRFraction of the peak) or "constant".
	Schedule      string
	MinLRFraction float64 // default 0.01
	ClipNorm      float64 // gradient global-norm clip (default 5; negative disables)
	// AnnealSteps, when positive, multiplies log q̃ by an inverse temperature β rising linearly
	// from AnnealStart (default 0.01) to 1 over the first AnnealSteps steps, as Rezende &
	// Mohamed (2015) did for U1-U4: early on the flow sees a flattened target and spreads out
	// before it commits to modes. β·log K is still a constant, so problem 16.11's invariance
	// holds with annealing too.
	AnnealSteps int
	AnnealStart float64
	EvalEvery   int // steps between evaluations (default Steps/20, at least 1)
	// EvalSamples is the number of fresh samples used at each evaluation and at the end for
	// the loss, log Ẑ and ESS (default 4096).
	EvalSamples int
	// CheckpointDir, when set, receives the best checkpoint (lowest evaluation loss) and
	// training resumes from the newest checkpoint found there.
	CheckpointDir string
	// SkipNonFinite skips steps whose loss or gradient is not finite instead of stopping.
	SkipNonFinite bool
	// Seed, when non-zero, re-seeds the model's random number generator before training, so
	// that initialisation (for variables not created yet) and the samples drawn are
	// reproducible.
	Seed int64
	// OnEval is called after each evaluation, e.g. to update a live chart.
	OnEval func(p ReverseKLProgress)
	// Log, when set, receives one line per evaluation.
	Log io.Writer
	// Progress, when set (e.g. os.Stderr in a terminal), shows a progress bar.
	Progress io.Writer
}

// ReverseKLProgress is the state reported after an evaluation.
type ReverseKLProgress struct {
	Step int
	// TrainLoss is the mean training loss E[log p - β log q̃] since the previous evaluation.
	TrainLoss float64
	// Estimate is the evaluation on EvalSamples fresh samples (at β = 1).
	Estimate   LogZEstimate
	Beta       float64
	LR         float64
	StepsPerS  float64
	Skipped    int // non-finite steps skipped so far
	Checkpoint bool
}

// ReverseKLResult summarises a reverse-KL training run.
type ReverseKLResult struct {
	Steps   int
	History []ReverseKLProgress
	// Final is the evaluation after the last step, on EvalSamples fresh samples.
	Final LogZEstimate
	// BestLoss is the lowest evaluation loss E[log p - log q̃] seen, at BestStep.
	BestLoss float64
	BestStep int
	Stopped  string // "steps" or "non-finite"
	Elapsed  time.Duration
}

// LogZEstimate is an importance-sampling evaluation of a flow p against a target q̃ on N
// samples x_i ~ p, with log-weights log w_i = log q̃(x_i) - log p(x_i).
type LogZEstimate struct {
	N int
	// Loss is the mean of log p - log q̃ = -ELBO: the reverse-KL objective, KL(p‖q) - log Z.
	Loss float64
	// LossStdErr is the standard error of Loss.
	LossStdErr float64
	// LogZ is log((1/N) Σ w_i), the importance-sampling estimate of log Z (consistent; biased
	// low for finite N, by about Var(w)/(2N·Z²)).
	LogZ float64
	// ESS is (Σ w_i)²/Σ w_i², between 1 and N.
	ESS float64
}

// ESSFraction is ESS/N.
func (e LogZEstimate) ESSFraction() float64 { return e.ESS / float64(e.N) }

// KL returns the estimate of KL(p ‖ q) given the true log Z of the target (exact, or from
// target.LogZGrid): Loss + log Z.
func (e LogZEstimate) KL(logZ float64) float64 { return e.Loss + logZ }

// String renders the estimate on one line.
func (e LogZEstimate) String() string {
	return fmt.Sprintf("loss %.4f ± %.4f  log Ẑ %.4f  ESS %.0f/%d (%.1f%%)", e.Loss, e.LossStdErr, e.LogZ, e.ESS, e.N, 100*e.ESSFraction())
}

func (c *ReverseKLConfig) defaults() error {
	if c.Steps == 0 {
		c.Steps = 2000
	}
	if c.Steps < 0 {
		return fmt.Errorf("fit.ReverseKL: Steps must be positive, got %d", c.Steps)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.BatchSize < 0 {
		return fmt.Errorf("fit.ReverseKL: BatchSize must be positive, got %d", c.BatchSize)
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.LearningRate < 0 || math.IsNaN(c.LearningRate) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("fit.ReverseKL: LearningRate must be positive and finite, got %v", c.LearningRate)
	}
	if c.Schedule == "" {
		c.Schedule = "cosine"
	}
	if c.Schedule != "cosine" && c.Schedule != "constant" {
		return fmt.Errorf("fit.ReverseKL: Schedule %q: want \"cosine\" or \"constant\"", c.Schedule)
	}
	if c.MinLRFraction == 0 {
		c.MinLRFraction = 0.01
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 5
	}
	if c.AnnealSteps < 0 {
		return fmt.Errorf("fit.ReverseKL: AnnealSteps must not be negative, got %d", c.AnnealSteps)
	}
	if c.AnnealStart == 0 {
		c.AnnealStart = 0.01
	}
	if c.AnnealStart < 0 || c.AnnealStart > 1 {
		return fmt.Errorf("fit.ReverseKL: AnnealStart must be in (0, 1], got %v", c.AnnealStart)
	}
	if c.EvalEvery <= 0 {
		c.EvalEvery = max(1, c.Steps/20)
	}
	if c.EvalSamples == 0 {
		c.EvalSamples = 4096
	}
	if c.EvalSamples < 2 {
		return fmt.Errorf("fit.ReverseKL: EvalSamples must be at least 2, got %d", c.EvalSamples)
	}
	return nil
}

// LR returns the learning rate at step (0-based) under the configured schedule.
func (c *ReverseKLConfig) LR(step int) float64 {
	return scheduledLR(c.LearningRate, c.MinLRFraction, c.Schedule, c.WarmupSteps, c.Steps, step)
}

// Beta returns the inverse temperature multiplying log q̃ at step (0-based).
func (c *ReverseKLConfig) Beta(step int) float64 {
	if c.AnnealSteps <= 0 || step >= c.AnnealSteps {
		return 1
	}
	return c.AnnealStart + (1-c.AnnealStart)*float64(step)/float64(c.AnnealSteps)
}

// checkTarget validates that t can be a target for m.
func checkTarget(who string, m *flowkit.Model, t target.Density) error {
	if m == nil || t == nil {
		return fmt.Errorf("%s: the model and the target must not be nil", who)
	}
	if m.CondDim > 0 {
		return fmt.Errorf("%s: conditional flows are not supported (cond size %d)", who, m.CondDim)
	}
	if ev := m.EventShape(); len(ev) != 1 || ev[0] != t.Dims() {
		return fmt.Errorf("%s: the flow's event shape %v does not match the target %s of %d dimensions (want [%d])",
			who, ev, target.NameOf(t), t.Dims(), t.Dims())
	}
	return nil
}

// installTarget copies a target's variables (a teacher's) into m's store, non-trainable.
func installTarget(who string, m *flowkit.Model, t target.Density) error {
	if in, ok := t.(target.Installer); ok {
		if err := in.Install(m.Store, m.DType); err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
	}
	return nil
}

// ReverseKL trains m by minimising the reverse KL divergence to the target (eq. 16.25), with
// Adam, the learning-rate schedule, gradient clipping, the non-finite guard and checkpoints of
// MLE. It returns the history even when it stops with an error; on a non-finite loss or
// gradient the parameters are left as they were before that step.
func ReverseKL(m *flowkit.Model, t target.Density, cfg ReverseKLConfig) (*ReverseKLResult, error) {
	const who = "fit.ReverseKL"
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := checkTarget(who, m, t); err != nil {
		return nil, err
	}
	if cfg.Seed != 0 {
		if err := m.Seed(cfg.Seed); err != nil {
			return nil, err
		}
	}
	res := &ReverseKLResult{BestLoss: math.Inf(1)}
	start := time.Now()
	first := 0
	if cfg.CheckpointDir != "" {
		if path, step, err := LatestCheckpoint(cfg.CheckpointDir); err != nil {
			return nil, err
		} else if path != "" {
			if _, err := LoadCheckpoint(m.Store, cfg.CheckpointDir); err != nil {
				return nil, err
			}
			first = step
		}
	}
	// Installed after loading a checkpoint, so a resumed run scores against the current teacher.
	if err := installTarget(who, m, t); err != nil {
		return nil, err
	}
	step, err := buildReverseKLStep(m, t, cfg.ClipNorm)
	if err != nil {
		return nil, err
	}
	eval := &rklEvaluator{m: m, t: t}
	dummy := tensors.FromShape(shapes.Make(m.DType, cfg.BatchSize))
	sumLoss, count, skipped := 0.0, 0, 0
	lastEval, lastEvalStep := time.Now(), first
	var bar *progressBar
	if cfg.Progress != nil {
		bar = newProgressBar(cfg.Progress, first, cfg.Steps)
	}
	for i := first; i < cfg.Steps; i++ {
		outs, err := step.Exec(dummy, rklScalar(cfg.LR(i), m.DType), rklScalar(cfg.Beta(i), m.DType))
		if err != nil {
			return res, fmt.Errorf("%s: step %d: %w", who, i, err)
		}
		loss, norm, ok := scalarOf(outs[0]), scalarOf(outs[1]), scalarOf(outs[2]) == 1
		for _, o := range outs {
			o.FinalizeAll()
		}
		if !ok {
			if !cfg.SkipNonFinite {
				res.Steps, res.Stopped, res.Elapsed = i, "non-finite", time.Since(start)
				return res, fmt.Errorf("%w at step %d of reverse-KL training (loss %v, gradient norm %v): the parameters "+
					"were left as they were before this step; lower the learning rate, tighten ClipNorm, anneal "+
					"(AnnealSteps), or set SkipNonFinite", ErrNonFinite, i, loss, norm)
			}
			skipped++
			continue
		}
		sumLoss += loss
		count++
		last := i == cfg.Steps-1
		bar.update(i+1, loss, res.BestLoss, last)
		if (i+1-first)%cfg.EvalEvery != 0 && !last {
			continue
		}
		p := ReverseKLProgress{Step: i + 1, TrainLoss: sumLoss / math.Max(1, float64(count)), Beta: cfg.Beta(i),
			LR: cfg.LR(i), Skipped: skipped}
		p.StepsPerS = float64(i+1-lastEvalStep) / time.Since(lastEval).Seconds()
		sumLoss, count = 0, 0
		if p.Estimate, err = eval.run(cfg.EvalSamples); err != nil {
			return res, err
		}
		if p.Estimate.Loss < res.BestLoss {
			res.BestLoss, res.BestStep = p.Estimate.Loss, i+1
			if cfg.CheckpointDir != "" {
				if err := SaveCheckpoint(m.Store, cfg.CheckpointDir, i+1, 2); err != nil {
					return res, err
				}
				p.Checkpoint = true
			}
		}
		res.History = append(res.History, p)
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "step %6d  train loss %.4f  β %.3f  eval %s  lr %.2e  %.0f steps/s\n",
				p.Step, p.TrainLoss, p.Beta, p.Estimate, p.LR, p.StepsPerS)
		}
		if cfg.OnEval != nil {
			cfg.OnEval(p)
		}
		lastEval, lastEvalStep = time.Now(), i+1
		if last {
			res.Final = p.Estimate
		}
	}
	if res.Final.N == 0 { // resumed at or after the last step
		if res.Final, err = eval.run(cfg.EvalSamples); err != nil {
			return res, err
		}
	}
	res.Steps, res.Stopped, res.Elapsed = cfg.Steps, "steps", time.Since(start)
	return res, nil
}

// buildReverseKLStep returns the training step: inputs a dummy [batch] (the sample count as a
// shape), lr and β; outputs loss, gradient norm and an ok flag. The update is committed only
// when the loss, every gradient and every updated variable are finite; otherwise every float
// variable the step would change keeps its old value (the random generator's state still
// advances, so the next step draws new samples).
func buildReverseKLStep(m *flowkit.Model, t target.Density, clip float64) (*model.Exec, error) {
	opt := optimizer.Adam().Done()
	withGrads, ok := opt.(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	if !ok {
		return nil, fmt.Errorf("fit: GoMLX's Adam no longer exposes UpdateGraphWithGradients")
	}
	return model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) []*Node {
		dummy, lr, beta := inputs[0], inputs[1], inputs[2]
		g, dt := dummy.Graph(), m.DType
		x, logP := m.Flow.SampleAndLogProb(flowkit.FlowScope(s), g, dt, dummy.Shape().Dimensions[0], nil)
		logQ := t.LogDensity(s.At(target.Scope), x)
		loss := ReduceAllMean(Sub(logP, Mul(beta, logQ)))
		grads := s.BuildTrainableVariablesGradientsGraph(loss)
		sq := ScalarZero(g, dt)
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		norm := Sqrt(sq)
		finite := LogicalAnd(IsFinite(loss), IsFinite(norm))
		scale := OnesLike(norm)
		if clip > 0 {
			scale = Min(scale, Div(Scalar(g, dt, clip), Add(norm, Scalar(g, dt, 1e-12))))
		}
		scale = Where(finite, scale, ZerosLike(scale))
		for i, gr := range grads {
			grads[i] = Where(finite, Mul(gr, scale), ZerosLike(gr))
		}
		optimizer.LearningRateVar(s, dt, 0).SetNodeValue(Where(finite, lr, ZerosLike(lr)))
		withGrads.UpdateGraphWithGradients(s, grads, dt)
		commit := finite
		var changed []*model.Variable
		for v := range s.Store().IterVariables() {
			if v.ChangedInGraph(g) && v.DType().IsFloat() {
				changed = append(changed, v)
				if v.Shape().Size() > 0 {
					commit = LogicalAnd(commit, LogicalAll(IsFinite(v.NodeValue(g))))
				}
			}
		}
		for _, v := range changed {
			if old := g.GetParameterByName(v.Path()); old != nil {
				v.SetNodeValue(Where(commit, v.NodeValue(g), old))
			}
		}
		return []*Node{loss, norm, ConvertDType(commit, dt)}
	})
}

// rklEvaluator draws fresh samples and scores them against the target, in chunks.
type rklEvaluator struct {
	m    *flowkit.Model
	t    target.Density
	exec *model.Exec
}

const rklEvalChunk = 4096

// logWeights returns log q̃(x_i) - log p(x_i) for n fresh samples x_i ~ p.
func (e *rklEvaluator) logWeights(n int) ([]float64, error) {
	if e.exec == nil {
		var err error
		e.exec, err = model.NewExec(e.m.Backend, e.m.Store, func(s *model.Scope, dummy *Node) *Node {
			x, logP := e.m.Flow.SampleAndLogProb(flowkit.FlowScope(s), dummy.Graph(), e.m.DType, dummy.Shape().Dimensions[0], nil)
			return Sub(e.t.LogDensity(s.At(target.Scope), x), logP)
		})
		if err != nil {
			return nil, err
		}
	}
	lw := make([]float64, 0, n)
	for len(lw) < n {
		k := min(rklEvalChunk, n-len(lw))
		out, err := e.exec.Exec(tensors.FromShape(shapes.Make(e.m.DType, k)))
		if err != nil {
			return nil, fmt.Errorf("fit: evaluating the flow against the target: %w", err)
		}
		lw = append(lw, flowkit.Float64s(out[0])...)
		out[0].FinalizeAll()
	}
	return lw, nil
}

func (e *rklEvaluator) run(n int) (LogZEstimate, error) {
	lw, err := e.logWeights(n)
	if err != nil {
		return LogZEstimate{}, err
	}
	return EstimateFromLogWeights(lw), nil
}

// EstimateFromLogWeights computes the loss, log Ẑ and ESS from log-weights
// log w_i = log q̃(x_i) - log p(x_i), x_i ~ p. Non-finite weights count as they are (a -Inf
// weight is a zero weight; NaN makes the estimate NaN).
func EstimateFromLogWeights(lw []float64) LogZEstimate {
	n := len(lw)
	e := LogZEstimate{N: n}
	if n == 0 {
		e.Loss, e.LogZ, e.ESS = math.NaN(), math.NaN(), 0
		return e
	}
	mean := 0.0
	for _, v := range lw {
		mean += v
	}
	mean /= float64(n)
	varSum := 0.0
	for _, v := range lw {
		varSum += (v - mean) * (v - mean)
	}
	e.Loss = -mean
	if n > 1 {
		e.LossStdErr = math.Sqrt(varSum / float64(n-1) / float64(n))
	}
	mx := math.Inf(-1)
	for _, v := range lw {
		mx = math.Max(mx, v)
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		e.LogZ, e.ESS = mx, math.NaN()
		return e
	}
	s1, s2 := 0.0, 0.0
	for _, v := range lw {
		w := math.Exp(v - mx)
		s1 += w
		s2 += w * w
	}
	e.LogZ = mx + math.Log(s1/float64(n))
	e.ESS = s1 * s1 / s2
	return e
}

// EstimateLogZ evaluates the flow of m against the target on n fresh samples of the flow:
// the reverse-KL loss, the importance-sampling estimate of log Z and the effective sample size.
func EstimateLogZ(m *flowkit.Model, t target.Density, n int) (LogZEstimate, error) {
	if n < 2 {
		return LogZEstimate{}, fmt.Errorf("fit.EstimateLogZ: n must be at least 2, got %d", n)
	}
	if err := checkTarget("fit.EstimateLogZ", m, t); err != nil {
		return LogZEstimate{}, err
	}
	if err := installTarget("fit.EstimateLogZ", m, t); err != nil {
		return LogZEstimate{}, err
	}
	return (&rklEvaluator{m: m, t: t}).run(n)
}

// KLEstimate is a Monte Carlo estimate of a KL divergence in nats.
type KLEstimate struct {
	N          int
	KL, StdErr float64
}

// KLDivergence estimates KL(p ‖ q) = E_{x~p}[log p(x) - log q(x)] on n samples of p, for two
// flows on the same event shape: p samples (its generative direction) and q scores the samples
// (its normalizing direction, LogProb). With p a teacher and q a student, this is the forward KL
// from teacher to student used to judge a distillation.
func KLDivergence(p, q *flowkit.Model, n int) (KLEstimate, error) {
	if n < 2 {
		return KLEstimate{}, fmt.Errorf("fit.KLDivergence: n must be at least 2, got %d", n)
	}
	if fmt.Sprint(p.EventShape()) != fmt.Sprint(q.EventShape()) {
		return KLEstimate{}, fmt.Errorf("fit.KLDivergence: event shapes differ: %v and %v", p.EventShape(), q.EventShape())
	}
	var diffs []float64
	for len(diffs) < n {
		k := min(rklEvalChunk, n-len(diffs))
		x, lp, err := p.Sample(k, nil)
		if err != nil {
			return KLEstimate{}, err
		}
		lq, err := q.LogProb(x, nil)
		if err != nil {
			return KLEstimate{}, err
		}
		for i := range lp {
			diffs = append(diffs, lp[i]-lq[i])
		}
	}
	mean := 0.0
	for _, d := range diffs {
		mean += d
	}
	mean /= float64(n)
	v := 0.0
	for _, d := range diffs {
		v += (d - mean) * (d - mean)
	}
	return KLEstimate{N: n, KL: mean, StdErr: math.Sqrt(v / float64(n-1) / float64(n))}, nil
}

func rklScalar(v float64, dt dtypes.DType) *tensors.Tensor {
	if dt == dtypes.Float64 {
		return tensors.FromScalar(v)
	}
	return tensors.FromScalar(float32(v))
}

func scalarOf(t *tensors.Tensor) float64 { return flowkit.Float64s(t)[0] }
