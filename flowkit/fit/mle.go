// Package fit trains flowkit flows: by maximum likelihood on data (eq. 16.2 and 16.8, the
// forward KL of eq. 16.26) and by reverse KL against an unnormalised target density (eq. 16.25).
//
// Training uses GoMLX's Adam with a cosine learning-rate schedule and warm-up, gradient
// clipping by global norm, validation with early stopping, atomic verified best-checkpoint
// saving (see SaveCheckpoint), and a guard (see ErrNonFinite) that stops (or skips the step)
// on a non-finite loss, gradient or update, names the step and the layer responsible, and
// leaves the parameters and the last good checkpoint intact. Runs are reproducible with a seed.
package fit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Config holds the training settings. Zero values take the defaults shown; negative, NaN or
// infinite values are errors naming the field.
type Config struct {
	Steps        int     // optimisation steps (default 1000)
	BatchSize    int     // examples per step (default 256; capped at the number of examples)
	LearningRate float64 // peak learning rate (default 1e-3)
	WarmupSteps  int     // linear warm-up steps (default 0)
	// Schedule is "cosine" (default: decay to MinLRFraction of the peak) or "constant".
	Schedule      string
	MinLRFraction float64 // default 0.01, in [0, 1]
	ClipNorm      float64 // gradient global-norm clip (default 5; negative disables)
	EvalEvery     int     // steps between validation evaluations (default Steps/20, at least 1)
	// Patience stops training when the validation NLL has not improved for this many
	// evaluations (0: never stop early).
	Patience int
	// CheckpointDir, when set, receives the best checkpoint (by validation NLL or, without
	// validation data, by the NLL of a fixed sample of up to 2048 training rows, both measured
	// after the step, on the parameters saved) and training resumes from the newest checkpoint
	// found there, after verifying it and checking that it fits the model (see LoadModel); the
	// resumed run only saves checkpoints that beat the score recorded in it.
	CheckpointDir string
	// CheckpointKeep is how many checkpoints to keep (default 2).
	CheckpointKeep int
	// SkipNonFinite skips steps whose loss, gradient or update is not finite (leaving every
	// variable as it was) instead of stopping with a *NonFiniteError.
	SkipNonFinite bool
	// MaxDuration, when positive, ends training after this much wall time (Result.Stopped
	// "time"), e.g. for soak tests and time-boxed notebook runs.
	MaxDuration time.Duration
	Seed        uint64 // batch sampling seed (default 1)
	// OnEval is called after each evaluation, e.g. to update a live chart.
	OnEval func(p Progress)
	// Log, when set, receives one line per evaluation (and per diagnosed non-finite step).
	Log io.Writer
	// Progress, when set (e.g. os.Stderr in a terminal), shows a progress bar redrawn in place
	// with the running loss and speed.
	Progress io.Writer
	// Cond, ValidCond: conditioning inputs aligned with the training and validation rows.
	Cond, ValidCond [][]float64
	// Recompute trains in constant activation memory in the number of layers: each layer's
	// input is recomputed from its output by inversion during the backward pass instead of
	// being stored (flowkit.RecomputedNLL), for about 1.5-2x the compute. The gradients are the
	// same up to round-off. Layers that update variables as a side effect (ActNorm's
	// data-dependent initialisation, BatchNorm's running averages) must be initialised first.
	Recompute bool
}

// Progress is the state reported after an evaluation.
type Progress struct {
	Step       int
	TrainNLL   float64 // mean training NLL since the previous evaluation (nats)
	ValidNLL   float64 // NaN without validation data
	BestValid  float64
	LR         float64
	GradNorm   float64 // mean global gradient norm (before clipping) since the previous evaluation
	StepsPerS  float64
	Skipped    int // non-finite steps skipped so far
	Checkpoint bool
}

// Result summarises a training run.
type Result struct {
	Steps     int
	History   []Progress
	BestValid float64 // best validation NLL (without validation data: NLL of up to 2048 training rows)
	BestStep  int
	// Stopped says why training ended: "steps", "early stopping", "time" or "non-finite".
	Stopped string
	Elapsed time.Duration
	// Skipped counts the non-finite steps skipped (SkipNonFinite); NonFinite describes the
	// latest diagnosed non-finite step (the first three skipped ones are diagnosed), nil if there
	// was none.
	Skipped   int
	NonFinite *NonFiniteError
}

// cfgErr is a configuration error naming the field, the expected and the given value.
func cfgErr(field, want string, got any) error {
	return &flowkit.ArgError{Func: "fit.MLE", Arg: "Config." + field, Want: want, Got: fmt.Sprint(got),
		Msg: fmt.Sprintf("Config.%s is %v, want %s", field, got, want)}
}

func badFloat(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

func (c *Config) defaults() error {
	if c.Steps == 0 {
		c.Steps = 1000
	}
	if c.Steps < 0 {
		return cfgErr("Steps", "a positive number of steps (0 for the default 1000)", c.Steps)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.BatchSize < 0 {
		return cfgErr("BatchSize", "a positive batch size (0 for the default 256)", c.BatchSize)
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if !(c.LearningRate > 0) || badFloat(c.LearningRate) {
		return cfgErr("LearningRate", "a positive finite learning rate (0 for the default 1e-3)", c.LearningRate)
	}
	if c.WarmupSteps < 0 {
		return cfgErr("WarmupSteps", ">= 0", c.WarmupSteps)
	}
	if c.Schedule == "" {
		c.Schedule = "cosine"
	}
	if c.Schedule != "cosine" && c.Schedule != "constant" {
		return cfgErr("Schedule", `"cosine" or "constant"`, fmt.Sprintf("%q", c.Schedule))
	}
	if c.MinLRFraction == 0 {
		c.MinLRFraction = 0.01
	}
	if !(c.MinLRFraction >= 0 && c.MinLRFraction <= 1) {
		return cfgErr("MinLRFraction", "a fraction in [0, 1]", c.MinLRFraction)
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 5
	}
	if math.IsNaN(c.ClipNorm) || math.IsInf(c.ClipNorm, 1) {
		return cfgErr("ClipNorm", "a finite clip norm (negative disables clipping)", c.ClipNorm)
	}
	if c.EvalEvery < 0 {
		return cfgErr("EvalEvery", ">= 0 (0 for the default Steps/20)", c.EvalEvery)
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = max(1, c.Steps/20)
	}
	if c.Patience < 0 {
		return cfgErr("Patience", ">= 0 (0 never stops early)", c.Patience)
	}
	if c.CheckpointKeep < 0 {
		return cfgErr("CheckpointKeep", ">= 0 (0 for the default 2)", c.CheckpointKeep)
	}
	if c.CheckpointKeep == 0 {
		c.CheckpointKeep = 2
	}
	if c.MaxDuration < 0 {
		return cfgErr("MaxDuration", ">= 0 (0 for no limit)", c.MaxDuration)
	}
	if c.CheckpointDir != "" {
		if st, err := os.Stat(c.CheckpointDir); err == nil && !st.IsDir() {
			return cfgErr("CheckpointDir", "a directory (or a path to create)", fmt.Sprintf("%q, a regular file", c.CheckpointDir))
		}
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return nil
}

// scheduledLR is the learning rate at step (0-based) of a run of steps steps: a linear warm-up
// over warmup steps, then constant (schedule "constant") or a cosine decay from lr to
// lr·minFraction.
func scheduledLR(lr, minFraction float64, schedule string, warmup, steps, step int) float64 {
	if warmup > 0 && step < warmup {
		return lr * float64(step+1) / float64(warmup)
	}
	if schedule == "constant" {
		return lr
	}
	t := float64(step-warmup) / float64(max(1, steps-warmup))
	t = math.Min(1, math.Max(0, t))
	lo := lr * minFraction
	return lo + (lr-lo)*0.5*(1+math.Cos(math.Pi*t))
}

// LR returns the learning rate at step (0-based) under the configured schedule.
func (c *Config) LR(step int) float64 {
	return scheduledLR(c.LearningRate, c.MinLRFraction, c.Schedule, c.WarmupSteps, c.Steps, step)
}

// MLE trains m by maximum likelihood on train (rows of the model's event), validating on valid
// (may be nil). Bad data or settings give an error naming the argument (a *flowkit.ArgError)
// before anything runs. It returns the history even when it stops with an error; a step with a
// non-finite loss, gradient or update stops training with a *NonFiniteError naming the step
// and the layer responsible (or is skipped, with Config.SkipNonFinite), leaving the
// parameters and the last good checkpoint as they were.
func MLE(m *flowkit.Model, train, valid any, cfg Config) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fit: MLE: %v", r)
		}
	}()
	if m == nil || m.Flow == nil || m.Store == nil || m.Backend == nil {
		return nil, &flowkit.ArgError{Func: "fit.MLE", Arg: "m", Want: "a Model from flowkit.NewModel", Got: "a nil or incomplete Model",
			Msg: "m is a nil or incomplete Model, want a Model from flowkit.NewModel"}
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if m.DType == dtypes.Float32 && cfg.LearningRate > math.MaxFloat32 {
		return nil, cfgErr("LearningRate", fmt.Sprintf("at most %g for a float32 model", math.MaxFloat32), cfg.LearningRate)
	}
	trainT, err := m.Input("train", train)
	if err != nil {
		return nil, inMLE(err)
	}
	var validT *tensors.Tensor
	if valid != nil {
		if validT, err = m.Input("valid", valid); err != nil {
			return nil, inMLE(err)
		}
	} else if cfg.ValidCond != nil {
		return nil, cfgErr("ValidCond", "nil when there is no validation data", fmt.Sprintf("%d rows", len(cfg.ValidCond)))
	}
	var condT, validCondT *tensors.Tensor
	if condT, err = m.Cond(nilIfEmpty(cfg.Cond), trainT.Shape().Dimensions[0]); err != nil {
		return nil, inMLE(renameArg(err, "cond", "Config.Cond"))
	}
	if validT != nil {
		if validCondT, err = m.Cond(nilIfEmpty(cfg.ValidCond), validT.Shape().Dimensions[0]); err != nil {
			return nil, inMLE(renameArg(err, "cond", "Config.ValidCond"))
		}
	}
	r := &trainer{m: m, cfg: cfg}
	return r.run(trainT, condT, validT, validCondT)
}

// inMLE relabels a Model entry point's argument error as fit.MLE's.
func inMLE(err error) error {
	var ae *flowkit.ArgError
	if errors.As(err, &ae) {
		ae.Func = "fit.MLE"
	}
	return err
}

// renameArg renames the argument of an ArgError (e.g. "cond" to "Config.Cond").
func renameArg(err error, from, to string) error {
	var ae *flowkit.ArgError
	if errors.As(err, &ae) && strings.HasPrefix(ae.Arg, from) {
		ae.Arg = to + strings.TrimPrefix(ae.Arg, from)
		ae.Msg = strings.Replace(ae.Msg, from, to, 1)
	}
	return err
}

func nilIfEmpty(c [][]float64) any {
	if c == nil {
		return nil
	}
	return c
}

type trainer struct {
	m    *flowkit.Model
	cfg  Config
	step *model.Exec
	// gradVars and updVars name the step's per-variable finiteness flags (set at graph build).
	gradVars, updVars []string
}

// nllGraph is the mean negative log-likelihood of a batch.
func (t *trainer) nllGraph(s *model.Scope, x, cond *Node) *Node {
	return Neg(ReduceAllMean(t.m.Flow.LogProb(flowkit.FlowScope(s), x, cond)))
}

func (t *trainer) evalNLL(x, cond *tensors.Tensor) (float64, error) {
	var c any
	if cond != nil {
		c = cond
	}
	return t.m.NLL(x, c)
}

func (t *trainer) run(trainT, condT, validT, validCondT *tensors.Tensor) (*Result, error) {
	cfg := t.cfg
	res := &Result{BestValid: math.Inf(1)}
	start := time.Now()
	first := 0
	if cfg.CheckpointDir != "" {
		if path, _, err := LatestCheckpoint(cfg.CheckpointDir); err != nil {
			return nil, err
		} else if path != "" {
			step, err := LoadModel(t.m, cfg.CheckpointDir)
			if err != nil {
				return nil, fmt.Errorf("fit: resuming from %s: %w", cfg.CheckpointDir, err)
			}
			first = step
			if v, ok := t.m.Store.GetParam(bestScoreParam); ok {
				if f, ok := v.(float64); ok {
					res.BestValid, res.BestStep = f, step
				}
			}
		}
	}
	var err error
	if t.step, err = t.buildStep(); err != nil {
		return nil, err
	}
	n := trainT.Shape().Dimensions[0]
	batch := min(cfg.BatchSize, n)
	D := trainT.Shape().Size() / n
	flatX := flowkit.Float64s(trainT)
	var flatC []float64
	C := 0
	if condT != nil {
		flatC = flowkit.Float64s(condT)
		C = condT.Shape().Dimensions[1]
	}
	// Without validation data, checkpoints are chosen by the NLL of a fixed training sample.
	scoreT, scoreC := validT, validCondT
	if scoreT == nil {
		scoreT, scoreC = scoreSample(trainT, condT, 2048, cfg.Seed, t.m.DType)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(first)))
	event := trainT.Shape().Dimensions[1:]
	bx := make([]float64, batch*D)
	bc := make([]float64, batch*C)
	sumLoss, sumNorm, count, sinceBest := 0.0, 0.0, 0, 0
	lastEval := time.Now()
	lastEvalStep := first
	var bar *progressBar
	if cfg.Progress != nil {
		bar = newProgressBar(cfg.Progress, first, cfg.Steps)
	}
	finish := func(steps int, why string) {
		res.Steps, res.Stopped, res.Elapsed = steps, why, time.Since(start)
	}
	for step := first; step < cfg.Steps; step++ {
		if cfg.MaxDuration > 0 && time.Since(start) >= cfg.MaxDuration {
			finish(step, "time")
			return res, nil
		}
		for i := 0; i < batch; i++ {
			j := rng.IntN(n)
			copy(bx[i*D:(i+1)*D], flatX[j*D:(j+1)*D])
			if C > 0 {
				copy(bc[i*C:(i+1)*C], flatC[j*C:(j+1)*C])
			}
		}
		args := []any{tensorOf(bx, t.m.DType, append([]int{batch}, event...))}
		if C > 0 {
			args = append(args, tensorOf(bc, t.m.DType, []int{batch, C}))
		}
		args = append(args, tensorOf([]float64{cfg.LR(step)}, t.m.DType, nil))
		outs, err := t.step.Exec(args...)
		if err != nil {
			return res, fmt.Errorf("fit: step %d: %w", step, err)
		}
		sr := t.parseStep(outs)
		for _, o := range outs {
			o.FinalizeAll()
		}
		if !sr.ok {
			var ct *tensors.Tensor
			if C > 0 {
				ct = tensorOf(bc, t.m.DType, []int{batch, C})
			}
			// Diagnose the first few (the diagnosis costs a pass); Result.NonFinite keeps the
			// latest diagnosed one.
			if !cfg.SkipNonFinite || res.Skipped < 3 {
				res.NonFinite = t.diagnose(step, sr, tensorOf(bx, t.m.DType, append([]int{batch}, event...)), ct)
			}
			if !cfg.SkipNonFinite {
				finish(step, "non-finite")
				res.NonFinite.Detail += "; the parameters and the last good checkpoint were left as they were before this step: " +
					"lower the learning rate, tighten ClipNorm, or set SkipNonFinite"
				return res, res.NonFinite
			}
			res.Skipped++
			if cfg.Log != nil && res.Skipped <= 3 {
				fmt.Fprintf(cfg.Log, "skipped: %v\n", res.NonFinite)
			}
			continue
		}
		sumLoss += sr.loss
		sumNorm += sr.gradNorm
		count++
		last := step == cfg.Steps-1
		bar.update(step+1, sr.loss, res.BestValid, last)
		if (step+1-first)%cfg.EvalEvery == 0 || last {
			p := Progress{Step: step + 1, TrainNLL: sumLoss / math.Max(1, float64(count)), ValidNLL: math.NaN(),
				GradNorm: sumNorm / math.Max(1, float64(count)), LR: cfg.LR(step), Skipped: res.Skipped}
			p.StepsPerS = float64(step+1-lastEvalStep) / time.Since(lastEval).Seconds()
			sumLoss, sumNorm, count = 0, 0, 0
			score, err := t.evalNLL(scoreT, scoreC)
			if err != nil {
				return res, err
			}
			if validT != nil {
				p.ValidNLL = score
			}
			if score < res.BestValid {
				res.BestValid, res.BestStep, sinceBest = score, step+1, 0
				if cfg.CheckpointDir != "" {
					t.m.Store.SetParam(bestScoreParam, score)
					if err := SaveCheckpoint(t.m.Store, cfg.CheckpointDir, step+1, cfg.CheckpointKeep); err != nil {
						return res, err
					}
					p.Checkpoint = true
				}
			} else {
				sinceBest++
			}
			p.BestValid = res.BestValid
			res.History = append(res.History, p)
			if cfg.Log != nil {
				fmt.Fprintf(cfg.Log, "step %6d  train NLL %.4f  valid NLL %.4f  best %.4f  lr %.2e  |g| %.3g  %.0f steps/s\n",
					p.Step, p.TrainNLL, p.ValidNLL, p.BestValid, p.LR, p.GradNorm, p.StepsPerS)
			}
			if cfg.OnEval != nil {
				cfg.OnEval(p)
			}
			lastEval, lastEvalStep = time.Now(), step+1
			if cfg.Patience > 0 && sinceBest >= cfg.Patience {
				finish(step+1, "early stopping")
				return res, nil
			}
		}
	}
	finish(cfg.Steps, "steps")
	return res, nil
}

// bestScoreParam is the store parameter recording the score of the best checkpoint, saved in
// the checkpoint so a resumed run does not overwrite it with a worse one.
const bestScoreParam = "/fit/best_score"

// scoreSample returns up to k rows of x (and cond), drawn without replacement with seed.
func scoreSample(x, cond *tensors.Tensor, k int, seed uint64, dt dtypes.DType) (*tensors.Tensor, *tensors.Tensor) {
	n := x.Shape().Dimensions[0]
	if n <= k {
		return x, cond
	}
	idx := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(n)[:k]
	pickRows := func(t *tensors.Tensor) *tensors.Tensor {
		dims := append([]int{k}, t.Shape().Dimensions[1:]...)
		d := t.Shape().Size() / n
		flat := flowkit.Float64s(t)
		out := make([]float64, 0, k*d)
		for _, i := range idx {
			out = append(out, flat[i*d:(i+1)*d]...)
		}
		return tensorOf(out, dt, dims)
	}
	if cond != nil {
		return pickRows(x), pickRows(cond)
	}
	return pickRows(x), nil
}

func tensorOf(v []float64, dt dtypes.DType, dims []int) *tensors.Tensor {
	if dt == dtypes.Float64 {
		if dims == nil {
			return tensors.FromScalar(v[0])
		}
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	if dims == nil {
		return tensors.FromScalar(f[0])
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}

func scalar(t *tensors.Tensor) float64 {
	if t.DType() == dtypes.Float64 {
		return tensors.ToScalar[float64](t)
	}
	return float64(tensors.ToScalar[float32](t))
}
