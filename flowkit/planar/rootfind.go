package planar

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
)

// DefaultIterations is the number of safeguarded-Newton iterations the numerical inverses of
// Planar and Sylvester unroll in the graph when their Iterations field is 0.
//
// Each iteration either takes a Newton step or, when the step leaves the current bracket, is not
// finite or does not shrink fast enough, halves the bracket; so the bracket shrinks at least
// geometrically and the error after n iterations is far below the initial bracket width 2|u|
// times 2^(-n/2) even in the worst case. In practice Newton converges quadratically after a few
// steps and the result is exact to the dtype's rounding (about 1e-15 relative in float64, 1e-7
// in float32): TestSolveTanhRootWorstCase and TestPlanarInverseConverges measure it.
const DefaultIterations = 40

// solveTanhRoot solves, elementwise, for a in
//
//	g(a) = a + u·tanh(w·a + b) - c = 0,
//
// which has exactly one root when 1 + u·w·tanh'(·) > 0 everywhere (i.e. u·w > -1): g is then
// strictly increasing. Because |tanh| ≤ 1 the root lies in the bracket [c - |u|, c + |u|]; the
// solver keeps that bracket and takes Newton steps, falling back to bisection when a step leaves
// the bracket, for a fixed number of iterations (no data-dependent control flow).
//
// The returned value is exactly the iterate, but its gradient is the implicit-function
// gradient, da = -(∂g/∂θ)/g'(a) for every input θ ∈ {u, w, b, c}: the iterations themselves
// carry no gradient. All inputs must have the same shape (broadcast them before calling).
func solveTanhRoot(u, w, b, c *Node, iterations int) *Node {
	if iterations <= 0 {
		iterations = DefaultIterations
	}
	su, sw, sb, sc := StopGradient(u), StopGradient(w), StopGradient(b), StopGradient(c)
	absU := Abs(su)
	lo, hi := Sub(sc, absU), Add(sc, absU)
	// Start from one fixed-point step, clipped into the bracket.
	a := Clip(Sub(sc, Mul(su, Tanh(Add(Mul(sw, sc), sb)))), lo, hi)
	// The Newton step is taken only when it lands inside the bracket and is at most half the
	// step before last (Numerical Recipes' rtsafe rule); otherwise the bracket is halved. This
	// rules out the two-point cycles plain Newton falls into on tanh's flat tails.
	eps := 1.2e-7 // float32 machine epsilon
	if a.DType() == dtypes.Float64 {
		eps = 2.3e-16
	}
	dxOld := Sub(hi, lo)
	dx := dxOld
	for range iterations {
		t := Tanh(Add(Mul(sw, a), sb))
		gval := Sub(Add(a, Mul(su, t)), sc)
		gp := Add(OnesLike(a), Mul(Mul(su, sw), OneMinus(Square(t))))
		pos := GreaterThan(gval, ZerosLike(gval))
		hi = Where(pos, a, hi)
		lo = Where(pos, lo, a)
		step := Div(gval, gp)
		newton := Sub(a, step)
		ok := LogicalAnd(IsFinite(newton), LogicalAnd(GreaterOrEqual(newton, lo), LessOrEqual(newton, hi)))
		// Rounding-level steps are always accepted, so a converged iterate stays put.
		tiny := MulScalar(AddScalar(Abs(a), 1), 16*eps)
		ok = LogicalAnd(ok, LogicalOr(LessOrEqual(MulScalar(Abs(step), 2), dxOld), LessOrEqual(Abs(step), tiny)))
		dxOld = dx
		dx = Where(ok, Abs(step), MulScalar(Sub(hi, lo), 0.5))
		a = Where(ok, newton, MulScalar(Add(lo, hi), 0.5))
	}
	a = StopGradient(a)
	// Implicit gradient: value a, derivative -(∂g/∂θ)/g'(a).
	t := Tanh(Add(Mul(w, a), b))
	live := Sub(Add(a, Mul(u, t)), c)
	gp := StopGradient(Add(OnesLike(a), Mul(Mul(su, sw), OneMinus(Square(t)))))
	step := Div(live, gp)
	return Sub(a, Sub(step, StopGradient(step)))
}
