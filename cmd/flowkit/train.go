package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/fit"
)

const trainHelp = `
Trains a flow by maximum likelihood (Adam, cosine learning-rate decay, gradient clipping) and
keeps the best checkpoints, chosen by the NLL of a held-out validation set, in -ckpt. Progress
goes to stderr: on a terminal a live bar with the running training loss, otherwise one line
per validation (train and validation NLL, learning rate, speed). A summary goes to stdout.

The checkpoint directory also gets flowkit.json (family, sizes, dataset), from which sample,
eval and density rebuild the model. Run train again on the same -ckpt to resume: the flags
you leave out are taken from flowkit.json, -steps is the total number of steps, and changing
the architecture or the dataset of an existing run is an error.

Examples:
  flowkit train -flow realnvp -data moons -steps 2000 -ckpt runs/moons
  flowkit train -ckpt runs/moons -steps 4000          # resume the run above up to step 4000
  flowkit train -flow maf -layers 5 -hidden 128,128 -data mixture8d -ckpt runs/mix
  flowkit train -flow nsf -bins 16 -data checkerboard -epochs 20 -lr 5e-4 -ckpt runs/cb

Flow families (flowkit list families): ` + "%s" + `
Datasets (flowkit list datasets): ` + "%s" + `
`

type trainFlags struct {
	flow, data, ckpt        string
	layers, bins, n, nValid int
	hidden                  intList
	steps, batch, evalEvery int
	keep                    int
	epochs, lr              float64
	seed                    uint64
	quiet, verbose          bool
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	var f trainFlags
	fs := newFlagSet("train", "-ckpt DIR [flags]", fmt.Sprintf(trainHelp, strings.Join(familyNames(), ", "), strings.Join(datasetNames(), ", ")))
	fs.StringVar(&f.flow, "flow", "realnvp", "flow `family`: "+strings.Join(familyNames(), ", "))
	fs.IntVar(&f.layers, "layers", 0, "number of layers (0: the family's default, see flowkit list families)")
	fs.Var(&f.hidden, "hidden", "hidden layer `widths` of the conditioner networks, comma-separated (default: the family's, e.g. 64,64)")
	fs.IntVar(&f.bins, "bins", 0, "spline bins for nsf, nsf-ar and spline (0: the family's default 8)")
	fs.StringVar(&f.data, "data", "moons", "`dataset`: a 2D toy, mixture8d, mnist or mnist14 (flowkit list datasets)")
	fs.IntVar(&f.n, "n", 0, "training examples (0: the dataset's default, 10000 for the 2D toys)")
	fs.IntVar(&f.nValid, "valid", 1000, "validation examples, used to choose the checkpoints to keep")
	fs.IntVar(&f.steps, "steps", 2000, "total optimisation steps (a resumed run continues up to this step)")
	fs.Float64Var(&f.epochs, "epochs", 0, "train for this many passes over the data instead of -steps (steps = epochs*n/batch)")
	fs.IntVar(&f.batch, "batch", 256, "examples per step")
	fs.Float64Var(&f.lr, "lr", 1e-3, "peak learning rate (Adam; cosine decay to 1% of it)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: initialisation, training data and batches")
	fs.StringVar(&f.ckpt, "ckpt", "", "checkpoint `directory` (required; created if missing, resumed if it holds a run)")
	fs.IntVar(&f.keep, "keep", 2, "checkpoints to keep in -ckpt")
	fs.IntVar(&f.evalEvery, "eval-every", 0, "steps between validations and checkpoint saves (0: steps/20)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.BoolVar(&f.verbose, "v", false, "on a terminal, also print one line per validation under the progress bar")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	set := setFlags(fs)
	if f.ckpt == "" {
		return usagef("-ckpt is required: the directory to keep the model in (e.g. -ckpt runs/moons)")
	}
	if st, err := os.Stat(f.ckpt); err == nil && !st.IsDir() {
		return usagef("-ckpt %s: not a directory", f.ckpt)
	}

	// Resuming: take what was not given from flowkit.json, refuse what contradicts it.
	var prev *Meta
	if _, err := os.Stat(filepath.Join(f.ckpt, metaFile)); err == nil {
		if prev, err = readMeta(f.ckpt); err != nil {
			return err
		}
		if err := f.resume(prev, set); err != nil {
			return err
		}
	} else if list, _ := fit.ListCheckpoints(f.ckpt); len(list) > 0 {
		return fmt.Errorf("-ckpt %s holds checkpoints but no %s: not a flowkit train run; use another directory", f.ckpt, metaFile)
	}

	fam, ok := lookupFamily(f.flow)
	if !ok {
		return usagef("-flow %q: unknown flow family (known: %s)", f.flow, strings.Join(familyNames(), ", "))
	}
	data, err := lookupDataset("data", f.data)
	if err != nil {
		return err
	}
	if err := f.validate(fam, set); err != nil {
		return err
	}
	n, err := data.checkN("n", f.n)
	if err != nil {
		return err
	}
	if f.epochs > 0 {
		f.steps = int(math.Ceil(f.epochs * float64(n) / float64(min(f.batch, n))))
	}
	arch := Arch{Family: fam.Name, Dims: data.Dims, Layers: f.layers, Hidden: []int(f.hidden), Bins: f.bins}
	if fam.Layers > 0 && f.layers == 0 {
		arch.Layers = fam.Layers
	}
	if len(arch.Hidden) == 0 {
		arch.Hidden = fam.Hidden
	}
	if fam.Bins == 0 {
		arch.Bins = 0
	} else if arch.Bins == 0 {
		arch.Bins = fam.Bins
	}
	if prev != nil && !sameArch(prev.Arch, arch) {
		return usagef("-ckpt %s holds %s; the flags ask for another architecture (use a new -ckpt)", f.ckpt, prev.describe())
	}

	train, valid, err := data.Sample(n, f.nValid, f.seed)
	if err != nil {
		return fmt.Errorf("-data %s: %v", data.Name, err)
	}
	train, _ = data.toModel(train)
	valid, _ = data.toModel(valid)
	flow, err := buildFlow(arch)
	if err != nil {
		return err
	}
	b, err := backend.Shared()
	if err != nil {
		return err
	}
	m, err := flowkit.NewModel(flow, flowkit.WithBackend(b), flowkit.WithSeed(int64(f.seed)))
	if err != nil {
		return err
	}
	meta := &Meta{Arch: arch, Dataset: data.Name, Image: data.Image, Logit: data.Logit,
		TrainN: n, Seed: f.seed, Batch: f.batch, LR: f.lr}
	if err := writeMeta(f.ckpt, meta); err != nil {
		return err
	}
	_, startStep, _ := fit.LatestCheckpoint(f.ckpt)
	if startStep >= f.steps {
		fmt.Fprintf(stdout, "nothing to do: %s is at step %d >= -steps %d (raise -steps to train further)\n", f.ckpt, startStep, f.steps)
		return nil
	}
	cfg := fit.Config{Steps: f.steps, BatchSize: f.batch, LearningRate: f.lr, Seed: f.seed,
		CheckpointDir: f.ckpt, CheckpointKeep: f.keep, EvalEvery: f.evalEvery}
	// A progress bar redrawn in place on a terminal; one line per validation otherwise (logs).
	switch {
	case f.quiet:
	case isTerminal(stderr):
		cfg.Progress = stderr
		if f.verbose {
			cfg.Log = stderr
		}
	default:
		cfg.Log = stderr
	}
	var validArg any
	if len(valid) > 0 {
		validArg = valid
	}
	verb := "training"
	if startStep > 0 {
		verb = fmt.Sprintf("resuming at step %d:", startStep)
	}
	fmt.Fprintf(stderr, "%s %s, %d examples of %s, %d steps of batch %d, lr %g, backend %s\n",
		verb, meta.describe(), n, describeData(data), f.steps, f.batch, f.lr, backend.Name(b))
	res, err := fit.MLE(m, train, validArg, cfg)
	if err != nil {
		var nf *fit.NonFiniteError
		if errors.As(err, &nf) {
			return fmt.Errorf("training stopped: %v (the last good checkpoint in %s is intact; try a lower -lr)", err, f.ckpt)
		}
		return fmt.Errorf("training: %v", archError(err, meta))
	}
	path, step, err := fit.LatestCheckpoint(f.ckpt)
	if err != nil || path == "" {
		return fmt.Errorf("-ckpt %s: training ended without a checkpoint (%v)", f.ckpt, err)
	}
	fmt.Fprintf(stdout, "trained %s: %d steps (%s), best validation NLL %.4f nats at step %d, %s\n",
		meta.describe(), res.Steps, res.Stopped, res.BestValid, res.BestStep, res.Elapsed.Round(1e7))
	fmt.Fprintf(stdout, "checkpoint: %s (step %d)\n", path, step)
	return nil
}

// resume fills the flags not given on the command line from an existing run's metadata and
// refuses flags that contradict it.
func (f *trainFlags) resume(prev *Meta, set map[string]bool) error {
	conflict := func(flag string, given, recorded any) error {
		return usagef("-%s %v: -ckpt %s holds a run with -%s %v (%s); use a new -ckpt for another model",
			flag, given, f.ckpt, flag, recorded, prev.describe())
	}
	if set["flow"] && f.flow != prev.Family {
		return conflict("flow", f.flow, prev.Family)
	}
	f.flow = prev.Family
	if set["data"] && f.data != prev.Dataset {
		return conflict("data", f.data, prev.Dataset)
	}
	f.data = prev.Dataset
	if set["layers"] && f.layers != prev.Layers {
		return conflict("layers", f.layers, prev.Layers)
	}
	f.layers = prev.Layers
	if set["hidden"] && !sameArch(Arch{Hidden: f.hidden}, Arch{Hidden: prev.Hidden}) {
		h := intList(prev.Hidden)
		return conflict("hidden", f.hidden.String(), h.String())
	}
	f.hidden = prev.Hidden
	if set["bins"] && f.bins != prev.Bins {
		return conflict("bins", f.bins, prev.Bins)
	}
	f.bins = prev.Bins
	if !set["n"] {
		f.n = prev.TrainN
	}
	if !set["seed"] {
		f.seed = prev.Seed
	}
	if !set["batch"] {
		f.batch = prev.Batch
	}
	if !set["lr"] {
		f.lr = prev.LR
	}
	return nil
}

// validate checks the numeric flags, naming the bad one.
func (f *trainFlags) validate(fam family, set map[string]bool) error {
	switch {
	case f.layers < 0:
		return usagef("-layers %d: want a positive number of layers (0 for the default %d)", f.layers, fam.Layers)
	case f.bins < 0 || (f.bins == 1):
		return usagef("-bins %d: want at least 2 bins (0 for the default)", f.bins)
	case set["bins"] && fam.Bins == 0 && f.bins != 0:
		return usagef("-bins: flow family %s has no splines (use nsf, nsf-ar or spline)", fam.Name)
	case f.nValid < 0:
		return usagef("-valid %d: want >= 0 validation examples", f.nValid)
	case f.steps <= 0:
		return usagef("-steps %d: want a positive number of steps", f.steps)
	case set["epochs"] && set["steps"]:
		return usagef("-epochs and -steps both given: use one")
	case f.epochs < 0 || math.IsNaN(f.epochs) || math.IsInf(f.epochs, 0):
		return usagef("-epochs %v: want a positive number of passes", f.epochs)
	case f.batch <= 0:
		return usagef("-batch %d: want a positive batch size", f.batch)
	case !(f.lr > 0) || math.IsInf(f.lr, 0):
		return usagef("-lr %v: want a positive finite learning rate", f.lr)
	case f.keep <= 0:
		return usagef("-keep %d: want at least 1 checkpoint to keep", f.keep)
	case f.evalEvery < 0:
		return usagef("-eval-every %d: want >= 0 (0 for steps/20)", f.evalEvery)
	}
	return nil
}

// isTerminal reports whether w is a terminal (a character device), where a progress bar can be
// redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
