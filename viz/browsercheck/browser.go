package browsercheck

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BrowserEnv is the environment variable that, when set, holds the path of the
// Chromium (or Chrome) executable to use.
const BrowserEnv = "FLOWKIT_CHROMIUM"

// ErrNoBrowser is wrapped by the error Check and FindBrowser return when no
// Chromium or Chrome executable is available. Tests skip on it, and only on it.
var ErrNoBrowser = errors.New("browsercheck: no chromium or chrome browser found")

// candidates are the executables FindBrowser tries, in order.
var candidates = []string{
	"/usr/bin/chromium",
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"chrome",
	"headless-shell",
}

// FindBrowser returns the path of the browser Check runs: $FLOWKIT_CHROMIUM if
// set (it must exist), else the first of /usr/bin/chromium, chromium,
// chromium-browser, google-chrome, ... found on $PATH. Otherwise it returns an
// error wrapping ErrNoBrowser.
func FindBrowser() (string, error) {
	if p := os.Getenv(BrowserEnv); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
		return "", fmt.Errorf("%w: $%s=%q is not an executable", ErrNoBrowser, BrowserEnv, p)
	}
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return c, nil
			}
			continue
		}
		if path, err := exec.LookPath(c); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%w (tried $%s and %v); on Debian: apt-get install chromium",
		ErrNoBrowser, BrowserEnv, candidates)
}
