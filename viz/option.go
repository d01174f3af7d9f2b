package viz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// option is an echarts option object, as it is passed to chart.setOption.
type option = map[string]any

// chartJSON is what every go-echarts chart type implements.
type chartJSON interface {
	Validate()
	JSON() map[string]any
}

// optionOf turns a chart built with go-echarts' typed API into a plain option
// map, so the few settings that API cannot express (visualMap.seriesIndex,
// several axes on one grid, compact data arrays) can be added to it.
// go-echarts marshals JavaScript functions (types.FuncStr) as strings wrapped in
// "__f__" markers; they survive this round trip and are unwrapped by
// encodeOption.
func optionOf(c chartJSON) (option, error) {
	c.Validate()
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("viz: marshalling echarts option: %w", err)
	}
	var o option
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("viz: unmarshalling echarts option: %w", err)
	}
	// go-echarts always emits a toolbox and empty legend/title objects; keep the
	// option small and the look clean.
	delete(o, "toolbox")
	return o, nil
}

// funcMarker matches go-echarts' markers around JavaScript function strings.
var funcMarker = regexp.MustCompile(`(__f__")|("__f__)|(__f__)`)

// encodeOption marshals o to JavaScript source (JSON plus unwrapped function
// strings) that is safe to embed inside a <script> element.
func encodeOption(o option) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return "", fmt.Errorf("viz: marshalling echarts option: %w", err)
	}
	out := funcMarker.ReplaceAll(bytes.TrimSpace(buf.Bytes()), nil)
	return escapeScriptText(string(out)), nil
}

// seriesAt returns the i-th series map of o.
func seriesAt(o option, i int) map[string]any {
	return o["series"].([]any)[i].(map[string]any)
}

// fmtNum appends v with sig significant digits, or null if it is not finite.
func fmtNum(b []byte, v float64, sig int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', sig, 64)
}

// rows encodes rows of numbers as a compact JSON array of arrays, each number
// rounded to sig significant digits (NaN and ±Inf become null). Data arrays of
// tens of thousands of points stay a few hundred kilobytes.
func rows(rs [][]float64, sig int) json.RawMessage {
	b := make([]byte, 0, 16*len(rs)+2)
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range r {
			if j > 0 {
				b = append(b, ',')
			}
			b = fmtNum(b, v, sig)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// Light-theme colours shared by the charts.
var (
	// palette is the series colour cycle (dark first: the reference curve).
	palette = []string{"#222222", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}
	// densityColors is a white-to-dark-blue sequential scale (zero density blends
	// with the page background).
	densityColors = []string{"#ffffff", "#d6e6f4", "#9ecae1", "#4292c6", "#1561a9", "#08306b"}
	// viridis is used for log densities, where every level matters.
	viridis = []string{"#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"}
	// diverging is a blue-white-red scale centred on zero.
	diverging = []string{"#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"}
	// zeroColor marks exact zeros in matrix heat maps: a mid grey, distinct from
	// the near-white that small non-zero values get on the diverging scale.
	zeroColor = "#a0a0a0"
	// overlayColor is used for samples drawn on top of heat maps.
	overlayColor = "#e6550d"
)

// axesOnTop draws the axes of o above the series (an image filling the plot
// area would hide the axis lines otherwise).
func axesOnTop(o option) {
	for _, kind := range []string{"xAxis", "yAxis"} {
		axes, _ := o[kind].([]any)
		for _, a := range axes {
			a.(map[string]any)["z"] = 5
		}
	}
}

// boxLine is an axis line drawn at the edge of the plot, not through zero.
func boxLine() *opts.AxisLine {
	return &opts.AxisLine{Show: opts.Bool(true), OnZero: opts.Bool(false)}
}

// baseInit returns go-echarts global options every chart shares.
func baseInit(title string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(titleOpts(title)),
		charts.WithAnimation(false),
	}
}

// values encodes numbers as a compact JSON array with sig significant digits
// (NaN and ±Inf become null).
func values(vs []float64, sig int) json.RawMessage {
	b := make([]byte, 0, 7*len(vs)+2)
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmtNum(b, v, sig)
	}
	return append(b, ']')
}
