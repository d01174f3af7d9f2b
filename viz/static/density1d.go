package static

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/flowkit/flowkit/viz"
)

// Density1D draws a density-normalised histogram of samples (see
// viz.NewHistogram; bins chosen automatically) with curves on top, such as the
// true density and the model's.
func Density1D(samples []float64, curves ...viz.Curve) (*plot.Plot, error) {
	if len(samples) == 0 && len(curves) == 0 {
		return nil, fmt.Errorf("static: Density1D: no samples and no curves")
	}
	p := newPlot("Density")
	p.Y.Label.Text = "density"
	if len(samples) > 0 {
		h, err := viz.NewHistogram(samples, 0)
		if err != nil {
			return nil, err
		}
		outline := plotter.XYs{{X: h.Edges[0], Y: 0}}
		for i, d := range h.Density {
			outline = append(outline, plotter.XY{X: h.Edges[i], Y: d}, plotter.XY{X: h.Edges[i+1], Y: d})
		}
		outline = append(outline, plotter.XY{X: h.Edges[len(h.Edges)-1], Y: 0})
		poly, err := plotter.NewPolygon(outline)
		if err != nil {
			return nil, err
		}
		poly.Color = histFill
		poly.LineStyle.Color = histLine
		poly.LineStyle.Width = vg.Points(0.5)
		p.Add(poly)
		p.Legend.Add(fmt.Sprintf("samples (n=%d)", len(samples)), poly)
	}
	if err := addCurves(p, curves, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// addCurves draws curves as lines, colours starting at series colour first.
func addCurves(p *plot.Plot, curves []viz.Curve, first int) error {
	for i, c := range curves {
		if err := c.Validate(); err != nil {
			return err
		}
		xys := make(plotter.XYs, len(c.X))
		for k := range c.X {
			xys[k] = plotter.XY{X: c.X[k], Y: c.Y[k]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("static: curve %q: %w", c.Name, err)
		}
		l.Color = seriesColor(first + i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if c.Name != "" {
			p.Legend.Add(c.Name, l)
		}
	}
	return nil
}

// SaveDensity1D saves Density1D(samples, curves...) to path (format by
// extension, default size).
func SaveDensity1D(path string, samples []float64, curves ...viz.Curve) error {
	p, err := Density1D(samples, curves...)
	if err != nil {
		return err
	}
	return Save(p, path, Width, Height)
}

// Curves draws curves as lines: a training curve (x = step, one curve per
// series) or any functions of one variable.
func Curves(curves ...viz.Curve) (*plot.Plot, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("static: Curves: no curves")
	}
	p := newPlot("")
	p.X.Label.Text = "step"
	if err := addCurves(p, curves, 1); err != nil {
		return nil, err
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// SaveCurves saves Curves(curves...) to path (format by extension, default size).
func SaveCurves(path string, curves ...viz.Curve) error {
	p, err := Curves(curves...)
	if err != nil {
		return err
	}
	return Save(p, path, Width, Height)
}
