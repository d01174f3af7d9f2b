package viz

import (
	"fmt"
	"math"
)

// Grid2D is a regular grid of NX x NY cells over [XMin, XMax] x [YMin, YMax],
// used to evaluate a 2D density for a heat map. Its points are the cell
// centres, so the heat map's cells exactly tile the rectangle.
//
// Points are ordered row by row from the bottom, x varying fastest: point
// k = j*NX + i is (X(i), Y(j)). Points, Flat32 and Flat64 all use this order,
// and Density2D expects log-densities in it, so a caller evaluates the flow on
// all NX*NY points in one batched call (a [NX*NY, 2] tensor built from Flat32)
// and passes the result straight on.
type Grid2D struct {
	XMin, XMax, YMin, YMax float64 // the rectangle covered.
	NX, NY                 int     // cells along x and along y.
}

// NewGrid2D returns the grid of nx x ny cells over [xmin, xmax] x [ymin, ymax].
func NewGrid2D(xmin, xmax, ymin, ymax float64, nx, ny int) Grid2D {
	return Grid2D{XMin: xmin, XMax: xmax, YMin: ymin, YMax: ymax, NX: nx, NY: ny}
}

// Validate reports whether the grid is well formed.
func (g Grid2D) Validate() error {
	if g.NX <= 0 || g.NY <= 0 {
		return fmt.Errorf("viz: Grid2D has %dx%d cells, want at least 1x1", g.NX, g.NY)
	}
	for _, v := range []float64{g.XMin, g.XMax, g.YMin, g.YMax} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("viz: Grid2D bounds must be finite, got %+v", g)
		}
	}
	if !(g.XMin < g.XMax) || !(g.YMin < g.YMax) {
		return fmt.Errorf("viz: Grid2D bounds need XMin < XMax and YMin < YMax, got %+v", g)
	}
	return nil
}

// Len returns the number of points, NX*NY.
func (g Grid2D) Len() int { return g.NX * g.NY }

// X returns the x coordinate of column i's cell centres.
func (g Grid2D) X(i int) float64 { return g.XMin + (float64(i)+0.5)*(g.XMax-g.XMin)/float64(g.NX) }

// Y returns the y coordinate of row j's cell centres (row 0 is at YMin).
func (g Grid2D) Y(j int) float64 { return g.YMin + (float64(j)+0.5)*(g.YMax-g.YMin)/float64(g.NY) }

// Index returns the position of point (X(i), Y(j)) in Points and in the flat slices.
func (g Grid2D) Index(i, j int) int { return j*g.NX + i }

// Points returns the NX*NY points as {x, y} pairs, in grid order.
func (g Grid2D) Points() [][]float64 {
	pts := make([][]float64, 0, g.Len())
	flat := g.Flat64()
	for k := 0; k < g.Len(); k++ {
		pts = append(pts, flat[2*k:2*k+2:2*k+2])
	}
	return pts
}

// Flat64 returns the points as one slice x0, y0, x1, y1, ... of length
// 2*NX*NY: the row-major data of a [NX*NY, 2] tensor.
func (g Grid2D) Flat64() []float64 {
	flat := make([]float64, 2*g.Len())
	for j := 0; j < g.NY; j++ {
		y := g.Y(j)
		for i := 0; i < g.NX; i++ {
			k := 2 * g.Index(i, j)
			flat[k], flat[k+1] = g.X(i), y
		}
	}
	return flat
}

// Flat32 is Flat64 in float32, ready for a float32 [NX*NY, 2] tensor.
func (g Grid2D) Flat32() []float32 {
	f64 := g.Flat64()
	flat := make([]float32, len(f64))
	for i, v := range f64 {
		flat[i] = float32(v)
	}
	return flat
}
