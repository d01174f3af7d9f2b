package viz

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// EchartsEnv is the environment variable that, when set, holds the path of the
// echarts.min.js file to embed. It overrides the search in the repository.
const EchartsEnv = "FLOWKIT_ECHARTS_JS"

// EchartsRelPath is where `make setup` (npm install --prefix build/npm echarts@5.6.0)
// puts the echarts script, relative to the repository root (the folder holding go.mod).
const EchartsRelPath = "build/npm/node_modules/echarts/dist/echarts.min.js"

// ErrEchartsNotFound is wrapped by the error returned when no local copy of
// echarts.min.js can be found. Charts are never silently pointed to a CDN.
var ErrEchartsNotFound = errors.New("viz: echarts.min.js not found")

var (
	echartsMu     sync.Mutex
	echartsPath   string // path the cached script was read from
	echartsScript string // cached loader script body (wrapped echarts.min.js)
)

// FindEcharts returns the path of the local echarts.min.js. It looks, in order:
//
//  1. at $FLOWKIT_ECHARTS_JS, if set (it must then exist: no fallback);
//  2. at build/npm/node_modules/echarts/dist/echarts.min.js under the current
//     directory and each of its parents (the first one holding the file wins, so
//     a notebook running in <repo>/notebooks finds <repo>/build/npm/...);
//  3. under the repository this package was compiled from (found from the
//     source file path recorded by the compiler), which covers programs started
//     from an unrelated directory, such as a GoNB kernel's temporary folder.
//
// If none exists it returns an error wrapping ErrEchartsNotFound that says to run
// `make setup`.
func FindEcharts() (string, error) {
	if p := os.Getenv(EchartsEnv); p != "" {
		if isFile(p) {
			return p, nil
		}
		return "", fmt.Errorf("%w: $%s=%q does not exist; run `make setup` (it installs "+
			"the npm package echarts@5.6.0 into build/npm) or point %s at echarts.min.js",
			ErrEchartsNotFound, EchartsEnv, p, EchartsEnv)
	}
	var tried []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			p := filepath.Join(dir, filepath.FromSlash(EchartsRelPath))
			if isFile(p) {
				return p, nil
			}
			if isFile(filepath.Join(dir, "go.mod")) {
				tried = append(tried, p)
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		// file is <repo>/viz/echarts_asset.go.
		p := filepath.Join(filepath.Dir(filepath.Dir(file)), filepath.FromSlash(EchartsRelPath))
		if isFile(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("%w (looked at %s): run `make setup` in the repository root (it runs "+
		"`npm install --prefix build/npm echarts@5.6.0`), or set %s to the path of echarts.min.js",
		ErrEchartsNotFound, strings.Join(tried, ", "), EchartsEnv)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() > 0
}

// EchartsLoaderScript returns a complete <script> element that defines
// window.echarts from the local echarts.min.js, unless window.echarts is already
// defined (then the browser skips it). The library is wrapped in a function whose
// define/exports/module parameters are undefined, so its UMD header takes the
// browser-global branch even on pages that load RequireJS (Jupyter classic
// notebook, nbconvert HTML), where it would otherwise register an anonymous AMD
// module and leave window.echarts undefined.
//
// The file is read once per process and cached (keyed by its path).
func EchartsLoaderScript() (string, error) {
	path, err := FindEcharts()
	if err != nil {
		return "", err
	}
	echartsMu.Lock()
	defer echartsMu.Unlock()
	if echartsPath == path && echartsScript != "" {
		return echartsScript, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("viz: reading %s: %w", path, err)
	}
	js := escapeScriptText(string(src))
	var b strings.Builder
	b.Grow(len(js) + 512)
	b.WriteString("<script type=\"text/javascript\">\n")
	b.WriteString("/* Apache ECharts (Apache-2.0), embedded from a local copy by flowkit/viz. */\n")
	b.WriteString("if (typeof window.echarts === \"undefined\") {\n")
	b.WriteString("(function (define, exports, module) {\n")
	b.WriteString(js)
	b.WriteString("\n}).call(window);\n}\n</script>\n")
	echartsPath, echartsScript = path, b.String()
	return echartsScript, nil
}

// escapeScriptText makes text safe to place inside an HTML <script> element:
// "</script" would end the element and "<!--" switches the HTML parser into a
// legacy escaping mode. Both only occur inside JavaScript string or regexp
// literals, where "<\/" and "<\!--" mean the same thing.
func escapeScriptText(s string) string {
	if !strings.Contains(s, "</") && !strings.Contains(s, "<!--") {
		return s
	}
	s = strings.ReplaceAll(s, "</", `<\/`)
	return strings.ReplaceAll(s, "<!--", `<\!--`)
}

// Injection into notebooks.
//
// A GoNB cell runs as a fresh process of the compiled program, so Go memory
// cannot tell whether an earlier cell already put echarts on the page, and
// relying on an earlier cell's output breaks as soon as outputs are cleared,
// cells are re-run out of order, or the notebook is reopened or exported. So
// the first chart displayed by a process (one cell execution) carries the
// loader script in its own output, and later charts of the same process reuse
// window.echarts. The loader is guarded by `typeof window.echarts`, so a page
// that already has echarts does not evaluate it again: the cost is about 1 MB
// of HTML per cell that displays charts, not per chart.
var (
	injectMu sync.Mutex
	injected bool
)

// ResetEchartsInjection forgets that this process already sent the echarts
// loader to the notebook, so the next displayed chart carries it again. Use it
// if the notebook page was reloaded while a long-running program keeps
// displaying charts.
func ResetEchartsInjection() {
	injectMu.Lock()
	injected = false
	injectMu.Unlock()
}

// loaderOnce returns the loader script the first time it is called in this
// process (after a reset) and "" afterwards.
func loaderOnce() (string, error) {
	injectMu.Lock()
	defer injectMu.Unlock()
	if injected {
		return "", nil
	}
	s, err := EchartsLoaderScript()
	if err != nil {
		return "", err
	}
	injected = true
	return s, nil
}
