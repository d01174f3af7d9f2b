package viz_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/viz"
)

// gaussLogp returns the log-density of a standard 2D Gaussian on g.
func gaussLogp(g viz.Grid2D) []float64 {
	logp := make([]float64, 0, g.Len())
	for _, p := range g.Points() {
		logp = append(logp, -(p[0]*p[0]+p[1]*p[1])/2-math.Log(2*math.Pi))
	}
	return logp
}

func TestPageEmbedsEchartsOffline(t *testing.T) {
	g := viz.NewGrid2D(-3, 3, -3, 3, 50, 50)
	page, err := viz.Density2D(g, gaussLogp(g), nil).Page()
	if err != nil {
		t.Fatal(err) // "run make setup" if echarts is missing.
	}
	if len(page) < 900_000 || !strings.Contains(page, "Apache ECharts") || !strings.Contains(page, "getInstanceByDom") {
		t.Errorf("page (%d bytes) does not embed echarts.min.js", len(page))
	}
	for _, bad := range []string{"<script src", "go-echarts.github.io", "assets.go-echarts.com", "cdn.jsdelivr"} {
		if strings.Contains(page, bad) {
			t.Errorf("page references %q: it would need the internet", bad)
		}
	}
}

func TestFindEchartsInRepository(t *testing.T) {
	t.Setenv(viz.EchartsEnv, "")
	p, err := viz.FindEcharts()
	if err != nil {
		t.Fatal(err) // says to run `make setup`.
	}
	if !strings.HasSuffix(filepath.ToSlash(p), viz.EchartsRelPath) {
		t.Errorf("FindEcharts() = %s, want a path ending in %s", p, viz.EchartsRelPath)
	}
}

func TestFindEchartsFromEnv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(p, []byte("window.echarts = {};"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(viz.EchartsEnv, p)
	if got, err := viz.FindEcharts(); err != nil || got != p {
		t.Errorf("FindEcharts() = %q, %v; want %q", got, err, p)
	}
	s, err := viz.EchartsLoaderScript()
	if err != nil || !strings.Contains(s, "window.echarts = {};") {
		t.Errorf("EchartsLoaderScript() = %q, %v", s, err)
	}
}

func TestEchartsMissingSaysRunMakeSetup(t *testing.T) {
	t.Setenv(viz.EchartsEnv, filepath.Join(t.TempDir(), "nope.js"))
	_, err := viz.FindEcharts()
	if !errors.Is(err, viz.ErrEchartsNotFound) || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("FindEcharts() error = %v, want ErrEchartsNotFound saying to run make setup", err)
	}
	fig := viz.Scatter2D([][]float64{{0, 0}, {1, 1}})
	if _, err := fig.Page(); !errors.Is(err, viz.ErrEchartsNotFound) {
		t.Errorf("Page() error = %v, want ErrEchartsNotFound", err)
	}
	var shown []string
	defer viz.SetNotebookHooks(true, func(h string) { shown = append(shown, h) }, nil)()
	viz.ResetEchartsInjection()
	if err := fig.Display(); !errors.Is(err, viz.ErrEchartsNotFound) {
		t.Errorf("Display() error = %v, want ErrEchartsNotFound", err)
	}
	if len(shown) != 1 || !strings.Contains(shown[0], "make setup") {
		t.Errorf("Display showed %q, want the error", shown)
	}
}

func TestDisplayInjectsEchartsOncePerProcess(t *testing.T) {
	var shown []string
	defer viz.SetNotebookHooks(true, func(h string) { shown = append(shown, h) }, nil)()
	viz.ResetEchartsInjection()
	for range 2 {
		if err := viz.Scatter2D([][]float64{{0, 0}, {1, 1}}).Display(); err != nil {
			t.Fatal(err)
		}
	}
	if len(shown) != 2 {
		t.Fatalf("%d outputs, want 2", len(shown))
	}
	if !strings.Contains(shown[0], "Apache ECharts") || len(shown[0]) < 900_000 {
		t.Errorf("first output (%d bytes) does not carry echarts", len(shown[0]))
	}
	if strings.Contains(shown[1], "Apache ECharts") || len(shown[1]) > 20_000 {
		t.Errorf("second output (%d bytes) carries echarts again", len(shown[1]))
	}
	for i, s := range shown {
		if !strings.Contains(s, `class="flowkit-echarts"`) || !strings.Contains(s, "echarts.init") {
			t.Errorf("output %d has no chart", i)
		}
	}
	viz.ResetEchartsInjection()
	if err := viz.Scatter2D([][]float64{{0, 0}}).Display(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown[2], "Apache ECharts") {
		t.Error("after ResetEchartsInjection the next output does not carry echarts")
	}
}

func TestInvalidInputsCarryErrors(t *testing.T) {
	g := viz.NewGrid2D(0, 1, 0, 1, 10, 10)
	for name, fig := range map[string]*viz.Figure{
		"Density2D short":  viz.Density2D(g, make([]float64, 99), nil),
		"Density2D grid":   viz.Density2D(viz.Grid2D{}, nil, nil),
		"Scatter2D 1D":     viz.Scatter2D([][]float64{{1}}),
		"Density1D empty":  viz.Density1D(nil),
		"Curve mismatch":   viz.Lines(viz.Curve{Name: "c", X: []float64{1, 2}, Y: []float64{1}}),
		"Matrix ragged":    viz.Matrix([][]float64{{1, 2}, {3}}),
		"ImageGrid size":   viz.ImageGrid([][]float64{{1, 2, 3}}, 2, 2, 1),
		"FlowStages count": viz.FlowStages([][][]float64{{{0, 0}}, {{0, 0}, {1, 1}}}, nil),
		"Row":              viz.Row(viz.Scatter2D([][]float64{{0, 0}}), viz.Matrix(nil)),
		"WithSize":         viz.Scatter2D([][]float64{{0, 0}}).WithSize(0, 10),
	} {
		if fig.Err() == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if _, err := fig.HTML(); err == nil {
			t.Errorf("%s: HTML() returned no error", name)
		}
		if err := fig.Save(filepath.Join(t.TempDir(), "x.html")); err == nil {
			t.Errorf("%s: Save() returned no error", name)
		}
	}
}

func TestTitlesCannotBreakTheScript(t *testing.T) {
	s, err := viz.Scatter2D([][]float64{{0, 0}, {1, 1}}).WithTitle("a</script><b>x").Snippet()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s, "</script>"); n != 1 {
		t.Errorf("snippet has %d </script>, want 1 (the title must be escaped):\n%s", n, s)
	}
	s, err = viz.Row(viz.Scatter2D([][]float64{{0, 0}}), viz.Scatter2D([][]float64{{0, 0}})).WithTitle("<i>").Snippet()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "<i>") || !strings.Contains(s, "&lt;i&gt;") {
		t.Error("row heading is not HTML-escaped")
	}
}

func TestRowShrinksThreeDefaultPanels(t *testing.T) {
	pts := [][]float64{{0, 0}, {1, 1}}
	s, err := viz.Row(viz.Scatter2D(pts), viz.Scatter2D(pts), viz.Scatter2D(pts).WithSize(300, 200)).Snippet()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s, "width:400px;height:360px"); n != 2 {
		t.Errorf("%d panels of 400x360, want 2", n)
	}
	if !strings.Contains(s, "width:300px;height:200px") {
		t.Error("explicit WithSize(300, 200) was not kept")
	}
	one, _ := viz.Scatter2D(pts).Snippet()
	if !strings.Contains(one, "width:480px;height:400px") {
		t.Error("a single panel is not 480x400")
	}
}

func TestHistogramIntegratesToOne(t *testing.T) {
	xs := []float64{0, 0.1, 0.2, 0.5, 0.9, 1, math.NaN(), 1, 3}
	h, err := viz.NewHistogram(xs, 6)
	if err != nil {
		t.Fatal(err)
	}
	area := 0.0
	for i, d := range h.Density {
		area += d * (h.Edges[i+1] - h.Edges[i])
	}
	if math.Abs(area-1) > 1e-12 || h.Edges[0] != 0 || h.Edges[6] != 3 {
		t.Errorf("area %g, edges %v", area, h.Edges)
	}
}

func TestDisplayingTwiceMakesDistinctElements(t *testing.T) {
	fig := viz.Scatter2D([][]float64{{0, 0}, {1, 1}})
	a, err := fig.Snippet()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fig.Snippet()
	id := func(s string) string {
		i := strings.Index(s, `id="`)
		return s[i+4 : i+4+strings.Index(s[i+4:], `"`)]
	}
	if id(a) == id(b) {
		t.Errorf("two renderings share the element id %s", id(a))
	}
}

func TestWithAxisNames(t *testing.T) {
	s, err := viz.Scatter2D([][]float64{{0, 0}, {1, 1}}).WithAxisNames("z1", "z2").Snippet()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, `"name":"z1"`) || !strings.Contains(s, `"name":"z2"`) {
		t.Error("axis names missing")
	}
}
