package main

import (
	"fmt"
	"io"
	"math"

	"github.com/flowkit/flowkit/flowkit"
)

const evalHelp = `
Prints the test negative log-likelihood of the model in -ckpt (its newest checkpoint), in nats
per example, on the fixed test set of its dataset: the same examples for every run, so numbers
of different runs compare. For image data it also prints bits per dimension,
(NLL + D ln 256) / (D ln 2), for the 8-bit pixels (uniform dequantization, and the logit
preprocessing's Jacobian, counted exactly once). When the data has a known density, its own NLL
on the same examples is printed too: no model can beat it on average.

Examples:
  flowkit eval -ckpt runs/moons
  flowkit eval -ckpt runs/moons -n 20000
`

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "-ckpt DIR [flags]", evalHelp)
	ckpt := fs.String("ckpt", "", "checkpoint `directory` written by flowkit train (required)")
	n := fs.Int("n", 5000, "test examples (image test sets hold at most 10000)")
	batch := fs.Int("batch", 1000, "examples per evaluation batch")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if *ckpt == "" {
		return usagef("-ckpt is required: the directory flowkit train wrote")
	}
	if *n <= 0 {
		return usagef("-n %d: want a positive number of test examples", *n)
	}
	if *batch <= 0 {
		return usagef("-batch %d: want a positive batch size", *batch)
	}
	l, err := loadModel(*ckpt, 1)
	if err != nil {
		return err
	}
	test, err := l.Data.Test(*n)
	if err != nil {
		return fmt.Errorf("test set of %s: %v", l.Data.Name, err)
	}
	nll, err := testNLL(l, test, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model     %s, checkpoint step %d\n", l.Meta.describe(), l.Step)
	fmt.Fprintf(stdout, "test NLL  %.4f nats/example  (%d examples of the %s test set)\n", nll, len(test), l.Data.Name)
	if l.Meta.Image != nil {
		fmt.Fprintf(stdout, "bits/dim  %.4f  (D = %d)\n", flowkit.BitsPerDim(nll, l.Meta.Dims), l.Meta.Dims)
	}
	if l.Data.LogProb != nil {
		sum := 0.0
		for _, x := range test {
			sum -= l.Data.LogProb(x)
		}
		truth := sum / float64(len(test))
		fmt.Fprintf(stdout, "data NLL  %.4f nats/example  (the true density on the same examples; the model's gap: %.4f)\n", truth, nll-truth)
	}
	if math.IsNaN(nll) || math.IsInf(nll, 0) {
		return fmt.Errorf("-ckpt %s: the test NLL is not finite (%v)", *ckpt, nll)
	}
	return nil
}

// testNLL returns the mean negative log-likelihood of the data-space rows test, in nats per
// example, adding the Jacobian of the data's preprocessing.
func testNLL(l *loaded, test [][]float64, batch int) (float64, error) {
	data := l.Data
	data.Logit = l.Meta.Logit
	sum := 0.0
	for from := 0; from < len(test); from += batch {
		rows := test[from:min(from+batch, len(test))]
		u, logDet := data.toModel(rows)
		lp, err := l.Model.LogProb(u, nil)
		if err != nil {
			return 0, err
		}
		for i, v := range lp {
			// log p(y) = log p(u) + log|du/dy|.
			if logDet != nil {
				v += logDet[i]
			}
			sum -= v
		}
	}
	return sum / float64(len(test)), nil
}
