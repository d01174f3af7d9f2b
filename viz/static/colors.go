package static

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/palette"
)

// The colour stops are those of package viz, so a static figure looks like
// the notebook chart it was made from.
var (
	seriesColors  = []string{"#222222", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}
	densityColors = []string{"#ffffff", "#d6e6f4", "#9ecae1", "#4292c6", "#1561a9", "#08306b"}
	viridisColors = []string{"#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"}
	divergingCols = []string{"#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"}
	zeroColor     = mustHex("#a0a0a0")
	overlayColor  = mustHex("#e6550d")
	histFill      = mustHex("#c6d4e8")
	histLine      = mustHex("#8fa8c8")
)

func mustHex(h string) color.NRGBA {
	c, err := parseHex(h)
	if err != nil {
		panic(err)
	}
	return c
}

func parseHex(h string) (color.NRGBA, error) {
	if len(h) != 7 || h[0] != '#' {
		return color.NRGBA{}, fmt.Errorf("static: bad colour %q", h)
	}
	v, err := strconv.ParseUint(h[1:], 16, 32)
	if err != nil {
		return color.NRGBA{}, err
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

// seriesColor returns the i-th series colour.
func seriesColor(i int) color.Color { return mustHex(seriesColors[i%len(seriesColors)]) }

// ramp is a palette of n colours interpolating the stops linearly in RGB.
type ramp []color.Color

// Colors implements palette.Palette.
func (r ramp) Colors() []color.Color { return r }

func newRamp(stops []string, n int) palette.Palette {
	cs := make([]color.NRGBA, len(stops))
	for i, s := range stops {
		cs[i] = mustHex(s)
	}
	out := make(ramp, n)
	for k := range out {
		p := float64(k) / float64(n-1) * float64(len(cs)-1)
		i := min(int(p), len(cs)-2)
		f := p - float64(i)
		mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + f*(float64(b)-float64(a)))) }
		a, b := cs[i], cs[i+1]
		out[k] = color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
	}
	return out
}
