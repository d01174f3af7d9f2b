package static_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/static"
)

// ring returns the log-density of a ring of radius 2 on grid, and samples of it.
func ring(grid viz.Grid2D, n int) (logp []float64, samples [][]float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range grid.Points() {
		r := math.Hypot(p[0], p[1])
		logp = append(logp, -(r-2)*(r-2)/(2*0.09)-math.Log(2*math.Pi*2*0.3*math.Sqrt(2*math.Pi)))
	}
	for range n {
		a, r := 2*math.Pi*rng.Float64(), 2+0.3*rng.NormFloat64()
		samples = append(samples, []float64{r * math.Cos(a), r * math.Sin(a)})
	}
	return logp, samples
}

func TestSaveFigures(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("FLOWKIT_STATIC_OUT"); d != "" {
		dir = d // keep the figures to look at them.
	}
	rng := rand.New(rand.NewPCG(3, 4))
	grid := viz.NewGrid2D(-3, 3, -3, 3, 100, 100)
	logp, samples := ring(grid, 400)
	var xs []float64
	for range 1000 {
		xs = append(xs, rng.NormFloat64())
	}
	gauss := viz.FuncCurve("true density", -4, 4, 100, func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) })
	m := [][]float64{{1, 0, 0}, {0.5, 2, 0}, {-1, 0.001, 1.5}}
	var imgs [][]float64
	for n := range 12 {
		im := make([]float64, 16*16)
		for k := range im {
			im[k] = float64((k+n)%16) / 15
		}
		imgs = append(imgs, im)
	}
	curve := viz.Curve{Name: "train", X: []float64{0, 1, 2, 3}, Y: []float64{3, 2, 1.5, 1.2}}

	figures := []struct {
		name string
		save func(path string) error
		w, h int // expected PNG size
	}{
		{"density1d", func(p string) error { return static.SaveDensity1D(p, xs, gauss) }, 576, 432},
		{"scatter2d", func(p string) error { return static.SaveScatter2D(p, samples) }, 432, 432},
		{"density2d", func(p string) error { return static.SaveDensity2D(p, grid, logp, samples) }, 432, 432},
		{"curves", func(p string) error { return static.SaveCurves(p, curve) }, 576, 432},
		{"matrix", func(p string) error { return static.SaveMatrix(p, m) }, 432, 432},
		// 4 columns of 16+2 pixels plus 2: 74 x 56, scaled by 8.
		{"imagegrid", func(p string) error { return static.SaveImageGrid(p, imgs, 16, 16, 4) }, 592, 448},
	}
	for _, f := range figures {
		t.Run(f.name, func(t *testing.T) {
			pngPath := filepath.Join(dir, f.name+".png")
			if err := f.save(pngPath); err != nil {
				t.Fatal(err)
			}
			checkPNG(t, pngPath, f.w, f.h)
			svgPath := filepath.Join(dir, f.name+".svg")
			if err := f.save(svgPath); err != nil {
				t.Fatal(err)
			}
			svg, err := os.ReadFile(svgPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(svg, []byte("<svg")) || len(svg) < 500 {
				t.Errorf("%s does not look like an SVG figure (%d bytes)", svgPath, len(svg))
			}
		})
	}
}

// checkPNG decodes path and checks its size and that it is not blank.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if v := lumaVariance(img); !(v > 0) {
		t.Errorf("%s is blank (luma variance %g)", path, v)
	}
}

func lumaVariance(img image.Image) float64 {
	b := img.Bounds()
	var sum, sum2, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / n
	return sum2/n - mean*mean
}

func TestSaveRejectsUnknownExtension(t *testing.T) {
	p, err := static.Scatter2D([][]float64{{0, 0}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := static.Save(p, filepath.Join(t.TempDir(), "x.gif"), static.Width, static.Height); err == nil {
		t.Error("Save to .gif: no error")
	}
}

func TestErrors(t *testing.T) {
	if _, err := static.Density2D(viz.NewGrid2D(0, 1, 0, 1, 4, 4), make([]float64, 15), nil); err == nil {
		t.Error("Density2D with 15 values for 16 points: no error")
	}
	if _, err := static.Matrix([][]float64{{1, 2}, {3}}); err == nil {
		t.Error("Matrix with ragged rows: no error")
	}
	if _, _, _, err := static.ImageGrid([][]float64{{0, 1}}, 2, 2, 1); err == nil {
		t.Error("ImageGrid with a short image: no error")
	}
}
