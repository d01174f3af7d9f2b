package static

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Scatter2D draws 2D points (points[i] = {x, y}; extra coordinates ignored).
func Scatter2D(points [][]float64) (*plot.Plot, error) {
	p := newPlot("Samples")
	if err := addPoints(p, points, seriesColor(2), 1.6); err != nil {
		return nil, err
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// addPoints draws small dots.
func addPoints(p *plot.Plot, points [][]float64, c color.Color, radius float64) error {
	if len(points) == 0 {
		return fmt.Errorf("static: no points")
	}
	xys := make(plotter.XYs, len(points))
	for i, pt := range points {
		if len(pt) < 2 {
			return fmt.Errorf("static: point %d has %d coordinates, want 2", i, len(pt))
		}
		xys[i] = plotter.XY{X: pt[0], Y: pt[1]}
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return fmt.Errorf("static: %w", err)
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(radius), Shape: draw.CircleGlyph{}}
	p.Add(s)
	return nil
}

// SaveScatter2D saves Scatter2D(points) to path (format by extension; square).
func SaveScatter2D(path string, points [][]float64) error {
	p, err := Scatter2D(points)
	if err != nil {
		return err
	}
	return Save(p, path, Height, Height)
}
