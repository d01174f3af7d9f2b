// Package bench is flowkit's performance suite: the training, density and sampling throughput of
// the flow configurations users compare with PyTorch's nflows, normflows and zuko, measured the
// same way on every run so results can be compared across commits, backends and machines.
//
// Each Config is one of issue 12's reference set-ups (RealNVP and NSF on two moons, MAF on an 8-D
// Gaussian mixture, Glow on 8x8 images). Measure trains it through the public trainer
// (fit.MLE, so the figures include everything a user's training loop pays), times the first
// step (graph build and compilation) separately, and measures density evaluation and sampling on
// 10,000 points. The command cmd/flowbench runs every configuration in its own process (so the
// peak resident memory is per configuration), prints a Markdown table and appends the results to
// a JSON-lines file. `make bench` runs it.
package bench
