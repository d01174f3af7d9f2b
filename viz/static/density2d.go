package static

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/flowkit/flowkit/viz"
)

// gridValues adapts values on a viz.Grid2D (grid order) to plotter.GridXYZ.
type gridValues struct {
	g    viz.Grid2D
	vals []float64
}

// Dims implements plotter.GridXYZ.
func (gv gridValues) Dims() (c, r int) { return gv.g.NX, gv.g.NY }

// Z implements plotter.GridXYZ.
func (gv gridValues) Z(c, r int) float64 { return gv.vals[gv.g.Index(c, r)] }

// X implements plotter.GridXYZ.
func (gv gridValues) X(c int) float64 { return gv.g.X(c) }

// Y implements plotter.GridXYZ.
func (gv gridValues) Y(r int) float64 { return gv.g.Y(r) }

// Density2D draws exp(logDensity) on grid as a heat map (values in grid
// order, see viz.Grid2D), with samples (if any) as small dots on top.
func Density2D(grid viz.Grid2D, logDensity []float64, samples [][]float64) (*plot.Plot, error) {
	return heat2D("Density", grid, logDensity, samples, false)
}

// LogDensity2D draws log p itself, clipped to viz.LogDensityRange nats below
// its maximum.
func LogDensity2D(grid viz.Grid2D, logDensity []float64, samples [][]float64) (*plot.Plot, error) {
	return heat2D("Log density", grid, logDensity, samples, true)
}

func heat2D(title string, grid viz.Grid2D, logp []float64, samples [][]float64, logScale bool) (*plot.Plot, error) {
	if err := grid.Validate(); err != nil {
		return nil, err
	}
	if len(logp) != grid.Len() {
		return nil, fmt.Errorf("static: %s: %d values for a %dx%d grid", title, len(logp), grid.NX, grid.NY)
	}
	vals := make([]float64, len(logp))
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, v := range logp {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 1):
			v = math.NaN()
		case !logScale:
			v = math.Exp(v)
		}
		vals[k] = v
		if !math.IsNaN(v) && !math.IsInf(v, -1) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if math.IsInf(hi, -1) {
		lo, hi = 0, 1
	}
	stops := densityColors
	if logScale {
		stops = viridisColors
		lo = max(lo, hi-viz.LogDensityRange)
	} else {
		lo = 0
	}
	if hi <= lo {
		hi = lo + 1
	}
	pal := newRamp(stops, 256)
	hm := plotter.NewHeatMap(gridValues{grid, vals}, pal)
	hm.Min, hm.Max = lo, hi
	hm.Underflow = pal.Colors()[0] // log densities below the range, and -Inf.
	hm.Overflow = pal.Colors()[255]
	hm.NaN = color.Transparent
	hm.Rasterized = true
	p := newPlot(title)
	p.Add(hm)
	p.Legend.Add(fmt.Sprintf("%.3g", hi), swatch{pal.Colors()[255]})
	p.Legend.Add(fmt.Sprintf("%.3g", lo), swatch{pal.Colors()[0]})
	if len(samples) > 0 {
		if err := addPoints(p, samples, overlayColor, 1.2); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = grid.XMin, grid.XMax
	p.Y.Min, p.Y.Max = grid.YMin, grid.YMax
	return p, nil
}

// SaveDensity2D saves Density2D(grid, logDensity, samples) to path (format by
// extension; square).
func SaveDensity2D(path string, grid viz.Grid2D, logDensity []float64, samples [][]float64) error {
	p, err := Density2D(grid, logDensity, samples)
	if err != nil {
		return err
	}
	return Save(p, path, Height, Height)
}

// swatch is a legend thumbnail filled with one colour, outlined in grey.
type swatch struct{ c color.Color }

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}
	c.FillPolygon(s.c, pts)
	c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.5)}, append(pts, pts[0]))
}
