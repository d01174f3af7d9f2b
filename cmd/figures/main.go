// Command figures writes the static figures shown in the README, from the project's own data
// generators and densities, as PNG (and SVG) files:
//
//	go run ./cmd/figures -out docs/figures
//
// It draws: the bimodal 1D target's density over a histogram of its samples; the true
// log-density of the 8-gaussians and checkerboard toys on a 200x200 grid with samples on top;
// and a scatter of two-moons samples.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/static"
)

func main() {
	out := flag.String("out", "docs/figures", "folder to write the figures into")
	svg := flag.Bool("svg", false, "also write SVG versions")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: figures [-out dir] [-svg]\n\nWrites the README's figures.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *svg); err != nil {
		fmt.Fprintln(os.Stderr, "figures:", err)
		os.Exit(1)
	}
}

func run(out string, svg bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	exts := []string{".png"}
	if svg {
		exts = append(exts, ".svg")
	}
	for _, ext := range exts {
		if err := figures(out, ext); err != nil {
			return err
		}
	}
	return nil
}

func figures(out, ext string) error {
	// 1D: the bimodal target, its density over a histogram of samples.
	bi := datasets.Bimodal()
	curve := viz.FuncCurve("true density", -4, 4, 400, bi.Prob)
	if err := static.SaveDensity1D(filepath.Join(out, "bimodal"+ext), bi.Sample(100000, 1), curve); err != nil {
		return err
	}
	// 2D toys: true log-densities on a grid, with samples.
	for _, name := range []string{"8gaussians", "checkerboard"} {
		toy, err := datasets.Toy(name)
		if err != nil {
			return err
		}
		grid := viz.NewGrid2D(-4, 4, -4, 4, 200, 200)
		logp := make([]float64, 0, grid.Len())
		for _, p := range grid.Points() {
			lp, ok := toy.LogProb(p[0], p[1])
			if !ok {
				return fmt.Errorf("%s has no known density", name)
			}
			logp = append(logp, math.Max(lp, -30))
		}
		if err := static.SaveDensity2D(filepath.Join(out, name+ext), grid, logp, toy.Sample(500, 1)); err != nil {
			return err
		}
	}
	moons, err := datasets.Toy("moons")
	if err != nil {
		return err
	}
	return static.SaveScatter2D(filepath.Join(out, "moons"+ext), moons.Sample(2000, 1))
}
