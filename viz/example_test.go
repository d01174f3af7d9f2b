package viz_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/flowkit/flowkit/viz"
)

// A 2D density heat map from one batched log-density evaluation, saved as a
// standalone page that opens without internet. In a notebook, call Display
// instead of Save.
func ExampleDensity2D() {
	grid := viz.NewGrid2D(-3, 3, -3, 3, 200, 200)
	// A flow would evaluate LogProb on grid.Flat32() (a [40000, 2] tensor) in
	// one call; here a standard normal stands in for it.
	logp := make([]float64, grid.Len())
	for k, p := range grid.Points() {
		logp[k] = -(p[0]*p[0]+p[1]*p[1])/2 - math.Log(2*math.Pi)
	}
	samples := [][]float64{{0.1, -0.4}, {1.2, 0.3}, {-0.7, 0.9}}
	dir, _ := os.MkdirTemp("", "viz-example")
	defer os.RemoveAll(dir)
	fig := viz.Density2D(grid, logp, samples).WithTitle("standard normal")
	err := fig.Save(filepath.Join(dir, "density.html"))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleGrid2D() {
	grid := viz.NewGrid2D(-4, 4, -4, 4, 200, 200)
	fmt.Println(grid.Len(), len(grid.Flat32()))
	first, last := grid.Points()[0], grid.Points()[grid.Index(199, 199)]
	fmt.Printf("%.2f %.2f\n", first, last)
	// Output:
	// 40000 80000
	// [-3.98 -3.98] [3.98 3.98]
}

// The data, model and samples of a 2D problem side by side.
func ExampleRow() {
	grid := viz.NewGrid2D(-2, 2, -2, 2, 100, 100)
	data := make([]float64, grid.Len())
	model := make([]float64, grid.Len())
	for k, p := range grid.Points() {
		data[k] = -(p[0]*p[0] + p[1]*p[1]) * 2
		model[k] = -(p[0]*p[0] + p[1]*p[1])
	}
	samples := [][]float64{{0.2, 0.1}, {-0.5, 0.3}, {0.1, -0.8}}
	fig := viz.Row(
		viz.Density2D(grid, data, nil).WithTitle("data"),
		viz.Density2D(grid, model, nil).WithTitle("model"),
		viz.Scatter2D(samples).WithTitle("samples"),
	)
	fmt.Println(fig.Panels(), fig.Display()) // Display shows nothing outside a notebook.
	// Output: 3 <nil>
}

// A histogram of samples with the true and the model density.
func ExampleDensity1D() {
	samples := []float64{-1.2, -0.3, 0.1, 0.4, 0.5, 0.9, 1.7}
	truth := viz.FuncCurve("true density", -3, 3, 100, func(x float64) float64 {
		return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
	})
	xs := viz.Linspace(-3, 3, 100)
	logp := make([]float64, len(xs)) // a model's LogProb on xs, in one batch.
	for i, x := range xs {
		logp[i] = -x*x/2.4 - 0.5*math.Log(2*math.Pi*1.2)
	}
	fig := viz.Density1D(samples, truth, viz.LogDensityCurve("model", xs, logp))
	html, err := fig.HTML() // self-contained: echarts included.
	fmt.Println(len(html) > 1_000_000, err)
	// Output: true <nil>
}

// A training curve that redraws itself in a notebook while training runs.
func ExampleNewLiveCurve() {
	curve := viz.NewLiveCurve("RealNVP on two moons").WithYName("NLL (nats)").WithInterval(250 * time.Millisecond)
	for step := range 1000 {
		nll := 2 + 1/float64(step+1) // a training step would compute this.
		curve.Add(step, "train", nll)
		if step%100 == 0 {
			curve.Add(step, "validation", nll+0.05)
		}
	}
	fmt.Println(curve.Close()) // draws the final state.
	fmt.Println(len(curve.Curves()[0].X), len(curve.Curves()[1].X))
	// Output:
	// <nil>
	// 1000 10
}

// A lower-triangular Jacobian: its zeros are grey, apart from small values.
func ExampleMatrix() {
	jac := [][]float64{
		{1.5, 0, 0},
		{0.2, 0.9, 0},
		{-0.7, 0.001, 1.1},
	}
	_, err := viz.Matrix(jac).WithTitle("dx/dz").Snippet()
	fmt.Println(err)
	// Output: <nil>
}

// Samples of an image flow as one grid of 28x28 images.
func ExampleImageGrid() {
	images := make([][]float64, 16)
	for n := range images {
		images[n] = make([]float64, 28*28)
		for k := range images[n] {
			images[n][k] = float64((k/28+n)%28) / 27 // values in [0, 1].
		}
	}
	fig := viz.ImageGrid(images, 28, 28, 8).WithTitle("samples")
	fmt.Println(fig.Err())
	// Output: <nil>
}

// How points move through the layers of a flow (the book's figure 16.4).
func ExampleFlowStages() {
	z := [][]float64{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}
	stages := [][][]float64{z}
	for layer := range 3 {
		prev := stages[layer]
		next := make([][]float64, len(prev))
		for i, p := range prev {
			next[i] = []float64{p[0] + 0.3*math.Sin(p[1]), p[1] + 0.2*p[0]*p[0]}
		}
		stages = append(stages, next)
	}
	fig := viz.FlowStages(stages, []string{"z", "layer 1", "layer 2", "x"})
	fmt.Println(fig.Panels(), fig.Err())
	// Output: 4 <nil>
}
