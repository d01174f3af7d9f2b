package viz

import (
	"fmt"
	"math"
)

// Curve is a named series of (X[i], Y[i]) points drawn as a line: a density
// evaluated on a grid, or a training curve.
type Curve struct {
	Name string    // legend entry.
	X, Y []float64 // points, same length.
}

// Validate reports whether X and Y have the same, non-zero length.
func (c Curve) Validate() error {
	if len(c.X) != len(c.Y) {
		return fmt.Errorf("viz: curve %q has %d x values and %d y values", c.Name, len(c.X), len(c.Y))
	}
	if len(c.X) == 0 {
		return fmt.Errorf("viz: curve %q is empty", c.Name)
	}
	return nil
}

// points returns the curve as [x, y] rows.
func (c Curve) points() [][]float64 {
	pts := make([][]float64, len(c.X))
	for i := range c.X {
		pts[i] = []float64{c.X[i], c.Y[i]}
	}
	return pts
}

// Linspace returns n evenly spaced values from lo to hi, both included
// (n == 1 gives {lo}).
func Linspace(lo, hi float64, n int) []float64 {
	if n <= 0 {
		return nil
	}
	xs := make([]float64, n)
	if n == 1 {
		xs[0] = lo
		return xs
	}
	step := (hi - lo) / float64(n-1)
	for i := range xs {
		xs[i] = lo + float64(i)*step
	}
	xs[n-1] = hi
	return xs
}

// FuncCurve samples f at n evenly spaced points of [lo, hi]: for example the
// true density of a toy problem.
func FuncCurve(name string, lo, hi float64, n int, f func(x float64) float64) Curve {
	xs := Linspace(lo, hi, n)
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = f(x)
	}
	return Curve{Name: name, X: xs, Y: ys}
}

// LogDensityCurve turns log-densities logp[i] at x[i] (for example a model's
// LogProb evaluated in one batched call) into a density curve exp(logp).
func LogDensityCurve(name string, x, logp []float64) Curve {
	ys := make([]float64, len(logp))
	for i, v := range logp {
		ys[i] = math.Exp(v)
	}
	return Curve{Name: name, X: x, Y: ys}
}
