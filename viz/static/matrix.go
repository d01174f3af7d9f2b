package static

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// matrixValues adapts m (row 0 drawn at the top) to plotter.GridXYZ; exact
// zeros become -Inf so the heat map paints them in its Underflow colour.
type matrixValues [][]float64

// Dims implements plotter.GridXYZ.
func (m matrixValues) Dims() (c, r int) { return len(m[0]), len(m) }

// X implements plotter.GridXYZ.
func (m matrixValues) X(c int) float64 { return float64(c) }

// Y implements plotter.GridXYZ.
func (m matrixValues) Y(r int) float64 { return float64(r) }

// Z implements plotter.GridXYZ.
func (m matrixValues) Z(c, r int) float64 {
	v := m[len(m)-1-r][c]
	if v == 0 {
		return math.Inf(-1)
	}
	return v
}

// indexTicks labels an axis with the n matrix indices; flip puts index 0 at
// the top of a y axis.
type indexTicks struct {
	n    int
	flip bool
}

// Ticks implements plot.Ticker.
func (t indexTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, t.n/8)
	var ticks []plot.Tick
	for i := 0; i < t.n; i += step {
		v := float64(i)
		if t.flip {
			v = float64(t.n - 1 - i)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(i)})
	}
	return ticks
}

// Matrix draws m (m[row][col]) with a blue-white-red scale symmetric about
// zero and exact zeros in grey (see viz.Matrix); row 0 is at the top. NaN
// entries are left blank.
func Matrix(m [][]float64) (*plot.Plot, error) {
	if len(m) == 0 || len(m[0]) == 0 {
		return nil, fmt.Errorf("static: Matrix: empty matrix")
	}
	a := 0.0
	for i, row := range m {
		if len(row) != len(m[0]) {
			return nil, fmt.Errorf("static: Matrix: row %d has %d columns, row 0 has %d", i, len(row), len(m[0]))
		}
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				a = max(a, math.Abs(v))
			}
		}
	}
	if a == 0 {
		a = 1
	}
	pal := newRamp(divergingCols, 255)
	hm := plotter.NewHeatMap(matrixValues(m), pal)
	hm.Min, hm.Max = -a, a
	hm.Underflow = zeroColor
	hm.Overflow = pal.Colors()[254]
	hm.NaN = color.Transparent
	hm.Rasterized = len(m)*len(m[0]) > 64*64
	p := newPlot("Matrix")
	p.Add(hm)
	p.X.Tick.Marker = indexTicks{n: len(m[0])}
	p.Y.Tick.Marker = indexTicks{n: len(m), flip: true}
	p.Legend.Add(fmt.Sprintf("+%.3g", a), swatch{pal.Colors()[254]})
	p.Legend.Add(fmt.Sprintf("-%.3g", a), swatch{pal.Colors()[0]})
	p.Legend.Add("0 (exact)", swatch{zeroColor})
	p.Legend.Left = false
	return p, nil
}

// SaveMatrix saves Matrix(m) to path (format by extension; square).
func SaveMatrix(path string, m [][]float64) error {
	p, err := Matrix(m)
	if err != nil {
		return err
	}
	return Save(p, path, Height, Height)
}
