package browsercheck_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/viz/browsercheck"
)

// pngURI returns a small red square as a data URI.
func pngURI(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		img.Set(i%8, i/8, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func writePage(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name+".html")
	html := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + body + "</body></html>"
	if err := os.WriteFile(p, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newBrowser(t *testing.T, o browsercheck.Options) *browsercheck.Browser {
	t.Helper()
	b, err := browsercheck.NewBrowser(context.Background(), o)
	if errors.Is(err, browsercheck.ErrNoBrowser) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestPages(t *testing.T) {
	dir := t.TempDir()
	img := pngURI(t)
	cases := []struct {
		name, body string
		ok         bool
		check      func(t *testing.T, r browsercheck.Report)
	}{
		{name: "image", ok: true, body: `<img id="i" src="` + img + `" width="64" height="64">`,
			check: func(t *testing.T, r browsercheck.Report) {
				if r.Images != 1 || r.ImagesLoaded != 1 || r.Containers != 0 {
					t.Errorf("images %d/%d, containers %d; want 1/1, 0", r.ImagesLoaded, r.Images, r.Containers)
				}
			}},
		{name: "missing-image", body: `<img src="no-such-file.png">`,
			check: func(t *testing.T, r browsercheck.Report) {
				if r.Images != 1 || r.ImagesLoaded != 0 {
					t.Errorf("images %d/%d, want 0/1", r.ImagesLoaded, r.Images)
				}
			}},
		{name: "exception", body: `<script>undefinedFunction();</script>`,
			check: func(t *testing.T, r browsercheck.Report) {
				if len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "undefinedFunction") {
					t.Errorf("errors %q, want the ReferenceError", r.Errors)
				}
			}},
		{name: "syntax-error", body: `<script>let x = ;</script>`},
		{name: "console-error", body: `<script>console.error("boom", 42);</script>`,
			check: func(t *testing.T, r browsercheck.Report) {
				if len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "boom 42") {
					t.Errorf("errors %q, want console.error: boom 42", r.Errors)
				}
			}},
		{name: "network", body: `<link rel="stylesheet" href="https://example.com/style.css"><img src="` + img + `">`,
			check: func(t *testing.T, r browsercheck.Report) {
				if len(r.BlockedRequests) != 1 || r.BlockedRequests[0] != "https://example.com/style.css" {
					t.Errorf("blocked requests %q, want the stylesheet", r.BlockedRequests)
				}
			}},
		{name: "loopback", body: `<img src="http://127.0.0.1:1/x.png">`,
			check: func(t *testing.T, r browsercheck.Report) {
				if len(r.BlockedRequests) != 1 || r.ImagesLoaded != 0 {
					t.Errorf("blocked %q, images loaded %d: loopback must be blocked too", r.BlockedRequests, r.ImagesLoaded)
				}
			}},
		{name: "blank-container", body: `<div class="flowkit-echarts" style="width:100px;height:100px"></div>`,
			check: func(t *testing.T, r browsercheck.Report) {
				if r.Containers != 1 || r.Drawn != 0 {
					t.Errorf("charts %d/%d drawn, want 0/1", r.Drawn, r.Containers)
				}
			}},
	}
	b := newBrowser(t, browsercheck.Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := b.Check(context.Background(), writePage(t, dir, c.name, c.body), "")
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() != c.ok {
				t.Errorf("OK() = %v, want %v: %v", rep.OK(), c.ok, rep.Err())
			}
			if (rep.Err() == nil) != c.ok {
				t.Errorf("Err() = %v", rep.Err())
			}
			if c.check != nil {
				c.check(t, rep)
			}
		})
	}
}

// TestCheckFunction checks a page with the one-shot Check: a screenshot of
// the whole page, and a blocked request that is allowed.
func TestCheckFunction(t *testing.T) {
	dir := t.TempDir()
	page := writePage(t, dir, "shot", `<link rel="stylesheet" href="https://cdn.example.com/x.css">`+
		`<img src="`+pngURI(t)+`" width="300" height="1200">`)
	shot := filepath.Join(dir, "shots", "shot.png")
	rep, err := browsercheck.Check(context.Background(), page, browsercheck.Options{
		Screenshot: shot, Width: 640, Height: 480, AllowBlockedRequests: true})
	if errors.Is(err, browsercheck.ErrNoBrowser) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("with AllowBlockedRequests: %v", err)
	}
	if len(rep.BlockedRequests) != 1 || rep.Screenshot != shot {
		t.Errorf("blocked %q, screenshot %q; want the CDN request listed and %s", rep.BlockedRequests, rep.Screenshot, shot)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The whole page, taller than the window.
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() < 1200 {
		t.Errorf("screenshot is %dx%d, want 640 wide and at least 1200 tall", b.Dx(), b.Dy())
	}
}

func TestNoBrowser(t *testing.T) {
	page := writePage(t, t.TempDir(), "p", "<p>x</p>")
	_, err := browsercheck.Check(context.Background(), page, browsercheck.Options{Browser: "/nonexistent/chromium"})
	if !errors.Is(err, browsercheck.ErrNoBrowser) {
		t.Errorf("Check with a missing browser: %v, want ErrNoBrowser", err)
	}
	t.Setenv(browsercheck.BrowserEnv, "/nonexistent/chromium")
	if _, err := browsercheck.FindBrowser(); !errors.Is(err, browsercheck.ErrNoBrowser) {
		t.Errorf("FindBrowser with $%s missing: %v, want ErrNoBrowser", browsercheck.BrowserEnv, err)
	}
}

func TestMissingPage(t *testing.T) {
	_, err := browsercheck.Check(context.Background(), filepath.Join(t.TempDir(), "none.html"), browsercheck.Options{})
	if err == nil || errors.Is(err, browsercheck.ErrNoBrowser) {
		t.Errorf("Check of a missing file: %v, want a file error", err)
	}
}
