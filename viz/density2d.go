package viz

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// LogDensityRange is how many nats below its maximum LogDensity2D shows; lower
// values get the bottom colour.
const LogDensityRange = 15.0

// Density2D draws the density exp(logDensity) on grid as a heat map (white
// where the density is zero). logDensity holds one value per grid point, in
// grid order (see Grid2D): the output of one batched LogProb call on
// grid.Flat32(). NaN values are left blank; -Inf means zero density.
// If samples is not empty they are drawn on top as small dots.
//
// The cells are coloured in Go and sent as one PNG image that echarts draws
// in the plot area, between its axes, with the matching colour bar: a 200x200
// grid costs tens of kilobytes and draws at once, where 40,000 echarts
// rectangles would cost hundreds of kilobytes and seconds (and leave
// anti-aliasing seams).
func Density2D(grid Grid2D, logDensity []float64, samples [][]float64) *Figure {
	return heatmap2D("Density", grid, logDensity, samples, false)
}

// LogDensity2D is Density2D drawing log p itself (with a viridis scale),
// clipped to the LogDensityRange nats below its maximum: it shows the tails
// that a density plot hides.
func LogDensity2D(grid Grid2D, logDensity []float64, samples [][]float64) *Figure {
	return heatmap2D("Log density", grid, logDensity, samples, true)
}

func heatmap2D(title string, grid Grid2D, logp []float64, samples [][]float64, logScale bool) *Figure {
	if err := grid.Validate(); err != nil {
		return errFigure(err)
	}
	if len(logp) != grid.Len() {
		return errorf("%s: %d log-density values for a %dx%d grid (want %d, in grid order)",
			title, len(logp), grid.NX, grid.NY, grid.Len())
	}
	if len(samples) > 0 {
		if err := checkPoints(title+" samples", samples); err != nil {
			return errFigure(err)
		}
	}
	// Values shown and their range.
	vals := make([]float64, len(logp))
	vmin, vmax := math.Inf(1), math.Inf(-1)
	for k, v := range logp {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			vals[k] = math.NaN()
			continue
		}
		if !logScale {
			v = math.Exp(v)
		}
		vals[k] = v
		if !math.IsInf(v, -1) {
			vmin, vmax = min(vmin, v), max(vmax, v)
		}
	}
	if math.IsInf(vmax, -1) { // nothing finite.
		vmin, vmax = 0, 1
	}
	colors, label := densityColors, "density"
	if logScale {
		colors, label = viridis, "log density"
		vmin = max(vmin, vmax-LogDensityRange)
	} else {
		vmin = 0
	}
	if vmax <= vmin {
		vmax = vmin + 1
	}
	scale, err := newColorScale(colors, vmin, vmax)
	if err != nil {
		return errFigure(err)
	}
	uri, err := pngDataURI(rasterize(grid.NX, grid.NY, func(i, j int) (float64, bool) {
		v := vals[grid.Index(i, j)]
		return v, !math.IsNaN(v)
	}, scale.at))
	if err != nil {
		return errFigure(err)
	}

	noLine := &opts.SplitLine{Show: opts.Bool(false)}
	cc := charts.NewCustom()
	cc.SetGlobalOptions(append(baseInit(title),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "48", Right: "84", Top: "40", Bottom: "36"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Min: grid.XMin, Max: grid.XMax, SplitLine: noLine, AxisLine: boxLine()}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Min: grid.YMin, Max: grid.YMax, SplitLine: noLine, AxisLine: boxLine()}),
	)...)
	cc.AddSeries(label, nil, charts.WithCustomChartOpts(opts.CustomChart{RenderItem: opts.FuncOpts(
		imageRenderItem(uri, grid.XMin, grid.XMax, grid.YMin, grid.YMax))}))
	if len(samples) > 0 {
		cc.MultiSeries = append(cc.MultiSeries, charts.SingleSeries{Name: "samples", Type: "scatter", SymbolSize: 3,
			ItemStyle: &opts.ItemStyle{Color: overlayColor, Opacity: opts.Float(0.6)}})
	}
	o, err := optionOf(cc)
	if err != nil {
		return errFigure(err)
	}
	img := seriesAt(o, 0)
	img["data"] = []any{[]float64{0}}
	img["encode"] = map[string]any{"x": []int{}, "y": []int{}}
	img["silent"] = true
	img["z"] = 1
	img["tooltip"] = map[string]any{"show": false}
	axesOnTop(o)
	if len(samples) > 0 {
		s := seriesAt(o, 1)
		s["data"] = rows(xyRows(samples), 4)
		s["large"] = len(samples) > 4000
		s["progressive"] = 0
		s["clip"] = true
		s["z"] = 3
	}
	o["visualMap"] = []any{scale.visualMap(220)}
	return chartFigure(o, 0, 0)
}

// imageRenderItem returns an echarts custom-series renderItem that draws the
// image uri over the data rectangle [x0, x1] x [y0, y1] (whatever the axes'
// directions), smoothed when scaled.
func imageRenderItem(uri string, x0, x1, y0, y1 float64) string {
	return fmt.Sprintf("function (params, api) {"+
		" var a = api.coord([%g, %g]), b = api.coord([%g, %g]);"+
		" return {type: 'image', silent: true, style: {image: '%s',"+
		" x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]),"+
		" width: Math.abs(b[0] - a[0]), height: Math.abs(b[1] - a[1])}}; }",
		x0, y0, x1, y1, uri)
}
