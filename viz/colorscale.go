package viz

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
)

// colorScale maps [min, max] linearly onto a list of colour stops, the way an
// echarts continuous visualMap does (linear interpolation in RGB), so cells
// coloured in Go match the colour bar echarts draws.
type colorScale struct {
	hex      []string
	stops    []color.NRGBA
	min, max float64
}

func newColorScale(hex []string, lo, hi float64) (colorScale, error) {
	s := colorScale{hex: hex, min: lo, max: hi}
	for _, h := range hex {
		c, err := parseHex(h)
		if err != nil {
			return s, err
		}
		s.stops = append(s.stops, c)
	}
	if len(s.stops) < 2 || !(hi > lo) {
		return s, fmt.Errorf("viz: bad colour scale (%d colours over [%g, %g])", len(s.stops), lo, hi)
	}
	return s, nil
}

// parseHex parses "#rrggbb".
func parseHex(h string) (color.NRGBA, error) {
	if len(h) != 7 || h[0] != '#' {
		return color.NRGBA{}, fmt.Errorf("viz: bad colour %q, want #rrggbb", h)
	}
	v, err := strconv.ParseUint(h[1:], 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("viz: bad colour %q: %w", h, err)
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

// at returns the colour of v (clamped to the scale's range).
func (s colorScale) at(v float64) color.NRGBA {
	t := (v - s.min) / (s.max - s.min)
	if !(t > 0) { // also -Inf.
		return s.stops[0]
	}
	if t >= 1 {
		return s.stops[len(s.stops)-1]
	}
	p := t * float64(len(s.stops)-1)
	k := int(p)
	f := p - float64(k)
	a, b := s.stops[k], s.stops[k+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// visualMap returns a colour bar (echarts continuous visualMap) for the
// scale, labelled with its maximum and minimum. It targets no series: the
// cells it describes are already coloured.
func (s colorScale) visualMap(height int) map[string]any {
	return map[string]any{
		"type": "continuous", "seriesIndex": []int{}, "calculable": false,
		"min": s.min, "max": s.max,
		"right": 4, "top": "middle", "itemHeight": height, "itemWidth": 14,
		"text": []string{formatLabel(s.max), formatLabel(s.min)}, "textGap": 6,
		"inRange": map[string]any{"color": s.hex},
	}
}

// formatLabel formats a colour-bar end with three significant digits.
func formatLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// rasterize makes an nx x ny image, column i and row j of the grid (j = 0 at
// the bottom) coloured by colorAt(valueAt(i, j)); cells whose value is not ok
// stay transparent.
func rasterize(nx, ny int, valueAt func(i, j int) (float64, bool), colorAt func(float64) color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, nx, ny))
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			if v, ok := valueAt(i, j); ok {
				img.SetNRGBA(i, ny-1-j, colorAt(v))
			}
		}
	}
	return img
}

// pngDataURI encodes img as a data:image/png;base64 URI.
func pngDataURI(img image.Image) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("viz: encoding PNG: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
