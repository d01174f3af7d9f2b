package browsercheck

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

//go:embed probe.js
var probeJS string

// Options configure Check. The zero value is usable.
type Options struct {
	// Browser is the Chromium executable; empty means FindBrowser.
	Browser string
	// Screenshot, if not empty, is the path of a PNG screenshot of the whole
	// page, taken once the charts drew (its folder is created if needed).
	// Only the Check function uses it; Browser.Check takes the path.
	Screenshot string
	// Width and Height set the browser window, in CSS pixels (default 1280x800).
	// The screenshot covers the whole page, also below the window.
	Width, Height int
	// Timeout bounds the browser's start and, separately, each page's check
	// (default 60s).
	Timeout time.Duration
	// DrawTimeout is how long to wait for every chart and image to draw
	// (default 15s); charts still blank then are reported, not an error.
	// Waiting also stops once the page has loaded and its charts and images
	// stayed unchanged for Quiet.
	DrawTimeout time.Duration
	// Quiet is how long a loaded page whose charts and images stopped
	// changing is still watched before giving up on them (default 1s).
	Quiet time.Duration
	// Settle is the time to wait after everything drew, for late exceptions and
	// for the screenshot (default 300ms).
	Settle time.Duration
	// Selector adds CSS selectors of chart containers to the built-in ones
	// (elements with echarts' _echarts_instance_ attribute, and .flowkit-echarts).
	Selector string
	// AllowBlockedRequests makes requests to the network (which are always
	// blocked) not count as failures, for pages such as nbconvert exports that
	// reference CDN scripts they do not need for charts.
	AllowBlockedRequests bool
}

// ChartState is what the probe saw of one chart container.
type ChartState struct {
	ID       string `json:"id"`       // element id.
	Instance bool   `json:"instance"` // echarts.getInstanceByDom found an instance.
	Series   int    `json:"series"`   // series with data in the instance's option.
	Points   int    `json:"points"`   // data items over all series.
	Painted  bool   `json:"painted"`  // its canvas (or SVG) has drawn content.
	Width    int    `json:"width"`    // CSS pixels.
	Height   int    `json:"height"`   // CSS pixels.
}

// Drawn reports whether the container holds a live echarts instance with data
// that painted something.
func (c ChartState) Drawn() bool { return c.Instance && c.Series > 0 && c.Painted }

// ImageState is what the probe saw of one <img>.
type ImageState struct {
	ID            string `json:"id"`            // element id.
	Complete      bool   `json:"complete"`      // the browser finished with it.
	NaturalWidth  int    `json:"naturalWidth"`  // decoded size; 0 if it failed.
	NaturalHeight int    `json:"naturalHeight"` // decoded size; 0 if it failed.
	Src           string `json:"src"`           // first 80 characters.
}

// Loaded reports whether the image decoded (naturalWidth > 0).
func (im ImageState) Loaded() bool { return im.Complete && im.NaturalWidth > 0 }

// Report is the result of Check.
type Report struct {
	URL          string       // file:// URL of the page.
	Containers   int          // echarts containers found.
	Drawn        int          // containers that drew (see ChartState.Drawn).
	Images       int          // <img> elements.
	ImagesLoaded int          // <img> elements with naturalWidth > 0.
	Charts       []ChartState // each container, in document order.
	ImageStates  []ImageState // each <img>, in document order.
	// Errors lists uncaught exceptions, console.error and console.assert
	// calls, and error-level browser log entries other than blocked requests.
	Errors []string
	// BlockedRequests lists the URLs the page tried to fetch from the network.
	// The network is always disabled; these count as failures unless
	// Options.AllowBlockedRequests is set.
	BlockedRequests []string
	// Screenshot is the path of the screenshot written, if any.
	Screenshot string

	allowBlocked bool
}

// Failures lists everything wrong with the page: errors, blank charts,
// images that did not load and (unless allowed) network requests.
func (r Report) Failures() []string {
	var f []string
	for _, e := range r.Errors {
		f = append(f, "error: "+e)
	}
	for _, c := range r.Charts {
		if !c.Drawn() {
			f = append(f, fmt.Sprintf("chart %q did not draw (instance=%v series=%d painted=%v size=%dx%d)",
				c.ID, c.Instance, c.Series, c.Painted, c.Width, c.Height))
		}
	}
	for _, im := range r.ImageStates {
		if !im.Loaded() {
			f = append(f, fmt.Sprintf("image %q (%s) did not load", im.ID, im.Src))
		}
	}
	if !r.allowBlocked {
		for _, u := range r.BlockedRequests {
			f = append(f, "network request (blocked): "+u)
		}
	}
	return f
}

// OK reports whether the page has no failures.
func (r Report) OK() bool { return len(r.Failures()) == 0 }

// Err returns nil if the page is OK, or an error listing its failures.
func (r Report) Err() error {
	f := r.Failures()
	if len(f) == 0 {
		return nil
	}
	return fmt.Errorf("browsercheck: %s: %d failure(s):\n  %s", r.URL, len(f), strings.Join(f, "\n  "))
}

// String summarises the report in one line.
func (r Report) String() string {
	return fmt.Sprintf("%s: charts %d/%d drawn, images %d/%d loaded, %d errors, %d blocked requests",
		r.URL, r.Drawn, r.Containers, r.ImagesLoaded, r.Images, len(r.Errors), len(r.BlockedRequests))
}

// probeResult is what probe.js returns.
type probeResult struct {
	ReadyState string       `json:"readyState"`
	Charts     []ChartState `json:"charts"`
	Images     []ImageState `json:"images"`
}

// fingerprint summarises the state of the page's charts and images.
func (p probeResult) fingerprint() string {
	var b strings.Builder
	b.WriteString(p.ReadyState)
	for _, c := range p.Charts {
		fmt.Fprintf(&b, "|%s %v %d %v", c.ID, c.Instance, c.Series, c.Painted)
	}
	for _, im := range p.Images {
		fmt.Fprintf(&b, "|%v %d", im.Complete, im.NaturalWidth)
	}
	return b.String()
}

func (p probeResult) done() bool {
	if p.ReadyState != "complete" {
		return false
	}
	for _, c := range p.Charts {
		if !c.Drawn() {
			return false
		}
	}
	for _, im := range p.Images {
		if !im.Loaded() {
			return false
		}
	}
	return true
}

// Check opens the local HTML file htmlPath in headless Chromium with the
// network disabled (a dead proxy for every URL, loopback included, and a host
// resolver that resolves nothing), waits until every echarts container has
// drawn and every image has loaded (or Options.DrawTimeout passes), and
// reports what it saw, including every uncaught exception and console error.
// It optionally saves a full-page screenshot (Options.Screenshot).
//
// The error is for failures to run the check (no browser: an error wrapping
// ErrNoBrowser; missing file; browser crash; timeout); a page that runs but
// fails is a nil error with a Report whose OK is false (see Report.Err).
//
// Check starts and stops a browser, which takes seconds; to check many pages
// start one with NewBrowser and call its Check method.
func Check(ctx context.Context, htmlPath string, o Options) (Report, error) {
	if err := checkFile(htmlPath); err != nil {
		return Report{}, err
	}
	b, err := NewBrowser(ctx, o)
	if err != nil {
		return Report{}, err
	}
	defer b.Close()
	return b.Check(ctx, htmlPath, o.Screenshot)
}

// Browser is a running headless Chromium that checks pages one after the
// other, each in a fresh tab. It is not safe for concurrent use.
type Browser struct {
	o             Options
	profile       string
	ctx           context.Context // the browser's chromedp context.
	cancelAlloc   context.CancelFunc
	cancelBrowser context.CancelFunc
}

// NewBrowser starts headless Chromium with the network disabled (see Check)
// and Options o (Options.Screenshot is ignored: Browser.Check takes the path).
// The browser lives until Close or until ctx is done. If no browser is
// installed the error wraps ErrNoBrowser.
func NewBrowser(ctx context.Context, o Options) (*Browser, error) {
	browser := o.Browser
	if browser == "" {
		var err error
		if browser, err = FindBrowser(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(browser); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoBrowser, err)
	}
	setDefaults(&o)
	profile, err := os.MkdirTemp("", "browsercheck-profile-")
	if err != nil {
		return nil, err
	}
	b := &Browser{o: o, profile: profile}
	var allocCtx context.Context
	allocCtx, b.cancelAlloc = chromedp.NewExecAllocator(ctx, allocatorOptions(browser, profile, o)...)
	// chromedp logs events it cannot decode (newer browsers than its protocol
	// definitions); they are not page failures, so drop them.
	quiet := func(string, ...any) {}
	b.ctx, b.cancelBrowser = chromedp.NewContext(allocCtx, chromedp.WithErrorf(quiet), chromedp.WithLogf(quiet))
	// The first Run starts the browser, bound to the context it is given: it
	// must be b.ctx itself, so the start timeout cancels it from outside.
	var timedOut atomic.Bool
	timer := time.AfterFunc(o.Timeout, func() { timedOut.Store(true); b.cancelBrowser() })
	err = chromedp.Run(b.ctx)
	timer.Stop()
	if err != nil {
		b.Close()
		if timedOut.Load() {
			err = context.DeadlineExceeded
		}
		return nil, checkErr("starting "+browser, err)
	}
	return b, nil
}

// Close stops the browser and removes its temporary profile.
func (b *Browser) Close() {
	if b.cancelBrowser != nil {
		b.cancelBrowser()
	}
	if b.cancelAlloc != nil {
		b.cancelAlloc()
	}
	// Chromium's helper processes can still write into the profile for a
	// moment after the browser exits: retry until it is gone.
	for range 20 {
		_ = os.RemoveAll(b.profile)
		if _, err := os.Stat(b.profile); os.IsNotExist(err) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func checkFile(htmlPath string) error {
	st, err := os.Stat(htmlPath)
	if err != nil {
		return fmt.Errorf("browsercheck: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("browsercheck: %s is a directory", htmlPath)
	}
	return nil
}

// Check checks one page in a new tab (see the Check function), saving a
// full-page screenshot to screenshot if it is not empty. Options.Timeout
// bounds it, as does ctx.
func (b *Browser) Check(ctx context.Context, htmlPath, screenshot string) (Report, error) {
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return Report{}, err
	}
	if err := checkFile(abs); err != nil {
		return Report{}, err
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	rep := Report{URL: pageURL, allowBlocked: b.o.AllowBlockedRequests}

	tabCtx, cancelTab := chromedp.NewContext(b.ctx)
	defer cancelTab()
	runCtx, cancelRun := context.WithTimeout(tabCtx, b.o.Timeout)
	defer cancelRun()
	stop := context.AfterFunc(ctx, cancelRun)
	defer stop()

	var mu sync.Mutex
	chromedp.ListenTarget(tabCtx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			rep.Errors = append(rep.Errors, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeAssert {
				rep.Errors = append(rep.Errors, fmt.Sprintf("console.%s: %s", ev.Type, argsText(ev.Args)))
			}
		case *log.EventEntryAdded:
			e := ev.Entry
			if e == nil || e.Level != log.LevelError {
				return
			}
			if e.Source == log.SourceNetwork && !isLocal(e.URL) {
				return // reported as a blocked request.
			}
			rep.Errors = append(rep.Errors, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		case *network.EventRequestWillBeSent:
			if ev.Request != nil && !isLocal(ev.Request.URL) {
				rep.BlockedRequests = append(rep.BlockedRequests, ev.Request.URL)
			}
		}
	})
	fail := func(what string, err error) (Report, error) {
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if errors.Is(err, context.Canceled) && runCtx.Err() != nil {
			err = context.DeadlineExceeded
		}
		return rep, checkErr(what, err)
	}

	if err := chromedp.Run(runCtx, chromedp.Navigate(pageURL)); err != nil {
		return fail("loading "+pageURL, err)
	}
	js := strings.ReplaceAll(probeJS, "%EXTRA%", strings.ReplaceAll(b.o.Selector, `"`, `\"`))
	var res probeResult
	deadline := time.Now().Add(b.o.DrawTimeout)
	last, since := "", time.Now()
	for {
		if err := chromedp.Run(runCtx, chromedp.Evaluate(js, &res)); err != nil {
			return fail("probing the page", err)
		}
		if res.done() || time.Now().After(deadline) {
			break
		}
		// A loaded page whose state stopped changing will not draw any more.
		if fp := res.fingerprint(); fp != last {
			last, since = fp, time.Now()
		} else if res.ReadyState == "complete" && time.Since(since) >= b.o.Quiet {
			break
		}
		if err := sleep(runCtx, 100*time.Millisecond); err != nil {
			return fail("waiting for charts", err)
		}
	}
	if err := sleep(runCtx, b.o.Settle); err != nil {
		return fail("settling", err)
	}
	if err := chromedp.Run(runCtx, chromedp.Evaluate(js, &res)); err != nil {
		return fail("probing the page", err)
	}
	if screenshot != "" {
		if err := takeScreenshot(runCtx, screenshot); err != nil {
			return fail("taking the screenshot", err)
		}
		rep.Screenshot = screenshot
	}

	mu.Lock()
	defer mu.Unlock()
	rep.Charts, rep.ImageStates = res.Charts, res.Images
	rep.Containers, rep.Images = len(res.Charts), len(res.Images)
	for _, c := range res.Charts {
		if c.Drawn() {
			rep.Drawn++
		}
	}
	for _, im := range res.Images {
		if im.Loaded() {
			rep.ImagesLoaded++
		}
	}
	rep.Errors = append([]string(nil), rep.Errors...)
	rep.BlockedRequests = append([]string(nil), rep.BlockedRequests...)
	return rep, nil
}

func setDefaults(o *Options) {
	if o.Width <= 0 {
		o.Width = 1280
	}
	if o.Height <= 0 {
		o.Height = 800
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.DrawTimeout <= 0 {
		o.DrawTimeout = 15 * time.Second
	}
	if o.Quiet <= 0 {
		o.Quiet = time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 300 * time.Millisecond
	}
}

// allocatorOptions returns the Chromium command line: headless, no sandbox
// (it runs as root in containers), no GPU, a throw-away profile, no
// background traffic, and the network cut off.
func allocatorOptions(browser, profile string, o Options) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("force-color-profile", "srgb"),
		// No network: every request goes to a proxy on the discard port, which
		// refuses connections (loopback included), and no host name resolves.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	}
}

// isLocal reports whether a URL is served without the network.
func isLocal(u string) bool {
	for _, p := range []string{"file:", "data:", "blob:", "about:", "chrome:", "devtools:", "chrome-extension:"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return u == ""
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += " " + firstLine(d.Exception.Description)
	}
	where := d.URL
	if where == "" && d.StackTrace != nil && len(d.StackTrace.CallFrames) > 0 {
		where = d.StackTrace.CallFrames[0].URL
	}
	return fmt.Sprintf("%s (at %s:%d:%d)", msg, shorten(where), d.LineNumber+1, d.ColumnNumber+1)
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
		case len(a.Value) > 0:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		case a.Description != "":
			parts = append(parts, firstLine(a.Description))
		case a.UnserializableValue != "":
			parts = append(parts, string(a.UnserializableValue))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func shorten(u string) string {
	if len(u) > 120 {
		return u[:60] + "..." + u[len(u)-40:]
	}
	return u
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func checkErr(what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("browsercheck: timed out %s: %w", what, err)
	}
	return fmt.Errorf("browsercheck: %s: %w", what, err)
}

// maxShotHeight bounds the screenshot of very long pages, in CSS pixels.
const maxShotHeight = 16000

// takeScreenshot writes a PNG of the whole page to path.
func takeScreenshot(ctx context.Context, path string) error {
	var buf []byte
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, _, _, _, _, size, err := page.GetLayoutMetrics().Do(ctx)
		if err != nil {
			return err
		}
		w, h := 1280.0, 800.0
		if size != nil {
			w, h = math.Ceil(size.Width), math.Min(math.Ceil(size.Height), maxShotHeight)
		}
		buf, err = page.CaptureScreenshot().
			WithFormat(page.CaptureScreenshotFormatPng).
			WithCaptureBeyondViewport(true).
			WithFromSurface(true).
			WithClip(&page.Viewport{X: 0, Y: 0, Width: w, Height: h, Scale: 1}).
			Do(ctx)
		return err
	}))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0o644)
}
