package static

import (
	"image"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/flowkit/flowkit/viz"
)

// ImageGrid draws grayscale images (see viz.TileImages for the layout and the
// value range) as one image without axes, each pixel enlarged to a whole
// number of output pixels (about 600 pixels wide in all) so that they stay
// crisp. It also returns that size in pixels: save the plot at that size (as
// SaveImageGrid does) to keep the aspect ratio.
func ImageGrid(images [][]float64, h, w, cols int) (p *plot.Plot, width, height int, err error) {
	tiles, err := viz.TileImages(images, h, w, cols)
	if err != nil {
		return nil, 0, 0, err
	}
	b := tiles.Bounds()
	k := max(1, (600+b.Dx()/2)/b.Dx())
	img := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			img.Pix[y*img.Stride+x] = tiles.Pix[(y/k)*tiles.Stride+x/k]
		}
	}
	p = newPlot("")
	p.HideAxes()
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(plotter.NewImage(img, 0, 0, float64(img.Rect.Dx()), float64(img.Rect.Dy())))
	return p, img.Rect.Dx(), img.Rect.Dy(), nil
}

// SaveImageGrid saves ImageGrid(images, h, w, cols) to path (format by
// extension) at its natural size.
func SaveImageGrid(path string, images [][]float64, h, w, cols int) error {
	p, iw, ih, err := ImageGrid(images, h, w, cols)
	if err != nil {
		return err
	}
	px := vg.Inch / DPI
	return Save(p, path, vg.Length(iw)*px, vg.Length(ih)*px)
}
