// Package notebooks holds flowkit's GoNB notebooks (*.ipynb, numbered in reading order) and,
// in notebooks_test.go, the harness that executes them.
//
// `go test ./notebooks/` always checks that the committed notebooks are clean (no stored
// outputs, the GoNB kernel, the go.work first cell). With FLOWKIT_NOTEBOOKS=1 (set by
// `make test`), TestNotebooks also executes every notebook with Jupyter's nbconvert on the
// gonb kernel registered by scripts/setup.sh, fails on any cell error, renders each one to
// build/notebooks/<name>.html and checks in headless chromium that its charts draw.
package notebooks
