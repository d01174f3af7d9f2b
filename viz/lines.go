package viz

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// maxLinePoints bounds the points sent to the browser per series; longer
// series are thinned evenly (the last point is always kept).
const maxLinePoints = 2000

// Lines draws curves as lines on value axes: a finished training curve (x =
// step, one curve per series such as "train" and "validation"), or any
// function of one variable. The y axis is not forced to include zero.
func Lines(curves ...Curve) *Figure {
	if len(curves) == 0 {
		return errorf("Lines: no curves")
	}
	for _, c := range curves {
		if err := c.Validate(); err != nil {
			return errFigure(err)
		}
	}
	o, err := linesOption("", "", curves)
	if err != nil {
		return errFigure(err)
	}
	return chartFigure(o, 0, 0)
}

func linesOption(title, yName string, curves []Curve) (option, error) {
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseInit(title),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "26"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "60", Right: "28", Top: "64", Bottom: "44"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Scale: opts.Bool(true), Name: "step", AxisLine: boxLine(),
			NameLocation: "middle", NameGap: 26, SplitLine: &opts.SplitLine{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true), Name: yName, AxisLine: boxLine(),
			NameLocation: "middle", NameGap: 44}),
	)...)
	for i, c := range curves {
		color := palette[(i+1)%len(palette)]
		line.AddSeries(c.Name, nil,
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(c.X) < 30)}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 2}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		)
	}
	o, err := optionOf(line)
	if err != nil {
		return nil, err
	}
	if len(curves) == 0 {
		o["series"] = []any{}
	}
	for i, c := range curves {
		seriesAt(o, i)["data"] = rows(thin(c.points(), maxLinePoints), 6)
	}
	return o, nil
}

// thin returns at most n of pts, evenly spaced, always keeping the last one.
func thin(pts [][]float64, n int) [][]float64 {
	if len(pts) <= n {
		return pts
	}
	out := make([][]float64, 0, n)
	for k := 0; k < n-1; k++ {
		out = append(out, pts[k*(len(pts)-1)/(n-1)])
	}
	return append(out, pts[len(pts)-1])
}
