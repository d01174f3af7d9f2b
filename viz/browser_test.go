package viz_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/browsercheck"
)

// One headless Chromium serves all the browser tests of this package.
var (
	browserOnce sync.Once
	browser     *browsercheck.Browser
	browserErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browser != nil {
		browser.Close()
	}
	os.Exit(code)
}

// checkPage saves fig as a standalone page and checks it in Chromium with the
// network disabled, saving a screenshot under <repo>/build/screenshots if
// screenshot is not empty. It skips the test only if no browser is installed.
func checkPage(t *testing.T, fig *viz.Figure, name, screenshot string) browsercheck.Report {
	t.Helper()
	page := filepath.Join(t.TempDir(), name+".html")
	if err := fig.Save(page); err != nil {
		t.Fatal(err) // "run make setup" when echarts.min.js is missing.
	}
	return checkFile(t, page, screenshot)
}

func checkFile(t *testing.T, page, screenshot string) browsercheck.Report {
	t.Helper()
	browserOnce.Do(func() {
		browser, browserErr = browsercheck.NewBrowser(context.Background(), browsercheck.Options{Width: 1500, Height: 900})
	})
	if errors.Is(browserErr, browsercheck.ErrNoBrowser) {
		t.Skip(browserErr)
	}
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	if screenshot != "" {
		screenshot = filepath.Join(repoRoot(t), "build", "screenshots", screenshot)
	}
	rep, err := browser.Check(context.Background(), page, screenshot)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if screenshot != "" {
		t.Logf("screenshot: %s", screenshot)
	}
	return rep
}

// repoRoot is the folder holding go.mod, above the test's directory.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// ringDensity is a ring of radius 2 and width 0.3: log-densities on g and n samples.
func ringDensity(g viz.Grid2D, n int, rng *rand.Rand) ([]float64, [][]float64) {
	const r0, s = 2.0, 0.3
	logp := make([]float64, 0, g.Len())
	for _, p := range g.Points() {
		d := math.Hypot(p[0], p[1]) - r0
		logp = append(logp, -d*d/(2*s*s)-math.Log(2*math.Pi*r0*s*math.Sqrt(2*math.Pi)))
	}
	samples := make([][]float64, n)
	for i := range samples {
		a, r := 2*math.Pi*rng.Float64(), r0+s*rng.NormFloat64()
		samples[i] = []float64{r * math.Cos(a), r * math.Sin(a)}
	}
	return logp, samples
}

func TestBrowserDensity2DPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := viz.NewGrid2D(-3, 3, -3, 3, 200, 200)
	logp, samples := ringDensity(g, 1000, rng)
	// A "model" slightly off: wider and shifted.
	model := make([]float64, len(logp))
	for k, p := range g.Points() {
		d := math.Hypot(p[0]-0.2, p[1]) - 1.9
		model[k] = -d*d/(2*0.45*0.45) - math.Log(2*math.Pi*1.9*0.45*math.Sqrt(2*math.Pi))
	}
	fig := viz.Row(
		viz.Density2D(g, logp, nil).WithTitle("data density"),
		viz.Density2D(g, model, samples[:300]).WithTitle("model density + samples"),
		viz.LogDensity2D(g, model, nil).WithTitle("model log density"),
	).WithTitle("2D density heat maps (200x200 grid, one batched evaluation)")
	rep := checkPage(t, fig, "density2d", "density2d.png")
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.Containers != 3 || rep.Drawn != 3 {
		t.Errorf("%d of %d charts drew, want 3 of 3", rep.Drawn, rep.Containers)
	}
}

func TestBrowserImageGridPage(t *testing.T) {
	// Synthetic 28x28 "digits": rings, bars and blobs, plus an interpolation strip.
	const h, w = 28, 28
	shape := func(kind int, t float64) []float64 {
		im := make([]float64, h*w)
		for y := range h {
			for x := range w {
				u, v := (float64(x)-13.5)/10, (float64(y)-13.5)/10
				var val float64
				switch kind % 4 {
				case 0:
					val = math.Exp(-math.Pow(math.Hypot(u, v)-0.8, 2) / 0.02)
				case 1:
					val = math.Exp(-u * u / 0.02)
				case 2:
					val = math.Exp(-(u*u + v*v) / 0.15)
				case 3:
					val = math.Exp(-math.Pow(u-v, 2) / 0.03)
				}
				im[y*w+x] = val * (0.6 + 0.4*t)
			}
		}
		return im
	}
	var samples [][]float64
	for n := range 32 {
		samples = append(samples, shape(n, float64(n%8)/7))
	}
	a, b := shape(0, 1), shape(1, 1)
	var strip [][]float64
	for k := range 10 {
		s := float64(k) / 9
		im := make([]float64, h*w)
		for i := range im {
			im[i] = (1-s)*a[i] + s*b[i]
		}
		strip = append(strip, im)
	}
	fig := viz.Row(
		viz.ImageGrid(samples, h, w, 8).WithTitle("samples"),
		viz.ImageGrid(strip, h, w, 10).WithTitle("latent interpolation"),
	)
	rep := checkPage(t, fig, "imagegrid", "imagegrid.png")
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.Images != 2 || rep.ImagesLoaded != 2 {
		t.Errorf("%d of %d images loaded, want 2 of 2", rep.ImagesLoaded, rep.Images)
	}
}

func TestBrowserAllChartsPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var xs []float64
	for range 2000 {
		if rng.IntN(2) == 0 {
			xs = append(xs, -1.5+0.5*rng.NormFloat64())
		} else {
			xs = append(xs, 1+0.7*rng.NormFloat64())
		}
	}
	normal := func(x, m, s float64) float64 { return math.Exp(-(x-m)*(x-m)/(2*s*s)) / (s * math.Sqrt(2*math.Pi)) }
	truth := viz.FuncCurve("true density", -4, 4, 200, func(x float64) float64 { return 0.5*normal(x, -1.5, 0.5) + 0.5*normal(x, 1, 0.7) })
	xm := viz.Linspace(-4, 4, 200)
	logpm := make([]float64, len(xm))
	for i, x := range xm {
		logpm[i] = math.Log(0.45*normal(x, -1.4, 0.6) + 0.55*normal(x, 1, 0.8))
	}
	lc := viz.NewLiveCurve("Training")
	for s := range 500 {
		lc.Add(s, "train", 2*math.Exp(-float64(s)/80)+1+0.03*rng.NormFloat64())
		if s%25 == 0 {
			lc.Add(s, "validation", 2*math.Exp(-float64(s)/80)+1.1)
		}
	}
	jac := make([][]float64, 8)
	for i := range jac {
		jac[i] = make([]float64, 8)
		for j := 0; j < i; j++ {
			jac[i][j] = rng.NormFloat64()
		}
		jac[i][i] = 1 + rng.Float64()
	}
	mask := make([][]float64, 120)
	for i := range mask {
		mask[i] = make([]float64, 120)
		for j := range i {
			mask[i][j] = 1
		}
	}
	stages := [][][]float64{make([][]float64, 600)}
	for i := range stages[0] {
		stages[0][i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	for s := 1; s < 4; s++ {
		next := make([][]float64, len(stages[s-1]))
		for i, p := range stages[s-1] {
			next[i] = []float64{p[0] + 0.5*math.Sin(1.5*p[1]), p[1] + 0.25*p[0]*p[0] - 0.3}
		}
		stages = append(stages, next)
	}
	rows := []*viz.Figure{
		viz.Row(viz.Density1D(xs, truth, viz.LogDensityCurve("model", xm, logpm)), lc.Figure(),
			viz.Matrix(jac).WithTitle("Jacobian (lower triangular)")),
		viz.Row(viz.Scatter2D(stages[3]), viz.Matrix(mask).WithTitle("MADE mask 120x120"),
			viz.Lines(viz.Curve{Name: "lr", X: []float64{0, 10, 20, 30}, Y: []float64{1e-3, 5e-4, 2e-4, 1e-4}}).WithTitle("learning rate")),
		viz.FlowStages(stages, []string{"z (base)", "layer 1", "layer 2", "x (output)"}),
	}
	// All rows on one page.
	var body strings.Builder
	for _, r := range rows {
		s, err := r.Snippet()
		if err != nil {
			t.Fatal(err)
		}
		body.WriteString(s)
	}
	loader, err := viz.EchartsLoaderScript()
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "charts.html")
	// An AMD loader on the page, as in Jupyter classic and nbconvert exports:
	// the embedded echarts must still define window.echarts, not call define.
	amd := `<script>window.define = function () { throw new Error("AMD define called"); }; window.define.amd = {};</script>`
	html := "<!DOCTYPE html><html><head><meta charset=\"utf-8\">" + amd + loader + "</head><body>" + body.String() + "</body></html>"
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := checkFile(t, page, "charts.png")
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if rep.Containers != 10 || rep.Drawn != 10 {
		t.Errorf("%d of %d charts drew, want 10 of 10", rep.Drawn, rep.Containers)
	}
}

func TestBrowserReportsBrokenPages(t *testing.T) {
	fig := viz.Scatter2D([][]float64{{0, 0}, {1, 1}})
	good, err := fig.Page()
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := fig.Snippet()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pages := map[string]string{
		// A syntax error in a script of an otherwise good page.
		"syntax-error": strings.Replace(good, "</body>", "<script>this is not (javascript;</script></body>", 1),
		// A chart without echarts on the page (as if the loader were missing).
		"no-echarts": "<!DOCTYPE html><html><body>" + snippet + "</body></html>",
		// echarts from a CDN: blocked, so the chart never draws.
		"cdn": "<!DOCTYPE html><html><head><script src=\"https://cdn.jsdelivr.net/npm/echarts@5.6.0/dist/echarts.min.js\"></script></head><body>" + snippet + "</body></html>",
	}
	for name, html := range pages {
		t.Run(name, func(t *testing.T) {
			page := filepath.Join(dir, name+".html")
			if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			rep := checkFile(t, page, "")
			if rep.OK() {
				t.Fatalf("a broken page passed the check: %v", rep)
			}
			t.Logf("failures (as expected): %v", rep.Err())
			if name == "cdn" && len(rep.BlockedRequests) == 0 {
				t.Error("the CDN request was not reported")
			}
			if name != "cdn" && len(rep.Errors) == 0 {
				t.Error("no error was reported")
			}
		})
	}
}
