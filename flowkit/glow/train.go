package glow

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TrainConfig holds the settings of Train. Zero values take the defaults shown.
type TrainConfig struct {
	BatchSize    int     // images per step (default 64)
	LearningRate float64 // peak Adam learning rate (default 1e-3)
	WarmupSteps  int     // linear warm-up (default 200)
	// Steps ends training after this many steps in total (counting resumed ones); 0: no step
	// limit (MaxDuration must then be set).
	Steps int
	// MaxDuration ends training after this much wall time in total, counting the time of the
	// runs this one resumes (saved in the checkpoints) and the time spent evaluating; 0: no
	// limit.
	MaxDuration time.Duration
	// DecayStart is the fraction of the run (of Steps or of MaxDuration, whichever is further
	// along) after which the learning rate decays along a cosine to MinLRFraction of its peak
	// (default 0.5; 1 keeps it constant).
	DecayStart    float64
	MinLRFraction float64 // default 0.05
	// ClipNorm clips the gradient of the loss in nats per dimension by global norm (default
	// 50; negative disables).
	ClipNorm float64
	// EvalEvery is the number of steps between evaluations (default 500): the curve gets a
	// point, the checkpoint is saved.
	EvalEvery int
	// EvalImages is how many test images each evaluation uses (default 2000; the first ones of
	// the test set, dequantized with a fixed seed so points are comparable).
	EvalImages int
	// InitImages is the number of training images ActNorm's data-dependent initialisation sees
	// (default 512).
	InitImages int
	// CheckpointDir, when set, receives a checkpoint at every evaluation (fit.SaveCheckpoint,
	// keeping CheckpointKeep, default 2); training resumes from the newest one found there,
	// with the optimiser's state, the step and the elapsed time.
	CheckpointDir  string
	CheckpointKeep int
	// CurveCSV, when set, is the path of the training curve in CSV, one row per evaluation
	// (appended to when resuming; the header is written once).
	CurveCSV string
	Seed     uint64 // data order and dequantization noise (default 1)
	// Log receives one line per evaluation.
	Log io.Writer
	// Progress, when set, receives a short line every ProgressEvery steps (default 50): the
	// step, the running training bits/dim and the speed.
	Progress      io.Writer
	ProgressEvery int
	// OnEval is called after each evaluation.
	OnEval func(CurvePoint)
}

// CurvePoint is one evaluation of a training run.
type CurvePoint struct {
	Step    int
	Epoch   float64       // training images seen / training set size
	Elapsed time.Duration // total wall time, including resumed runs
	// TrainNLL is the mean training NLL (nats per image) of the steps since the previous
	// point, on freshly dequantized batches; TrainBPD the same in bits/dim.
	TrainNLL, TrainBPD float64
	// TestBPD is the bits/dim of the first EvalImages test images (Evaluate).
	TestBPD    float64
	LR         float64
	GradNorm   float64 // mean global gradient norm (loss in nats per dimension) since the previous point
	StepsPerS  float64 // training steps per second since the previous point (evaluations excluded)
	ImagesPerS float64
	Skipped    int // non-finite steps skipped so far
}

// TrainResult summarises a run.
type TrainResult struct {
	// Resumed is the step the run resumed from (0 for a fresh run); Steps the last step.
	Resumed, Steps int
	Elapsed        time.Duration // total, including resumed runs
	Curve          []CurvePoint  // this run's points
	// Stopped is "steps" or "time".
	Stopped string
	Skipped int
}

// Store parameters saved with the checkpoints.
const (
	elapsedParam = "/glow/elapsed_seconds"
	imagesParam  = "/glow/images_seen"
)

func (c *TrainConfig) defaults() error {
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.WarmupSteps == 0 {
		c.WarmupSteps = 200
	}
	if c.DecayStart == 0 {
		c.DecayStart = 0.5
	}
	if c.MinLRFraction == 0 {
		c.MinLRFraction = 0.05
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 50
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = 500
	}
	if c.EvalImages == 0 {
		c.EvalImages = 2000
	}
	if c.InitImages == 0 {
		c.InitImages = 512
	}
	if c.CheckpointKeep == 0 {
		c.CheckpointKeep = 2
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 50
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	switch {
	case c.BatchSize < 1 || c.EvalEvery < 1 || c.EvalImages < 1 || c.InitImages < 1 || c.WarmupSteps < 0:
		return fmt.Errorf("glow: TrainConfig: BatchSize %d, EvalEvery %d, EvalImages %d, InitImages %d, WarmupSteps %d: want positive values",
			c.BatchSize, c.EvalEvery, c.EvalImages, c.InitImages, c.WarmupSteps)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("glow: TrainConfig.LearningRate is %v, want a positive finite value", c.LearningRate)
	case c.Steps < 0 || c.MaxDuration < 0:
		return fmt.Errorf("glow: TrainConfig: Steps %d and MaxDuration %v must not be negative", c.Steps, c.MaxDuration)
	case c.Steps == 0 && c.MaxDuration == 0:
		return fmt.Errorf("glow: TrainConfig: set Steps or MaxDuration (or both): training would never end")
	case !(c.DecayStart > 0 && c.DecayStart <= 1) || !(c.MinLRFraction >= 0 && c.MinLRFraction <= 1):
		return fmt.Errorf("glow: TrainConfig: DecayStart %v must be in (0, 1] and MinLRFraction %v in [0, 1]", c.DecayStart, c.MinLRFraction)
	}
	return nil
}

// LR returns the learning rate at step (0-based) when a fraction progress ∈ [0, 1] of the run is
// done: linear warm-up over WarmupSteps, the peak until DecayStart, then a cosine decay to
// MinLRFraction of the peak at progress 1.
func (c *TrainConfig) LR(step int, progress float64) float64 {
	lr := c.LearningRate
	if step < c.WarmupSteps {
		lr *= float64(step+1) / float64(c.WarmupSteps)
	}
	if progress <= c.DecayStart || c.DecayStart >= 1 {
		return lr
	}
	t := math.Min(1, (progress-c.DecayStart)/(1-c.DecayStart))
	return lr * (c.MinLRFraction + (1-c.MinLRFraction)*0.5*(1+math.Cos(math.Pi*t)))
}

// Train fits m by maximum likelihood on the 8-bit images of train (their H×W must match the
// model's event), with a fresh uniform dequantization of every batch (datasets.ImageBatches),
// Adam with warm-up, cosine decay and gradient clipping, ActNorm's data-dependent
// initialisation on InitImages training images before the first step, a guard that skips
// steps whose loss or gradient is not finite, and periodic evaluations on the first
// EvalImages images of test (which may be nil) that extend the curve, append it to CurveCSV and
// save a checkpoint. With CheckpointDir set it resumes from the newest checkpoint there,
// restoring the parameters, the optimiser's state, the step and the elapsed time.
func Train(m *Model, train, test *datasets.Images, cfg TrainConfig) (*TrainResult, error) {
	if m == nil || m.Model == nil {
		return nil, fmt.Errorf("glow: Train: model is nil")
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if train == nil || train.H() != m.Config.Event[0] || train.W() != m.Config.Event[1] || m.Config.Event[2] != 1 {
		return nil, fmt.Errorf("glow: Train: training images do not match the model's event %v", m.Config.Event)
	}
	var evalSet *datasets.Images
	if test != nil {
		var err error
		if evalSet, err = test.Subset(min(cfg.EvalImages, test.N())); err != nil {
			return nil, err
		}
	}
	t := &trainer{m: m, cfg: cfg, res: &TrainResult{}}
	if err := t.resume(); err != nil {
		return nil, err
	}
	batches, err := datasets.NewImageBatches(train, min(cfg.BatchSize, train.N()), cfg.Seed+uint64(t.step)*0x9e37)
	if err != nil {
		return nil, err
	}
	if t.step == 0 {
		if err := t.initActNorm(train); err != nil {
			return nil, err
		}
	}
	if t.exec, err = t.buildStep(); err != nil {
		return nil, err
	}
	start := time.Now()
	elapsed := func() time.Duration { return t.elapsed0 + time.Since(start) }
	progress := func(step int) float64 {
		p := 0.0
		if cfg.Steps > 0 {
			p = float64(step) / float64(cfg.Steps)
		}
		if cfg.MaxDuration > 0 {
			p = math.Max(p, elapsed().Seconds()/cfg.MaxDuration.Seconds())
		}
		return p
	}
	var sumNLL, sumNorm float64
	count := 0
	trainTime := time.Duration(0)
	stepsSince := 0
	D := m.Dims()
	for {
		if cfg.Steps > 0 && t.step >= cfg.Steps {
			t.res.Stopped = "steps"
			break
		}
		if cfg.MaxDuration > 0 && elapsed() >= cfg.MaxDuration {
			t.res.Stopped = "time"
			break
		}
		t0 := time.Now()
		pix, _ := batches.Next()
		x := t.batchTensor(pix, batches.Dims())
		lr := cfg.LR(t.step, progress(t.step))
		var lrT *tensors.Tensor
		if m.DType == dtypes.Float64 {
			lrT = tensors.FromScalar(lr)
		} else {
			lrT = tensors.FromScalar(float32(lr))
		}
		out, err := t.exec.Exec(x, lrT)
		if err != nil {
			return t.res, fmt.Errorf("glow: Train: step %d: %w", t.step, err)
		}
		nll, norm, ok := scalar(out[0]), scalar(out[1]), scalar(out[2]) == 1
		for _, o := range out {
			o.FinalizeAll()
		}
		x.FinalizeAll()
		t.step++
		t.images += int64(batches.BatchSize())
		stepsSince++
		trainTime += time.Since(t0)
		if ok {
			sumNLL += nll
			sumNorm += norm
			count++
		} else {
			t.res.Skipped++
		}
		if cfg.Progress != nil && t.step%cfg.ProgressEvery == 0 && count > 0 {
			fmt.Fprintf(cfg.Progress, "  step %6d  %7s  train %.4f bpd (running mean)  %.2f steps/s  %.0f images/s\n",
				t.step, elapsed().Round(time.Second), flowkit.BitsPerDim(sumNLL/float64(count), D),
				float64(stepsSince)/trainTime.Seconds(), float64(stepsSince*batches.BatchSize())/trainTime.Seconds())
		}
		if t.step%cfg.EvalEvery == 0 {
			p := CurvePoint{Step: t.step, Epoch: float64(t.images) / float64(train.N()), LR: lr, Skipped: t.res.Skipped,
				TrainNLL: sumNLL / math.Max(1, float64(count)), GradNorm: sumNorm / math.Max(1, float64(count)),
				StepsPerS: float64(stepsSince) / trainTime.Seconds(), TestBPD: math.NaN()}
			p.TrainBPD = flowkit.BitsPerDim(p.TrainNLL, D)
			p.ImagesPerS = p.StepsPerS * float64(batches.BatchSize())
			if err := t.evaluate(&p, evalSet, elapsed); err != nil {
				return t.res, err
			}
			sumNLL, sumNorm, count, stepsSince, trainTime = 0, 0, 0, 0, 0
		}
	}
	t.res.Steps, t.res.Elapsed = t.step, elapsed()
	if cfg.CheckpointDir != "" && (len(t.res.Curve) == 0 || t.res.Curve[len(t.res.Curve)-1].Step != t.step) {
		if err := t.save(elapsed()); err != nil {
			return t.res, err
		}
	}
	return t.res, nil
}

type trainer struct {
	m        *Model
	cfg      TrainConfig
	res      *TrainResult
	exec     *model.Exec
	step     int
	images   int64
	elapsed0 time.Duration
}

// resume loads the newest checkpoint of CheckpointDir, if any.
func (t *trainer) resume() error {
	dir := t.cfg.CheckpointDir
	if dir == "" {
		return nil
	}
	path, _, err := fit.LatestCheckpoint(dir)
	if err != nil || path == "" {
		return err
	}
	step, err := fit.LoadModel(t.m.Model, dir)
	if err != nil {
		return fmt.Errorf("glow: Train: resuming from %s: %w", dir, err)
	}
	t.step, t.res.Resumed = step, step
	if v, ok := t.m.Store.GetParam(elapsedParam); ok {
		if f, ok := v.(float64); ok {
			t.elapsed0 = time.Duration(f * float64(time.Second))
		}
	}
	if v, ok := t.m.Store.GetParam(imagesParam); ok {
		if f, ok := v.(float64); ok {
			t.images = int64(f)
		}
	}
	return nil
}

// initActNorm runs ActNorm's data-dependent initialisation on InitImages dequantized training
// images.
func (t *trainer) initActNorm(train *datasets.Images) error {
	n := min(t.cfg.InitImages, train.N())
	b, err := datasets.NewImageBatches(train, n, t.cfg.Seed^0xac7)
	if err != nil {
		return err
	}
	pix, _ := b.Next()
	x := t.batchTensor(pix, b.Dims())
	if _, err := linear.InitActNorm(t.m.Model, x, nil); err != nil {
		return fmt.Errorf("glow: Train: ActNorm initialisation: %w", err)
	}
	return nil
}

// batchTensor returns a batch of pixels as a tensor in the model's dtype.
func (t *trainer) batchTensor(pix []float32, dims []int) *tensors.Tensor {
	if t.m.DType == dtypes.Float64 {
		f := make([]float64, len(pix))
		for i, v := range pix {
			f[i] = float64(v)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...)
	}
	return tensors.FromFlatDataAndDimensions(append([]float32(nil), pix...), dims...)
}

// buildStep returns the training step: inputs the batch and the learning rate; outputs the mean
// NLL (nats per image), the gradient norm and a flag (1 when the step was applied).
func (t *trainer) buildStep() (*model.Exec, error) {
	opt, ok := optimizer.Adam().Done().(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	if !ok {
		return nil, errors.New("glow: GoMLX's Adam no longer exposes UpdateGraphWithGradients")
	}
	m, clip := t.m, t.cfg.ClipNorm
	D := float64(m.Dims())
	return model.NewExec(m.Backend, m.Store, func(s *model.Scope, x, lr *Node) []*Node {
		g, dt := x.Graph(), x.DType()
		nll := Neg(ReduceAllMean(m.Flow.LogProb(flowkit.FlowScope(s), x, nil)))
		// The optimiser sees nats per dimension, so ClipNorm does not depend on the image size.
		grads := s.BuildTrainableVariablesGradientsGraph(DivScalar(nll, D))
		sq := ScalarZero(g, dt)
		for _, gr := range grads {
			sq = Add(sq, ReduceAllSum(Square(gr)))
		}
		norm := Sqrt(sq)
		finite := LogicalAnd(IsFinite(nll), IsFinite(norm))
		grads = fit.GuardGradients(s, grads, norm, finite, lr, clip)
		opt.UpdateGraphWithGradients(s, grads, dt)
		return []*Node{nll, norm, ConvertDType(finite, dt)}
	})
}

// evaluate completes p with the test bits/dim, records it, appends it to the CSV, saves a
// checkpoint and reports it.
func (t *trainer) evaluate(p *CurvePoint, evalSet *datasets.Images, elapsed func() time.Duration) error {
	if evalSet != nil {
		e, err := Evaluate(t.m.Model, evalSet, 12345, 500)
		if err != nil {
			return fmt.Errorf("glow: Train: evaluation at step %d: %w", p.Step, err)
		}
		p.TestBPD = e.BitsPerDim
	}
	p.Elapsed = elapsed()
	t.res.Curve = append(t.res.Curve, *p)
	if t.cfg.CurveCSV != "" {
		if err := AppendCurveCSV(t.cfg.CurveCSV, *p); err != nil {
			return err
		}
	}
	if t.cfg.CheckpointDir != "" {
		if err := t.save(p.Elapsed); err != nil {
			return err
		}
	}
	if t.cfg.Log != nil {
		fmt.Fprintf(t.cfg.Log, "step %6d  epoch %5.2f  %7s  train %.4f bpd  test %.4f bpd  lr %.2e  |g| %.3g  %.2f steps/s  %.0f images/s\n",
			p.Step, p.Epoch, p.Elapsed.Round(time.Second), p.TrainBPD, p.TestBPD, p.LR, p.GradNorm, p.StepsPerS, p.ImagesPerS)
	}
	if t.cfg.OnEval != nil {
		t.cfg.OnEval(*p)
	}
	return nil
}

func (t *trainer) save(elapsed time.Duration) error {
	t.m.Store.SetParam(elapsedParam, elapsed.Seconds())
	t.m.Store.SetParam(imagesParam, float64(t.images))
	return fit.SaveCheckpoint(t.m.Store, t.cfg.CheckpointDir, t.step, t.cfg.CheckpointKeep)
}

// curveHeader is the CSV header of a training curve.
var curveHeader = []string{"step", "epoch", "elapsed_s", "train_nll_nats", "train_bpd", "test_bpd", "lr", "grad_norm", "steps_per_s", "images_per_s", "skipped"}

// AppendCurveCSV appends p to the CSV file path, writing the header first when the file is new
// or empty.
func AppendCurveCSV(path string, p CurvePoint) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("glow: curve CSV: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if st.Size() == 0 {
		if err := w.Write(curveHeader); err != nil {
			return err
		}
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	if err := w.Write([]string{strconv.Itoa(p.Step), g(p.Epoch), g(p.Elapsed.Seconds()), g(p.TrainNLL), g(p.TrainBPD), g(p.TestBPD),
		g(p.LR), g(p.GradNorm), g(p.StepsPerS), g(p.ImagesPerS), strconv.Itoa(p.Skipped)}); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Sync()
}

// ReadCurveCSV reads a curve written by AppendCurveCSV (e.g. by cmd/glowtrain), in file order.
func ReadCurveCSV(path string) ([]CurvePoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("glow: curve CSV: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("glow: curve CSV %s: %w", path, err)
	}
	if len(rows) == 0 || len(rows[0]) != len(curveHeader) || rows[0][0] != curveHeader[0] {
		return nil, fmt.Errorf("glow: curve CSV %s: missing or unexpected header, want %v", path, curveHeader)
	}
	var out []CurvePoint
	for i, r := range rows[1:] {
		if len(r) != len(curveHeader) {
			return nil, fmt.Errorf("glow: curve CSV %s: row %d has %d fields, want %d", path, i+2, len(r), len(curveHeader))
		}
		var v [11]float64
		for j, s := range r {
			if v[j], err = strconv.ParseFloat(s, 64); err != nil {
				return nil, fmt.Errorf("glow: curve CSV %s: row %d field %s: %w", path, i+2, curveHeader[j], err)
			}
		}
		out = append(out, CurvePoint{Step: int(v[0]), Epoch: v[1], Elapsed: time.Duration(v[2] * float64(time.Second)),
			TrainNLL: v[3], TrainBPD: v[4], TestBPD: v[5], LR: v[6], GradNorm: v[7], StepsPerS: v[8], ImagesPerS: v[9], Skipped: int(v[10])})
	}
	return out, nil
}

func scalar(t *tensors.Tensor) float64 { return flowkit.Float64s(t)[0] }
