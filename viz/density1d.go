package viz

import (
	"fmt"
	"math"
	"slices"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Histogram is a density-normalised histogram: Density[i] is the fraction of
// samples in [Edges[i], Edges[i+1]) divided by the bin width, so its area is 1
// and it compares directly with a probability density.
type Histogram struct {
	Edges   []float64 // len(Density)+1 increasing bin edges.
	Density []float64 // per bin: fraction of the samples / bin width.
}

// NewHistogram bins the finite samples into bins equal-width bins spanning
// their range. With bins <= 0 it picks the Freedman-Diaconis number of bins,
// clamped to [10, 120].
func NewHistogram(samples []float64, bins int) (Histogram, error) {
	xs := make([]float64, 0, len(samples))
	for _, v := range samples {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return Histogram{}, fmt.Errorf("viz: histogram of %d samples, none finite", len(samples))
	}
	slices.Sort(xs)
	lo, hi := xs[0], xs[len(xs)-1]
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	if bins <= 0 {
		iqr := xs[len(xs)*3/4] - xs[len(xs)/4]
		bins = 30
		if iqr > 0 {
			width := 2 * iqr / math.Cbrt(float64(len(xs)))
			bins = int(math.Ceil((hi - lo) / width))
		}
		bins = min(max(bins, 10), 120)
	}
	h := Histogram{Edges: Linspace(lo, hi, bins+1), Density: make([]float64, bins)}
	width := (hi - lo) / float64(bins)
	for _, v := range xs {
		i := min(int((v-lo)/width), bins-1)
		h.Density[i]++
	}
	for i := range h.Density {
		h.Density[i] /= float64(len(xs)) * width
	}
	return h, nil
}

// outline returns the histogram's outline as a closed step polygon: drawn as a
// filled line it is exact on a value axis, unlike bars.
func (h Histogram) outline() [][]float64 {
	pts := make([][]float64, 0, 2*len(h.Density)+2)
	pts = append(pts, []float64{h.Edges[0], 0})
	for i, d := range h.Density {
		pts = append(pts, []float64{h.Edges[i], d}, []float64{h.Edges[i+1], d})
	}
	return append(pts, []float64{h.Edges[len(h.Edges)-1], 0})
}

// Density1D draws a density-normalised histogram of samples with curves on
// top (typically the true density and the model's density, for example built
// with FuncCurve and LogDensityCurve). The number of bins follows the
// Freedman-Diaconis rule; use Density1DBins to choose it.
func Density1D(samples []float64, curves ...Curve) *Figure {
	return Density1DBins(samples, 0, curves...)
}

// Density1DBins is Density1D with an explicit number of histogram bins
// (bins <= 0 picks it automatically).
func Density1DBins(samples []float64, bins int, curves ...Curve) *Figure {
	var hist Histogram
	if len(samples) > 0 {
		var err error
		if hist, err = NewHistogram(samples, bins); err != nil {
			return errFigure(err)
		}
	} else if len(curves) == 0 {
		return errorf("Density1D: no samples and no curves")
	}
	for _, c := range curves {
		if err := c.Validate(); err != nil {
			return errFigure(err)
		}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseInit("Density"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "26"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "56", Right: "24", Top: "64", Bottom: "44"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Scale: opts.Bool(true), AxisLine: boxLine(),
			SplitLine: &opts.SplitLine{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "density", NameLocation: "middle", NameGap: 40,
			AxisLine: boxLine()}),
	)...)
	var data []any
	if hist.Density != nil {
		line.AddSeries(fmt.Sprintf("samples (n=%d)", len(samples)), nil,
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: "#8fa8c8", Width: 1}),
			charts.WithAreaStyleOpts(opts.AreaStyle{Color: "#c6d4e8", Opacity: opts.Float(0.8)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: "#9fb7d6"}),
		)
		data = append(data, rows(hist.outline(), 5))
	}
	for i, c := range curves {
		color := palette[i%len(palette)]
		line.AddSeries(c.Name, nil,
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 2}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		)
		data = append(data, rows(c.points(), 5))
	}
	o, err := optionOf(line)
	if err != nil {
		return errFigure(err)
	}
	for i, d := range data {
		seriesAt(o, i)["data"] = d
	}
	return chartFigure(o, 0, 0)
}
