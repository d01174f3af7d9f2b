package viz

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Scatter2D draws 2D points (points[i] = {x, y}; extra coordinates are
// ignored), for example samples drawn from a flow.
func Scatter2D(points [][]float64) *Figure {
	o, err := scatterOption("Samples", points, nil)
	if err != nil {
		return errFigure(err)
	}
	return chartFigure(o, 0, 0)
}

// checkPoints verifies every point has at least 2 coordinates.
func checkPoints(what string, points [][]float64) error {
	if len(points) == 0 {
		return fmt.Errorf("viz: %s: no points", what)
	}
	for i, p := range points {
		if len(p) < 2 {
			return fmt.Errorf("viz: %s: point %d has %d coordinates, want 2", what, i, len(p))
		}
	}
	return nil
}

// scatterOption builds a scatter chart. If colorBy is not nil (one value per
// point), points are coloured by it with a rainbow scale, so that the same
// point can be followed across panels.
func scatterOption(title string, points [][]float64, colorBy []float64) (option, error) {
	if err := checkPoints(title, points); err != nil {
		return nil, err
	}
	if colorBy != nil && len(colorBy) != len(points) {
		return nil, fmt.Errorf("viz: %s: %d colour values for %d points", title, len(colorBy), len(points))
	}
	grid := &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#eee"}}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(baseInit(title),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "48", Right: "20", Top: "40", Bottom: "36"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Scale: opts.Bool(true), SplitLine: grid, AxisLine: boxLine()}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true), SplitLine: grid, AxisLine: boxLine()}),
	)...)
	sc.AddSeries("points", nil,
		charts.WithScatterChartOpts(opts.ScatterChart{SymbolSize: 4}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: palette[2], Opacity: opts.Float(0.7)}),
	)
	o, err := optionOf(sc)
	if err != nil {
		return nil, err
	}
	for _, kind := range []string{"xAxis", "yAxis"} {
		// Keep points on the extremes off the plot's edges.
		o[kind].([]any)[0].(map[string]any)["boundaryGap"] = []string{"4%", "4%"}
	}
	s := seriesAt(o, 0)
	s["large"] = len(points) > 4000
	s["largeThreshold"] = 4000
	s["progressive"] = 0
	if colorBy == nil {
		s["data"] = rows(xyRows(points), 4)
		return o, nil
	}
	data := make([][]float64, len(points))
	lo, hi := colorBy[0], colorBy[0]
	for i, p := range points {
		data[i] = []float64{p[0], p[1], colorBy[i]}
		lo, hi = min(lo, colorBy[i]), max(hi, colorBy[i])
	}
	if hi == lo {
		hi = lo + 1
	}
	s["data"] = rows(data, 4)
	s["large"] = false // large mode draws every point in one colour.
	delete(s["itemStyle"].(map[string]any), "color")
	o["visualMap"] = []any{map[string]any{
		"type": "continuous", "show": false, "dimension": 2, "seriesIndex": 0,
		"min": lo, "max": hi,
		"inRange": map[string]any{"color": []string{"#5e3c99", "#3288bd", "#1a9850", "#d9a400", "#f46d43", "#a50026"}},
	}}
	return o, nil
}

// xyRows keeps the first two coordinates of each point.
func xyRows(points [][]float64) [][]float64 {
	out := make([][]float64, len(points))
	for i, p := range points {
		out[i] = p[:2:2]
	}
	return out
}
