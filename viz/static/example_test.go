package static_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/static"
)

// A density heat map as PNG and SVG files.
func ExampleSaveDensity2D() {
	grid := viz.NewGrid2D(-3, 3, -3, 3, 100, 100)
	logp := make([]float64, grid.Len())
	for k, p := range grid.Points() {
		logp[k] = -(p[0]*p[0]+p[1]*p[1])/2 - math.Log(2*math.Pi)
	}
	dir, _ := os.MkdirTemp("", "static-example")
	defer os.RemoveAll(dir)
	for _, name := range []string{"density.png", "density.svg"} {
		fmt.Println(static.SaveDensity2D(filepath.Join(dir, name), grid, logp, nil))
	}
	// Output:
	// <nil>
	// <nil>
}

// A builder returns the gonum plot, to adjust before saving.
func ExampleCurves() {
	train := viz.Curve{Name: "train", X: []float64{0, 100, 200}, Y: []float64{3.1, 1.9, 1.4}}
	p, err := static.Curves(train)
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Title.Text = "NLL"
	p.Y.Label.Text = "nats"
	dir, _ := os.MkdirTemp("", "static-example")
	defer os.RemoveAll(dir)
	fmt.Println(static.Save(p, filepath.Join(dir, "nll.png"), static.Width, static.Height))
	// Output: <nil>
}
