package static

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Default figure size: 6 x 4.5 inches, which is 576 x 432 pixels in PNG
// (gonum/plot rasterises at 96 dots per inch).
const (
	Width  = 6 * vg.Inch
	Height = 4.5 * vg.Inch
)

// DPI is the resolution of PNG output: a figure of width w inches is w*DPI pixels wide.
const DPI = 96

// Save writes p to path at width x height, in the format given by the
// extension: .png, .svg, .pdf, .eps, .jpg, .jpeg, .tif or .tiff.
func Save(p *plot.Plot, path string, width, height vg.Length) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg", ".pdf", ".eps", ".jpg", ".jpeg", ".tif", ".tiff":
	default:
		return fmt.Errorf("static: unsupported file extension %q in %s", ext, path)
	}
	if err := p.Save(width, height, path); err != nil {
		return fmt.Errorf("static: saving %s: %w", path, err)
	}
	return nil
}

// newPlot returns a plot with the package's light style.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.BackgroundColor = color.White
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	return p
}
