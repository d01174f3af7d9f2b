package viz

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"os"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/janpfeifer/gonb/gonbui"
)

// Default panel sizes, in CSS pixels: they read well in a Jupyter output area.
const (
	DefaultWidth  = 480
	DefaultHeight = 400
)

// Figure is one or more panels (echarts charts or images) laid out in a row.
// Build one with a chart function (Density1D, Scatter2D, Density2D, Matrix,
// ImageGrid, ...) or Row, then Display it in a notebook, or get its HTML or save
// it as a standalone page.
//
// A Figure built from invalid input carries the error; every output method
// returns it (and Display also shows it in the notebook), so a chart can be
// built and shown in one expression: viz.Scatter2D(points).Display().
type Figure struct {
	panels []*panel
	title  string
	wrap   bool // wrap panels onto several lines (small multiples).
	err    error
}

// panel is one chart or raw HTML block of a figure.
type panel struct {
	width, height int  // CSS pixels; 0 means the default size.
	sized         bool // width and height were chosen by the caller or the chart.
	opt           option
	png           []byte // used instead of opt for image panels.
	caption       string // image panels' title.
}

// newID returns a fresh element id. It is random, not a counter, because
// outputs of different cell processes share one notebook page; and it is drawn
// at each rendering, so a figure displayed twice gets distinct elements.
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "fk_" + hex.EncodeToString(b[:])
}

func chartFigure(o option, w, h int) *Figure {
	return &Figure{panels: []*panel{{width: w, height: h, sized: w > 0, opt: o}}}
}

func errFigure(err error) *Figure { return &Figure{err: err} }

func errorf(format string, args ...any) *Figure {
	return errFigure(fmt.Errorf("viz: "+format, args...))
}

// Err returns the error the figure was built with, if any.
func (f *Figure) Err() error { return f.err }

// Panels returns the number of panels (charts or image blocks) in the figure.
func (f *Figure) Panels() int { return len(f.panels) }

// WithTitle sets the title: the chart title of a one-panel chart, or a heading
// above a multi-panel figure. It returns f.
func (f *Figure) WithTitle(title string) *Figure {
	if f.err != nil {
		return f
	}
	if len(f.panels) == 1 {
		if p := f.panels[0]; p.opt != nil {
			p.opt["title"] = titleMap(title)
		} else {
			p.caption = title
		}
		return f
	}
	f.title = title
	return f
}

// WithSize sets the size of every panel, in CSS pixels. It returns f.
func (f *Figure) WithSize(width, height int) *Figure {
	if f.err != nil {
		return f
	}
	if width <= 0 || height <= 0 {
		f.err = fmt.Errorf("viz: WithSize(%d, %d): sizes must be positive", width, height)
		return f
	}
	for _, p := range f.panels {
		p.width, p.height, p.sized = width, height, true
	}
	return f
}

// WithAxisNames names the x and y axes of every chart panel. It returns f.
func (f *Figure) WithAxisNames(x, y string) *Figure {
	if f.err != nil {
		return f
	}
	for _, p := range f.panels {
		if p.opt == nil {
			continue
		}
		setAxisName(p.opt, "xAxis", x)
		setAxisName(p.opt, "yAxis", y)
	}
	return f
}

// setAxisName names the visible axes of kind ("xAxis" or "yAxis").
func setAxisName(o option, kind, name string) {
	axes, _ := o[kind].([]any)
	for _, a := range axes {
		m := a.(map[string]any)
		if show, ok := m["show"].(bool); ok && !show {
			continue
		}
		m["name"] = name
		m["nameLocation"] = "middle"
		if kind == "xAxis" {
			m["nameGap"] = 26
		} else {
			m["nameGap"] = 40
		}
	}
}

func titleOpts(title string) opts.Title {
	return opts.Title{
		Title:      title,
		Left:       "center",
		TitleStyle: &opts.TextStyle{FontSize: 14, Color: "#333"},
	}
}

func titleMap(title string) map[string]any {
	return map[string]any{
		"text": title, "left": "center",
		"textStyle": map[string]any{"fontSize": 14, "color": "#333"},
	}
}

// Row puts the panels of figs side by side, in one row (the output area
// scrolls sideways if it is narrower). With three or more panels, panels
// whose size was not set with WithSize shrink to 400x360 so that a
// data / model / samples row fits a notebook. Headings of multi-panel
// figures are not kept. The first error of figs, if any, becomes the row's
// error.
func Row(figs ...*Figure) *Figure {
	row := &Figure{}
	for _, f := range figs {
		if f == nil {
			continue
		}
		if f.err != nil && row.err == nil {
			row.err = f.err
		}
		for _, p := range f.panels {
			cp := *p // resizing the row's panels leaves f as it was.
			row.panels = append(row.panels, &cp)
		}
	}
	if row.err != nil {
		return &Figure{err: row.err}
	}
	if len(row.panels) >= 3 {
		for _, p := range row.panels {
			if p.opt != nil && !p.sized {
				p.width, p.height = 400, 360
			}
		}
	}
	return row
}

// Snippet returns the figure's HTML without the echarts library: the panel
// elements and a script that draws them with window.echarts. Use it on pages
// that already load echarts (see EchartsLoaderScript); HTML is self-contained.
func (f *Figure) Snippet() (string, error) {
	return f.snippet("")
}

// snippet renders the figure; key, if not empty, names the figure so that a
// re-render (LiveCurve) disposes of the echarts instances of the previous one.
func (f *Figure) snippet(key string) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	if len(f.panels) == 0 {
		return "", fmt.Errorf("viz: empty figure")
	}
	var b strings.Builder
	b.WriteString(`<div class="flowkit-figure" style="font-family:sans-serif;color:#333;background:#fff;">`)
	if f.title != "" {
		fmt.Fprintf(&b, `<div style="font-weight:bold;font-size:15px;margin:4px 0 6px 4px;">%s</div>`,
			html.EscapeString(f.title))
	}
	wrap := "nowrap;overflow-x:auto"
	if f.wrap {
		wrap = "wrap"
	}
	fmt.Fprintf(&b, `<div style="display:flex;flex-wrap:%s;gap:12px;align-items:flex-start;">`, wrap)
	var specs []string
	for _, p := range f.panels {
		id := newID()
		if p.opt == nil {
			writeImagePanel(&b, id, p)
			continue
		}
		w, h := p.width, p.height
		if w <= 0 || h <= 0 {
			w, h = DefaultWidth, DefaultHeight
		}
		fmt.Fprintf(&b, `<div class="flowkit-echarts" id="%s" style="width:%dpx;height:%dpx;flex:none;"></div>`,
			id, w, h)
		js, err := encodeOption(p.opt)
		if err != nil {
			return "", err
		}
		specs = append(specs, fmt.Sprintf(`{id:%q,w:%d,h:%d,option:%s}`, id, w, h, js))
	}
	b.WriteString("</div></div>\n")
	if len(specs) > 0 {
		b.WriteString(initScript(key, specs))
	}
	return b.String(), nil
}

// initScript returns the <script> that draws the chart specs. If echarts is
// missing it writes a visible message into each chart element and throws, so
// the failure shows in the notebook and in the browser console.
func initScript(key string, specs []string) string {
	var b strings.Builder
	b.WriteString("<script type=\"text/javascript\">\n(function () {\n\"use strict\";\n")
	fmt.Fprintf(&b, "var key = %q;\nvar specs = [\n%s\n];\n", key, strings.Join(specs, ",\n"))
	b.WriteString(`if (typeof window.echarts === "undefined") {
  specs.forEach(function (s) {
    var el = document.getElementById(s.id);
    if (el) { el.textContent = "flowkit/viz: echarts is not loaded on this page (run make setup, then re-run the cell)."; }
  });
  throw new Error("flowkit/viz: echarts is not loaded on this page");
}
var registry = window.__flowkitCharts = window.__flowkitCharts || {};
if (key && registry[key]) {
  registry[key].forEach(function (c) { if (!c.isDisposed()) { c.dispose(); } });
}
var made = [];
specs.forEach(function (s) {
  var el = document.getElementById(s.id);
  if (!el) { throw new Error("flowkit/viz: chart element " + s.id + " not found"); }
  var chart = echarts.init(el, null, {renderer: "canvas", width: s.w, height: s.h});
  chart.setOption(s.option);
  made.push(chart);
});
if (key) { registry[key] = made; }
})();
</script>
`)
	return b.String()
}

// hasCharts reports whether any panel is an echarts chart (and so needs echarts).
func (f *Figure) hasCharts() bool {
	for _, p := range f.panels {
		if p.opt != nil {
			return true
		}
	}
	return false
}

// loader returns the echarts loader script if the figure needs it.
func (f *Figure) loader() (string, error) {
	if !f.hasCharts() {
		return "", nil
	}
	return EchartsLoaderScript()
}

// HTML returns a self-contained HTML fragment: the echarts loader script (see
// EchartsLoaderScript, about 1 MB; left out if the figure has only images)
// followed by Snippet. It can be pasted into any page, also one without
// internet access.
func (f *Figure) HTML() (string, error) {
	s, err := f.Snippet()
	if err != nil {
		return "", err
	}
	loader, err := f.loader()
	if err != nil {
		return "", err
	}
	return loader + s, nil
}

// Page returns a standalone HTML document showing the figure, with echarts
// embedded inline (unless the figure has only images): it opens in a browser
// without internet access.
func (f *Figure) Page() (string, error) {
	s, err := f.Snippet()
	if err != nil {
		return "", err
	}
	loader, err := f.loader()
	if err != nil {
		return "", err
	}
	title := f.title
	if title == "" && len(f.panels) == 1 && f.panels[0].opt != nil {
		if t, ok := f.panels[0].opt["title"].(map[string]any); ok {
			title, _ = t["text"].(string)
		}
	}
	if title == "" {
		title = "flowkit figure"
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(title))
	b.WriteString("<style>body{margin:16px;background:#fff;}</style>\n")
	b.WriteString(loader)
	b.WriteString("</head>\n<body>\n")
	b.WriteString(s)
	b.WriteString("</body>\n</html>\n")
	return b.String(), nil
}

// Save writes the figure as a standalone HTML page (see Page) to path.
func (f *Figure) Save(path string) error {
	s, err := f.Page()
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// displayHTML sends HTML to the notebook and waits until GoNB has it; tests
// replace it.
var displayHTML = func(s string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(s)
		syncNotebook()
	}
}

// syncTimeout bounds the wait for GoNB to acknowledge outputs.
const syncTimeout = 10 * time.Second

// syncNotebook waits (at most syncTimeout) until GoNB has received every
// output sent so far. Without it, a large output sent just before the cell's
// program exits (a chart is the last statement of most cells) can be lost:
// GoNB stops forwarding outputs once the program is gone.
func syncNotebook() {
	done := make(chan struct{})
	go func() {
		gonbui.Sync()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(syncTimeout):
	}
}

// updateHTML replaces the transient notebook output block id; tests replace it.
var updateHTML = func(id, s string) {
	if gonbui.IsNotebook {
		gonbui.UpdateHTML(id, s)
	}
}

// syncOutputs waits until GoNB has every output; tests replace it.
var syncOutputs = func() {
	if gonbui.IsNotebook {
		syncNotebook()
	}
}

// inNotebook reports whether the program runs under a GoNB kernel; tests replace it.
var inNotebook = func() bool { return gonbui.IsNotebook }

// Display shows the figure in the GoNB notebook running this program. The
// first chart displayed by the program (one cell execution) carries the
// echarts library; later ones reuse it (see ResetEchartsInjection for why).
// Outside a notebook nothing is shown, but the figure is still rendered, so
// errors (bad input, echarts missing) are returned the same way. Errors are
// also shown in the notebook.
func (f *Figure) Display() error {
	err := f.display()
	if err != nil {
		displayHTML(errorHTML(err))
	}
	return err
}

func (f *Figure) display() error {
	s, err := f.Snippet()
	if err != nil {
		return err
	}
	loader := ""
	if f.hasCharts() {
		if loader, err = loaderOnce(); err != nil {
			return err
		}
	}
	displayHTML(loader + s)
	return nil
}

func errorHTML(err error) string {
	return fmt.Sprintf(`<pre style="color:#b00020;white-space:pre-wrap;">%s</pre>`, html.EscapeString(err.Error()))
}
