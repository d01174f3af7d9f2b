package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/static"
)

const densityHelp = `
Draws the density p(x) of the 2D model in -ckpt (its newest checkpoint) as a heat map,
evaluated on a -grid × -grid grid over the dataset's plotting window (or -bounds), and writes
it to -o (.png, .svg or .pdf). -samples N overlays N of the model's samples; -log draws
log p(x) instead of p(x).

Examples:
  flowkit density -ckpt runs/moons -o moons.png
  flowkit density -ckpt runs/moons -o moons.svg -grid 300 -samples 500
  flowkit density -ckpt runs/moons -o moons-log.png -log -bounds -4,4,-4,4
`

func runDensity(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("density", "-ckpt DIR -o FILE [flags]", densityHelp)
	ckpt := fs.String("ckpt", "", "checkpoint `directory` of a 2D model (required)")
	out := fs.String("o", "", "output `file`: .png, .svg or .pdf (required)")
	grid := fs.Int("grid", 200, "grid cells per axis")
	var bounds floatList
	fs.Var(&bounds, "bounds", "plotting window `x0,x1,y0,y1` (default: the dataset's, ±4 without one)")
	samples := fs.Int("samples", 0, "model samples to draw on top")
	logScale := fs.Bool("log", false, "draw log p(x) instead of p(x)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if *ckpt == "" {
		return usagef("-ckpt is required: the directory flowkit train wrote")
	}
	if *out == "" {
		return usagef("-o is required: the picture to write (.png, .svg or .pdf)")
	}
	switch ext := strings.ToLower(filepath.Ext(*out)); ext {
	case ".png", ".svg", ".pdf":
	default:
		return usagef("-o %s: unknown extension %q (want .png, .svg or .pdf)", *out, ext)
	}
	if *grid < 2 || *grid > 2000 {
		return usagef("-grid %d: want between 2 and 2000 cells per axis", *grid)
	}
	if *samples < 0 {
		return usagef("-samples %d: want >= 0", *samples)
	}
	if bounds != nil && (len(bounds) != 4 || !(bounds[0] < bounds[1]) || !(bounds[2] < bounds[3])) {
		return usagef("-bounds %s: want x0,x1,y0,y1 with x0 < x1 and y0 < y1", bounds.String())
	}
	l, err := loadModel(*ckpt, 1)
	if err != nil {
		return err
	}
	if l.Meta.Dims != 2 {
		return usagef("-ckpt %s: density maps are for 2D models; this one is %dD (use flowkit eval or sample)", *ckpt, l.Meta.Dims)
	}
	win := [4]float64{-4, 4, -4, 4}
	if l.Data.Bounds != nil {
		win = l.Data.Bounds()
	}
	if bounds != nil {
		copy(win[:], bounds)
	}
	g := viz.NewGrid2D(win[0], win[1], win[2], win[3], *grid, *grid)
	logp, err := gridLogProb(l, g)
	if err != nil {
		return err
	}
	var pts [][]float64
	if *samples > 0 {
		if pts, err = drawSamples(l, *samples, 1); err != nil {
			return err
		}
	}
	if *logScale {
		p, err := static.LogDensity2D(g, logp, pts)
		if err == nil {
			err = static.Save(p, *out, static.Height, static.Height)
		}
		if err != nil {
			return fmt.Errorf("-o %s: %v", *out, err)
		}
	} else if err := static.SaveDensity2D(*out, g, logp, pts); err != nil {
		return fmt.Errorf("-o %s: %v", *out, err)
	}
	fmt.Fprintf(stdout, "wrote the density of %s (step %d) on a %d×%d grid over [%.3g, %.3g]×[%.3g, %.3g] to %s\n",
		l.Meta.describe(), l.Step, *grid, *grid, win[0], win[1], win[2], win[3], *out)
	return nil
}

// gridLogProb evaluates the model's log-density at the grid's points, in grid order.
func gridLogProb(l *loaded, g viz.Grid2D) ([]float64, error) {
	pts := g.Points()
	const chunk = 10000
	out := make([]float64, 0, len(pts))
	for from := 0; from < len(pts); from += chunk {
		lp, err := l.Model.LogProb(pts[from:min(from+chunk, len(pts))], nil)
		if err != nil {
			return nil, err
		}
		out = append(out, lp...)
	}
	return out, nil
}

// floatList is a flag of comma-separated numbers.
type floatList []float64

func (l *floatList) String() string { return joinList(l) }

func (l *floatList) Set(v string) error {
	var out []float64
	for _, part := range strings.Split(v, ",") {
		var x float64
		if _, err := fmt.Sscan(strings.TrimSpace(part), &x); err != nil {
			return fmt.Errorf("want comma-separated numbers, e.g. -4,4,-4,4")
		}
		out = append(out, x)
	}
	*l = out
	return nil
}
