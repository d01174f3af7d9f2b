package viz

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// tileGap is the number of light-grey pixels between (and around) tiles.
const tileGap = 2

// TileImages composes grayscale images into one image, cols per row (cols <= 0
// picks a near-square layout), with a light-grey gap of 2 pixels between and
// around them. Each images[n] holds one h x w image in row-major order with
// values in [0, 1] (0 is black); values outside are clamped and NaN is drawn
// black. Use it for samples and interpolation strips.
func TileImages(images [][]float64, h, w, cols int) (*image.Gray, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("viz: TileImages: no images")
	}
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("viz: TileImages: bad image size %dx%d", h, w)
	}
	for n, im := range images {
		if len(im) != h*w {
			return nil, fmt.Errorf("viz: TileImages: image %d has %d values, want %dx%d=%d", n, len(im), h, w, h*w)
		}
	}
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(images)))))
	}
	cols = min(cols, len(images))
	nrows := (len(images) + cols - 1) / cols
	W, H := cols*(w+tileGap)+tileGap, nrows*(h+tileGap)+tileGap
	img := image.NewGray(image.Rect(0, 0, W, H))
	for k := range img.Pix {
		img.Pix[k] = 0xdd
	}
	for n, im := range images {
		x0 := tileGap + (n%cols)*(w+tileGap)
		y0 := tileGap + (n/cols)*(h+tileGap)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.SetGray(x0+x, y0+y, color.Gray{Y: gray8(im[y*w+x])})
			}
		}
	}
	return img, nil
}

// gray8 maps [0, 1] to 0..255, clamping and sending NaN to 0.
func gray8(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(v * 255))
}

// ImageGrid shows grayscale images (see TileImages for the layout and value
// range) as one PNG image, scaled up by a whole factor with crisp pixels so
// small images such as 28x28 digits are legible. It is an <img> with a data
// URI, not an echarts chart: far smaller than one heat map per image.
func ImageGrid(images [][]float64, h, w, cols int) *Figure {
	img, err := TileImages(images, h, w, cols)
	if err != nil {
		return errFigure(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return errFigure(fmt.Errorf("viz: ImageGrid: %w", err))
	}
	b := img.Bounds()
	scale := min(max(int(math.Round(560/float64(b.Dx()))), 1), 8)
	for scale > 1 && b.Dy()*scale > 900 {
		scale--
	}
	return &Figure{panels: []*panel{{width: b.Dx() * scale, height: b.Dy() * scale, png: buf.Bytes()}}}
}

// writeImagePanel writes an image panel's HTML.
func writeImagePanel(b *strings.Builder, id string, p *panel) {
	b.WriteString(`<div class="flowkit-image" style="flex:none;">`)
	if p.caption != "" {
		fmt.Fprintf(b, `<div style="font-weight:bold;font-size:14px;text-align:center;margin:4px 0 8px 0;">%s</div>`,
			html.EscapeString(p.caption))
	}
	fmt.Fprintf(b, `<img id="%s" alt="%s" width="%d" height="%d" style="image-rendering:pixelated;display:block;" src="data:image/png;base64,`,
		id, html.EscapeString(p.caption), p.width, p.height)
	b.WriteString(base64.StdEncoding.EncodeToString(p.png))
	b.WriteString(`"></div>`)
}
