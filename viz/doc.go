// Package viz draws the figures of the flowkit notebooks with Apache ECharts
// (built with go-echarts v2) and shows them inline in GoNB, with no internet.
//
// Every chart function returns a *Figure:
//
//	Density1D(samples, curves...)        histogram of samples + true / model densities
//	Scatter2D(points)                    2D samples
//	Density2D(grid, logp, samples)       2D density heat map (LogDensity2D: log scale)
//	Lines(curves...)                     finished training curves, any y(x)
//	Matrix(m)                            Jacobians and masks, diverging scale, zeros in grey
//	ImageGrid(images, h, w, cols)        grayscale samples, interpolation strips
//	FlowStages(stages, names)            a point cloud layer by layer (figure 16.4)
//	Row(figs...)                         panels side by side
//
// and a Figure is shown or saved in one call:
//
//	viz.Density2D(grid, logp, nil).Display()     // in a GoNB cell
//	viz.Density2D(grid, logp, nil).Save("d.html") // standalone page
//	html, err := fig.HTML()                      // self-contained fragment
//
// A NewLiveCurve redraws itself while training runs (throttled, in one
// notebook output block that is replaced in place).
//
// For 2D densities, Grid2D gives the NX*NY evaluation points in one flat
// slice, so the flow is evaluated in one batched call:
//
//	grid := viz.NewGrid2D(-4, 4, -4, 4, 200, 200)
//	x := tensors.FromFlatDataAndDimensions(grid.Flat32(), grid.Len(), 2)
//	logp := ... // one LogProb call on x: 40,000 values, in grid order
//	viz.Density2D(grid, logp, samples).Display()
//
// # Offline echarts
//
// go-echarts normally loads echarts.min.js from a CDN. viz never does: it
// embeds a local copy, installed by `make setup` (npm install --prefix
// build/npm echarts@5.6.0) and found by FindEcharts ($FLOWKIT_ECHARTS_JS, then
// build/npm/node_modules/echarts/dist/echarts.min.js in the current directory
// or a parent, then in the repository viz was compiled from). If it is
// missing, every output method returns an error saying to run make setup.
//
// Standalone pages (Page, Save) and HTML carry the script inline. In a
// notebook, each GoNB cell runs as a new process, so the program cannot know
// whether an earlier cell already loaded echarts, and depending on another
// cell's output breaks when outputs are cleared, cells re-run out of order, or
// the notebook is reopened or exported. Display therefore sends the script
// with the first chart of each cell execution (once per process; later charts
// of the same cell reuse window.echarts), guarded so a page that already has
// echarts skips it: about 1 MB per charting cell, and every cell's output
// renders on its own. ResetEchartsInjection forces the next chart to carry it
// again.
//
// go-echarts builds the chart options; the few settings its typed API cannot
// express (visualMap.seriesIndex, compact data arrays, an image drawn in the
// plot area) are set on the resulting option map before it is embedded. Charts
// are drawn by a small script of viz's own rather than go-echarts' page
// template, which declares global variables (so a re-rendered live chart
// would fail) and requests the CDN. Animations are off: charts appear at once
// and screenshots are deterministic.
//
// Package viz/static draws the same figures as PNG and SVG files with
// gonum/plot; package viz/browsercheck verifies in headless Chromium that
// pages really draw.
package viz
