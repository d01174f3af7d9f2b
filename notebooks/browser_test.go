//go:build unix

package notebooks_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/flowkit/flowkit/viz/browsercheck"
)

// checkInBrowser opens the rendered notebook in headless chromium with the network disabled
// (viz/browsercheck) and fails when its charts did not draw or the page logged a script error
// or tried to reach the network. expected is the number of charts found in the executed
// notebook's outputs. A screenshot goes beside the page, build/notebooks/<name>.png.
//
// A missing chromium fails the test rather than skipping it: `make setup` installs it.
func checkInBrowser(t *testing.T, ctx context.Context, name, htmlPath string, expected int) {
	t.Helper()
	shot := filepath.Join(filepath.Dir(htmlPath), name+".png")
	rep, err := browsercheck.Check(ctx, htmlPath, browsercheck.Options{Screenshot: shot})
	if err != nil {
		t.Fatalf("%s.html: browser check could not run: %v (chromium comes with `make setup`)", name, err)
	}
	t.Logf("%s.html: %s; screenshot %s", name, rep, shot)
	if expected > 0 && rep.Drawn == 0 {
		t.Errorf("%s.html: the notebook's outputs hold %d chart(s) but none drew", name, expected)
	}
	if rep.Containers < expected {
		t.Errorf("%s.html: the notebook's outputs hold %d chart(s), the page shows %d", name, expected, rep.Containers)
	}
	if err := rep.Err(); err != nil {
		t.Errorf("%s.html: %v", name, err)
	}
}
