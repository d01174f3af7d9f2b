package viz

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// maxMatrixCells is the largest matrix drawn as echarts heat-map cells (with a
// tooltip per entry); larger ones are drawn as one image.
const maxMatrixCells = 64 * 64

// Matrix draws m (m[row][col]) as a heat map with a diverging blue-white-red
// scale symmetric about zero: a Jacobian, a weight matrix or an autoregressive
// mask. Exact zeros are drawn in grey, apart from the near-white of small
// non-zero values, so a triangular Jacobian's zero pattern is visible at a
// glance. Row 0 is at the top, as when printing a matrix; cells are square.
// NaN entries are left blank. Matrices of up to 64x64 entries have a tooltip
// per entry; larger ones (say a 784x784 mask) are drawn as one image.
func Matrix(m [][]float64) *Figure {
	r := len(m)
	if r == 0 || len(m[0]) == 0 {
		return errorf("Matrix: empty matrix")
	}
	c := len(m[0])
	a := 0.0
	for i, row := range m {
		if len(row) != c {
			return errorf("Matrix: row %d has %d columns, row 0 has %d", i, len(row), c)
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
	scale, err := newColorScale(diverging, -a, a)
	if err != nil {
		return errFigure(err)
	}
	side := max(r, c)
	cell := min(max(360/side, 1), 40) // whole pixels: no seams between cells.
	plotW, plotH := c*cell, r*cell
	if side > 360 { // cells under a pixel: fit the plot in 360 pixels.
		plotW, plotH = 360*c/side, 360*r/side
	}
	left, top, right, bottom := 44, 56, 96, 40
	width, height := left+plotW+right, top+plotH+bottom

	var o option
	if r*c <= maxMatrixCells {
		o, err = matrixCells(m, cell)
	} else {
		o, err = matrixImage(m, scale)
	}
	if err != nil {
		return errFigure(err)
	}
	o["grid"] = []any{map[string]any{"left": left, "top": top, "width": plotW, "height": plotH}}
	o["legend"] = map[string]any{"show": true, "bottom": 4, "icon": "rect", "data": []string{"0 (exact)"}}
	vm := scale.visualMap(min(max(plotH-40, 80), 240))
	if r*c <= maxMatrixCells {
		// The colour bar colours the cells (series 0, value in dimension 2).
		vm["seriesIndex"], vm["dimension"] = 0, 2
	}
	o["visualMap"] = []any{vm}
	return chartFigure(o, width, height)
}

// matrixCells draws a small matrix as echarts heat-map cells on category axes:
// non-zero entries (coloured by the visual map), and exact zeros in their own
// grey series.
func matrixCells(m [][]float64, cell int) (option, error) {
	r, c := len(m), len(m[0])
	var nonzero, zero [][]float64
	for i, row := range m {
		for j, v := range row {
			switch {
			case math.IsNaN(v):
			case v == 0:
				zero = append(zero, []float64{float64(j), float64(i), 0})
			default:
				nonzero = append(nonzero, []float64{float64(j), float64(i), v})
			}
		}
	}
	labels := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = strconv.Itoa(i)
		}
		return s
	}
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(append(baseInit("Matrix"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: labels(c), Position: "top",
			SplitArea: &opts.SplitArea{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: labels(r), Inverse: opts.Bool(true)}),
	)...)
	var border opts.ItemStyle
	if cell >= 8 {
		border = opts.ItemStyle{BorderColor: "#ffffff", BorderWidth: 1}
	}
	zeroStyle := border
	zeroStyle.Color = zeroColor
	hm.AddSeries("value", nil, charts.WithItemStyleOpts(border))
	hm.AddSeries("0 (exact)", nil, charts.WithItemStyleOpts(zeroStyle))
	o, err := optionOf(hm)
	if err != nil {
		return nil, err
	}
	for k, data := range [][][]float64{nonzero, zero} {
		s := seriesAt(o, k)
		s["data"] = rows(data, 4)
		s["progressive"] = 0
		s["emphasis"] = map[string]any{"disabled": true}
	}
	o["tooltip"] = map[string]any{"show": true, "trigger": "item", "formatter": "__f__function (p) {" +
		" var v = p.value; return '[' + v[1] + ', ' + v[0] + '] = ' +" +
		" (v[2] === 0 ? '0 (exact)' : Number(v[2]).toPrecision(4)); }__f__"}
	return o, nil
}

// matrixImage draws a large matrix as one image over value axes [0, c] x [0, r]
// (y inverted: row 0 at the top), each entry upscaled to whole pixels so the
// browser's smoothing does not blur it.
func matrixImage(m [][]float64, scale colorScale) (option, error) {
	r, c := len(m), len(m[0])
	zero, _ := parseHex(zeroColor)
	k := max(1, 400/max(r, c))
	img := image.NewNRGBA(image.Rect(0, 0, c*k, r*k))
	for i, row := range m {
		for j, v := range row {
			var col color.NRGBA
			switch {
			case math.IsNaN(v):
				continue
			case v == 0:
				col = zero
			default:
				col = scale.at(v)
			}
			for y := i * k; y < (i+1)*k; y++ {
				for x := j * k; x < (j+1)*k; x++ {
					img.SetNRGBA(x, y, col)
				}
			}
		}
	}
	uri, err := pngDataURI(img)
	if err != nil {
		return nil, err
	}
	noLine := &opts.SplitLine{Show: opts.Bool(false)}
	cc := charts.NewCustom()
	cc.SetGlobalOptions(append(baseInit("Matrix"),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Min: 0, Max: c, Position: "top", SplitLine: noLine, AxisLine: boxLine()}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Min: 0, Max: r, Inverse: opts.Bool(true), SplitLine: noLine, AxisLine: boxLine()}),
	)...)
	cc.AddSeries("value", nil, charts.WithCustomChartOpts(opts.CustomChart{RenderItem: opts.FuncOpts(
		imageRenderItem(uri, 0, float64(c), 0, float64(r)))}))
	// An empty series only to show the grey "exact zero" swatch in the legend.
	cc.MultiSeries = append(cc.MultiSeries, charts.SingleSeries{Name: "0 (exact)", Type: "scatter",
		ItemStyle: &opts.ItemStyle{Color: zeroColor}})
	o, err := optionOf(cc)
	if err != nil {
		return nil, err
	}
	s := seriesAt(o, 0)
	s["data"] = []any{[]float64{0}}
	s["encode"] = map[string]any{"x": []int{}, "y": []int{}}
	s["silent"] = true
	s["tooltip"] = map[string]any{"show": false}
	seriesAt(o, 1)["data"] = []any{}
	axesOnTop(o)
	return o, nil
}
