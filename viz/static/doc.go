// Package static draws the figures of package viz as static PNG, SVG or PDF
// files with gonum/plot: for papers, READMEs, CI artefacts and anything that
// is not a live notebook. Each chart has a builder returning a *plot.Plot (to
// adjust titles, ranges or labels before saving) and a Save... shortcut that
// writes it in the format named by the file extension:
//
//	err := static.SaveDensity2D("density.png", grid, logp, samples)
//
// The colour scales are the ones viz uses in notebooks: white to dark blue
// for densities, viridis for log densities, blue-white-red for matrices with
// exact zeros in grey.
package static
