// Package p16_09 solves problem 16.9 of Prince, Understanding Deep Learning: an elementwise flow
// built as a conical (non-negative) combination of square-root functions on K equally spaced
// bins of [0, 1], plotted with its inverse for K = 5, phi = (0.1, 0.2, 0.5, 0.1, 0.1).
//
// Reading of the garbled eq. 16.33 (README.md explains the choice): with the 0-based bin
// b = floor(K h) (b = K - 1 at h = 1), local coordinate t = K h - b in [0, 1) and phi_k > 0
// summing to one,
//
//	f[h, phi] = sum_{k<b} phi_k + phi_b sqrt(K h - b)
//	          = sum_k phi_k g_k(h),  g_k(h) = sqrt(clamp(K h - k, 0, 1)),
//
// a conical combination of the square-root ramps g_k. It is continuous, strictly increasing,
// maps [0, 1] onto [0, 1], has df/dh = K phi_b / (2 sqrt(t)) (infinite at every bin's left
// edge), and inverse f^{-1}[y] = (b + ((y - c_b) / phi_b)^2) / K with c_b = sum_{k<b} phi_k
// and b the bin of y among the cumulative sums.
package p16_09

import (
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"github.com/flowkit/flowkit/problems/p16_08"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // registers png, jpg, tiff canvases.
	_ "gonum.org/v1/plot/vg/vgpdf" // registers the pdf canvas.
	_ "gonum.org/v1/plot/vg/vgsvg" // registers the svg canvas.
)

// BookPhi returns the parameters of problem 16.9: K = 5, phi = (0.1, 0.2, 0.5, 0.1, 0.1).
func BookPhi() []float64 { return []float64{0.1, 0.2, 0.5, 0.1, 0.1} }

// bin returns the 0-based bin of h in [0, 1] for k bins and the local coordinate t = k h - b.
func bin(h float64, k int) (b int, t float64) {
	b = int(math.Floor(float64(k) * h))
	if b >= k {
		b = k - 1
	}
	if b < 0 {
		b = 0
	}
	return b, float64(k)*h - float64(b)
}

// F is the flow f[h, phi] = sum_{k<b} phi_k + phi_b sqrt(K h - b) on [0, 1] (K = len(phi),
// 0-based bin b). It returns NaN outside [0, 1].
func F(h float64, phi []float64) float64 {
	if h < 0 || h > 1 || math.IsNaN(h) {
		return math.NaN()
	}
	b, t := bin(h, len(phi))
	c := 0.0
	for i := 0; i < b; i++ {
		c += phi[i]
	}
	return c + phi[b]*math.Sqrt(t)
}

// Inverse is f^{-1}[y, phi] for y in [0, 1]: with b the last bin whose cumulative start
// c_b = sum_{k<b} phi_k is <= y, h = (b + ((y - c_b) / phi_b)^2) / K. NaN outside [0, 1].
func Inverse(y float64, phi []float64) float64 {
	if y < 0 || y > 1 || math.IsNaN(y) {
		return math.NaN()
	}
	k := len(phi)
	b, c := p16_08.BinOfOutput(y, phi)
	u := (y - c) / phi[b]
	if u > 1 { // y = 1 with sum(phi) rounding just below 1.
		u = 1
	}
	return (float64(b) + u*u) / float64(k)
}

// Derivative returns df/dh = K phi_b / (2 sqrt(K h - b)); it is +Inf at each bin's left
// edge h = b/K, where the square root starts.
func Derivative(h float64, phi []float64) float64 {
	b, t := bin(h, len(phi))
	return float64(len(phi)) * phi[b] / (2 * math.Sqrt(t))
}

// SeedLiteral is the formula as printed in the translated seed, read with the sum over the
// completed bins: sum_{k<b} sqrt(phi_k) + phi_b sqrt(K h - b). It is rejected: it jumps by
// sqrt(phi_b) - phi_b > 0 at every bin boundary and its range is not [0, 1].
func SeedLiteral(h float64, phi []float64) float64 {
	b, t := bin(h, len(phi))
	c := 0.0
	for i := 0; i < b; i++ {
		c += math.Sqrt(phi[i])
	}
	return c + phi[b]*math.Sqrt(t)
}

// SqrtPhiReading is the other repair of the printed formula, sum_{k<b} sqrt(phi_k) +
// sqrt((K h - b) phi_b). It is continuous and increasing but maps [0, 1] onto
// [0, sum_k sqrt(phi_k)] (= [0, 2.104] for BookPhi), so the constraint "phi sums to one"
// would not make it a map of [0, 1] onto itself; it is rejected too.
func SqrtPhiReading(h float64, phi []float64) float64 {
	b, t := bin(h, len(phi))
	c := 0.0
	for i := 0; i < b; i++ {
		c += math.Sqrt(phi[i])
	}
	return c + math.Sqrt(t*phi[b])
}

// Curve returns n+1 points (h, F(h)) on a grid that is uniform in each bin's local
// coordinate squared, t = (j/m)^2, so the vertical tangent at each bin start is resolved;
// every knot h = b/K is included exactly.
func Curve(phi []float64, n int) plotter.XYs {
	k := len(phi)
	m := n / k
	if m < 2 {
		m = 2
	}
	pts := make(plotter.XYs, 0, k*m+1)
	for b := 0; b < k; b++ {
		for j := 0; j < m; j++ {
			s := float64(j) / float64(m)
			h := (float64(b) + s*s) / float64(k)
			pts = append(pts, plotter.XY{X: h, Y: F(h, phi)})
		}
	}
	pts = append(pts, plotter.XY{X: 1, Y: F(1, phi)})
	return pts
}

// Plot writes the two-panel figure of problem 16.9 (f[h, phi] and f^{-1}[h', phi] for
// BookPhi) to path; the format follows the extension: .png, .svg, .pdf, .jpg, .tif.
func Plot(path string) error { return PlotPhi(path, BookPhi()) }

// PlotPhi writes the two-panel figure of f[h, phi] and its inverse for any phi (positive,
// summing to one) to path, in the format given by the extension.
func PlotPhi(path string, phi []float64) error {
	k := len(phi)
	fwd := Curve(phi, 400)
	inv := make(plotter.XYs, len(fwd))
	for i, p := range fwd {
		// The inverse is the reflection of the graph of f in the diagonal.
		inv[i] = plotter.XY{X: p.Y, Y: p.X}
	}
	knots := make(plotter.XYs, k+1)
	for b := 0; b <= k; b++ {
		h := float64(b) / float64(k)
		knots[b] = plotter.XY{X: h, Y: F(h, phi)}
	}
	knotsInv := make(plotter.XYs, k+1)
	for i, p := range knots {
		knotsInv[i] = plotter.XY{X: p.Y, Y: p.X}
	}
	left, err := panel("a) f[h, φ]", "h", "h' = f[h, φ]", fwd, knots, color.RGBA{R: 31, G: 119, B: 180, A: 255})
	if err != nil {
		return err
	}
	right, err := panel("b) f^-1[h', φ]", "h'", "h = f^-1[h', φ]", inv, knotsInv, color.RGBA{R: 214, G: 39, B: 40, A: 255})
	if err != nil {
		return err
	}

	const w, h = 8 * vg.Inch, 4 * vg.Inch
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	return writeCanvas(c, path)
}

func panel(title, xl, yl string, curve, knots plotter.XYs, col color.Color) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color = color.Gray{Y: 150}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	line, err := plotter.NewLine(curve)
	if err != nil {
		return nil, err
	}
	line.Color = col
	line.Width = vg.Points(1.5)
	pts, err := plotter.NewScatter(knots)
	if err != nil {
		return nil, err
	}
	pts.Color = col
	pts.Shape = draw.CircleGlyph{}
	pts.Radius = vg.Points(2.5)
	p.Add(diag, line, pts)
	return p, nil
}
