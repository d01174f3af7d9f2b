// Package fit trains flowkit flows: by maximum likelihood on data (eq. 16.2 and 16.8, the
// forward KL of eq. 16.26) and by reverse KL against an unnormalised target density (eq. 16.25).
//
// Training uses GoMLX's Adam with a cosine learning-rate schedule and warm-up, gradient
// clipping by global norm, validation with early stopping, atomic best-checkpoint saving, and a
// guard that stops (or skips the step) on a non-finite loss or gradient, leaving the
// parameters and the last good checkpoint intact. Runs are reproducible with a seed.
package fit

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Config holds the training settings. Zero values take the defaults shown.
type Config struct {
	Steps        int     // optimisation steps (default 1000)
	BatchSize    int     // examples per step (default 256)
	LearningRate float64 // peak learning rate (default 1e-3)
	WarmupSteps  int     // linear warm-up steps (default 0)
	// Schedule is "cosine" (default: decay to MinLRFraction of the peak) or "constant".
	Schedule      string
	MinLRFraction float64 // default 0.01
	ClipNorm      float64 // gradient global-norm clip (default 5; negative disables)
	EvalEvery     int     // steps between validation evaluations (default Steps/20, at least 1)
	// Patience stops training when the validation NLL has not improved for this many
	// evaluations (0: never stop early).
	Patience int
	// CheckpointDir, when set, receives the best checkpoint (by validation NLL, or training NLL
	// without validation data) and training resumes from the newest checkpoint found there.
	CheckpointDir string
	// SkipNonFinite skips steps whose loss or gradient is not finite instead of stopping.
	SkipNonFinite bool
	Seed          uint64 // batch sampling seed (default 1)
	// OnEval is called after each evaluation, e.g. to update a live chart.
	OnEval func(p Progress)
	// Log, when set, receives one line per evaluation.
	Log io.Writer
	// Progress, when set (e.g. os.Stderr in a terminal), shows a progress bar redrawn in place
	// with the running loss and speed.
	Progress io.Writer
	// Cond, ValidCond: conditioning inputs aligned with the training and validation rows.
	Cond, ValidCond [][]float64
}

// Progress is the state reported after an evaluation.
type Progress struct {
	Step       int
	TrainNLL   float64 // mean training NLL since the previous evaluation (nats)
	ValidNLL   float64 // NaN without validation data
	BestValid  float64
	LR         float64
	StepsPerS  float64
	Skipped    int // non-finite steps skipped so far
	Checkpoint bool
}

// Result summarises a training run.
type Result struct {
	Steps     int
	History   []Progress
	BestValid float64 // best validation NLL (training NLL without validation data)
	BestStep  int
	Stopped   string // why training ended: "steps", "early stopping"
	Elapsed   time.Duration
}

func (c *Config) defaults() error {
	if c.Steps == 0 {
		c.Steps = 1000
	}
	if c.Steps < 0 {
		return fmt.Errorf("fit: Steps must be positive, got %d", c.Steps)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.BatchSize < 0 {
		return fmt.Errorf("fit: BatchSize must be positive, got %d", c.BatchSize)
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.LearningRate < 0 || math.IsNaN(c.LearningRate) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("fit: LearningRate must be positive and finite, got %v", c.LearningRate)
	}
	if c.Schedule == "" {
		c.Schedule = "cosine"
	}
	if c.Schedule != "cosine" && c.Schedule != "constant" {
		return fmt.Errorf("fit: Schedule %q: want \"cosine\" or \"constant\"", c.Schedule)
	}
	if c.MinLRFraction == 0 {
		c.MinLRFraction = 0.01
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 5
	}
	if c.EvalEvery <= 0 {
		c.EvalEvery = max(1, c.Steps/20)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return nil
}

// LR returns the learning rate at step (0-based) under the configured schedule.
func (c *Config) LR(step int) float64 {
	if c.WarmupSteps > 0 && step < c.WarmupSteps {
		return c.LearningRate * float64(step+1) / float64(c.WarmupSteps)
	}
	if c.Schedule == "constant" {
		return c.LearningRate
	}
	t := float64(step-c.WarmupSteps) / float64(max(1, c.Steps-c.WarmupSteps))
	t = math.Min(1, math.Max(0, t))
	lo := c.LearningRate * c.MinLRFraction
	return lo + (c.LearningRate-lo)*0.5*(1+math.Cos(math.Pi*t))
}

// ErrNonFinite is returned (wrapped) when training stops on a non-finite loss or gradient.
var ErrNonFinite = fmt.Errorf("fit: non-finite loss or gradient")

// MLE trains m by maximum likelihood on train (rows of the model's event), validating on valid
// (may be nil). It returns the history even when it stops with an error.
func MLE(m *flowkit.Model, train, valid any, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	trainT, err := m.Input("train", train)
	if err != nil {
		return nil, err
	}
	var validT *tensors.Tensor
	if valid != nil {
		if validT, err = m.Input("valid", valid); err != nil {
			return nil, err
		}
	}
	var condT, validCondT *tensors.Tensor
	if m.CondDim > 0 || cfg.Cond != nil {
		if condT, err = m.Cond(nilIfEmpty(cfg.Cond), trainT.Shape().Dimensions[0]); err != nil {
			return nil, err
		}
		if validT != nil {
			if validCondT, err = m.Cond(nilIfEmpty(cfg.ValidCond), validT.Shape().Dimensions[0]); err != nil {
				return nil, err
			}
		}
	}
	r := &trainer{m: m, cfg: cfg}
	return r.run(trainT, condT, validT, validCondT)
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
}

// nllGraph is the mean negative log-likelihood of a batch.
func (t *trainer) nllGraph(s *model.Scope, x, cond *Node) *Node {
	return Neg(ReduceAllMean(t.m.Flow.LogProb(flowkit.FlowScope(s), x, cond)))
}

// buildStep returns the training step graph: inputs x, [cond], lr; outputs loss, grad norm,
// finite flag. On a non-finite step it applies a zero update, so parameters stay as they were.
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
		loss := t.nllGraph(s, x, cond)
		grads := s.BuildTrainableVariablesGradientsGraph(loss)
		sq := ScalarZero(g, loss.DType())
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		norm := Sqrt(sq)
		finite := LogicalAnd(IsFinite(loss), IsFinite(norm))
		scale := OnesLike(norm)
		if clip > 0 {
			scale = Min(scale, Div(Scalar(g, loss.DType(), clip), Add(norm, Scalar(g, loss.DType(), 1e-12))))
		}
		scale = Where(finite, scale, ZerosLike(scale))
		for i, gr := range grads {
			grads[i] = Where(finite, Mul(gr, scale), ZerosLike(gr))
		}
		optimizer.LearningRateVar(s, loss.DType(), 0).SetNodeValue(Where(finite, ConvertDType(lr, loss.DType()), ZerosLike(loss)))
		withGrads.UpdateGraphWithGradients(s, grads, loss.DType())
		return []*Node{loss, norm, ConvertDType(finite, loss.DType())}
	})
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
		if path, step, err := LatestCheckpoint(cfg.CheckpointDir); err != nil {
			return nil, err
		} else if path != "" {
			if _, err := LoadCheckpoint(t.m.Store, cfg.CheckpointDir); err != nil {
				return nil, err
			}
			first = step
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
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(first)))
	event := trainT.Shape().Dimensions[1:]
	bx := make([]float64, batch*D)
	bc := make([]float64, batch*C)
	sumLoss, count, skipped, sinceBest := 0.0, 0, 0, 0
	lastEval := time.Now()
	lastEvalStep := first
	var bar *progressBar
	if cfg.Progress != nil {
		bar = newProgressBar(cfg.Progress, first, cfg.Steps)
	}
	for step := first; step < cfg.Steps; step++ {
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
		loss := scalar(outs[0])
		finite := scalar(outs[2]) == 1
		for _, o := range outs {
			o.FinalizeAll()
		}
		if !finite {
			if !cfg.SkipNonFinite {
				res.Steps = step
				res.Stopped = "non-finite"
				res.Elapsed = time.Since(start)
				return res, fmt.Errorf("%w at step %d (loss %v): parameters were left as they were before "+
					"this step; lower the learning rate, tighten ClipNorm, or set SkipNonFinite", ErrNonFinite, step, loss)
			}
			skipped++
			continue
		}
		sumLoss += loss
		count++
		last := step == cfg.Steps-1
		bar.update(step+1, loss, res.BestValid, last)
		if (step+1-first)%cfg.EvalEvery == 0 || last {
			p := Progress{Step: step + 1, TrainNLL: sumLoss / math.Max(1, float64(count)), ValidNLL: math.NaN(),
				LR: cfg.LR(step), Skipped: skipped}
			p.StepsPerS = float64(step+1-lastEvalStep) / time.Since(lastEval).Seconds()
			sumLoss, count = 0, 0
			score := p.TrainNLL
			if validT != nil {
				if p.ValidNLL, err = t.evalNLL(validT, validCondT); err != nil {
					return res, err
				}
				score = p.ValidNLL
			}
			if score < res.BestValid {
				res.BestValid, res.BestStep, sinceBest = score, step+1, 0
				if cfg.CheckpointDir != "" {
					if err := SaveCheckpoint(t.m.Store, cfg.CheckpointDir, step+1, 2); err != nil {
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
				fmt.Fprintf(cfg.Log, "step %6d  train NLL %.4f  valid NLL %.4f  best %.4f  lr %.2e  %.0f steps/s\n",
					p.Step, p.TrainNLL, p.ValidNLL, p.BestValid, p.LR, p.StepsPerS)
			}
			if cfg.OnEval != nil {
				cfg.OnEval(p)
			}
			lastEval, lastEvalStep = time.Now(), step+1
			if cfg.Patience > 0 && sinceBest >= cfg.Patience {
				res.Steps, res.Stopped, res.Elapsed = step+1, "early stopping", time.Since(start)
				return res, nil
			}
		}
	}
	res.Steps, res.Stopped, res.Elapsed = cfg.Steps, "steps", time.Since(start)
	return res, nil
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
