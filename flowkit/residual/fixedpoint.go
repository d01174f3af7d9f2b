package residual

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// ErrNotConverged is returned (wrapped, with the residual and the iteration count) when a
// fixed-point inverse stops at its iteration cap before reaching its tolerance.
var ErrNotConverged = errors.New("residual: fixed-point iteration did not converge")

// FixedPoint configures the fixed-point inverse of eq. 16.21: to solve x + g(x) = y, iterate
//
//	x_0 = y,  x_{k+1} = y - g(x_k)
//
// until every example's residual ‖x_k + g(x_k) - y‖₂ is at most Tol, or MaxIter iterations. When
// Lip(g) <= c < 1 the error shrinks at least like c^k (Banach's fixed-point theorem), so about
// log(Tol/‖g(y)‖)/log(c) iterations are needed: 20 for c = 0.5 and 131 for c = 0.9 at
// ‖g(y)‖/Tol = 10⁶. The zero value means the defaults below.
type FixedPoint struct {
	// Tol bounds the per-example residual ‖x + g(x) - y‖₂ (absolute). Default 1e-9 in float64,
	// 1e-4 in float32 (round-off in float32 is about 1e-7 per entry).
	Tol float64
	// MaxIter caps the iterations (default 1000).
	MaxIter int
	// KeepUnconverged returns the last iterate for examples that did not reach Tol. By default
	// they come out as NaN, so a failed inverse cannot pass for a sample.
	KeepUnconverged bool
}

func (fp FixedPoint) tolFor(dt dtypes.DType) float64 {
	if fp.Tol > 0 {
		return fp.Tol
	}
	if dt == dtypes.Float64 {
		return 1e-9
	}
	return 1e-4
}

func (fp FixedPoint) maxIter() int {
	if fp.MaxIter > 0 {
		return fp.MaxIter
	}
	return 1000
}

func (fp FixedPoint) validate() {
	if fp.Tol < 0 || math.IsNaN(fp.Tol) || fp.MaxIter < 0 {
		panic(fmt.Errorf("residual.FixedPoint: Tol (%g) and MaxIter (%d) must not be negative", fp.Tol, fp.MaxIter))
	}
}

// FixedPointNodes are the outputs of SolveFixedPoint.
type FixedPointNodes struct {
	// X is the solution [batch, event...] (NaN for unconverged examples unless KeepUnconverged).
	X *Node
	// Iterations is the number of updates x_k -> x_{k+1} performed (int32 scalar).
	Iterations *Node
	// Residual is each example's ‖x + g(x) - y‖₂ at the returned iterate, [batch] (before any
	// NaN replacement).
	Residual *Node
	// History holds the largest residual over the batch after each iteration, [MaxIter+1];
	// entries after Iterations are zero.
	History *Node
	// Tol and MaxIter are the settings used.
	Tol     float64
	MaxIter int
}

// SolveFixedPoint solves x + g(x) = y for x by the iteration of eq. 16.21, x_{k+1} = y - g(x_k)
// from x_0 = y, in a GoMLX While loop that stops as soon as every example's residual is within
// the tolerance (or at MaxIter). g must be a pure function of graph nodes (it may capture nodes
// computed outside, but must not read variables). Each iteration evaluates g once: the residual
// of x_k is x_k + g(x_k) - y = x_k - x_{k+1}.
//
// The loop is not differentiable; IResNet.Forward adds the implicit-function gradient.
func SolveFixedPoint(y *Node, g func(x *Node) *Node, opt FixedPoint) FixedPointNodes {
	opt.validate()
	tol := opt.tolFor(y.DType())
	return solveFixedPoint(y, g, Scalar(y.Graph(), y.DType(), tol), tol, opt.maxIter(), opt.KeepUnconverged)
}

// solveFixedPoint is SolveFixedPoint with the tolerance as a node (tolValue is for reporting).
func solveFixedPoint(y *Node, g func(x *Node) *Node, tol *Node, tolValue float64, maxIter int, keep bool) FixedPointNodes {
	gr, dt := y.Graph(), y.DType()
	hlen := maxIter + 1
	gy := g(y)
	res0 := perExampleNorm(gy)
	hist0 := Mul(OneHot(Const(gr, []int32{0}), hlen, dt), ReduceAllMax(res0))
	hist0 = Reshape(hist0, hlen)
	batch := y.Shape().Dimensions[0]
	out := whileLoop([]*Node{y, gy, res0, int32Const(gr, 0), hist0},
		func(st []*Node) *Node {
			res, k := st[2], st[3]
			// Continue while some example is not within tolerance (NaN counts as not within).
			notDone := ReduceAllSum(ConvertDType(LogicalNot(LessOrEqual(res, BroadcastToDims(tol, batch))), dtypes.Int32))
			return LogicalAnd(LessThan(k, int32Const(k.Graph(), maxIter)), GreaterThan(notDone, int32Const(k.Graph(), 0)))
		},
		func(st []*Node) []*Node {
			gx, k, hist := st[1], st[3], st[4]
			xNew := Sub(y, gx)
			gxNew := g(xNew)
			res := perExampleNorm(Sub(Add(xNew, gxNew), y))
			kNew := Add(k, int32Const(k.Graph(), 1))
			oh := Reshape(OneHot(Reshape(kNew, 1), hlen, dt), hlen)
			hist = Add(hist, Mul(oh, ReduceAllMax(res)))
			return []*Node{xNew, gxNew, res, kNew, hist}
		})
	x, res, k, hist := out[0], out[2], out[3], out[4]
	if !keep {
		ok := LessOrEqual(res, BroadcastToDims(tol, batch))
		ok = BroadcastToDims(Reshape(ok, append([]int{batch}, ones(y.Rank()-1)...)...), y.Shape().Dimensions...)
		x = Where(ok, x, BroadcastToDims(Scalar(gr, dt, math.NaN()), y.Shape().Dimensions...))
	}
	return FixedPointNodes{X: x, Iterations: k, Residual: res, History: hist, Tol: tolValue, MaxIter: maxIter}
}

func ones(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// FixedPointStats reports one run of a fixed-point inverse.
type FixedPointStats struct {
	// Block names the bijector (its scope) for runs inside a flow; empty for InvertFixedPoint.
	Block string
	// Iterations is the number of updates x_k -> x_{k+1} performed.
	Iterations int
	// Residual is the largest ‖x + g(x) - y‖₂ over the batch at the returned iterate.
	Residual float64
	// Tol and MaxIter are the settings used.
	Tol     float64
	MaxIter int
	// Unconverged counts the examples whose residual is above Tol (or NaN).
	Unconverged int
	// History is the largest residual after each iteration, History[0] at x_0 = y
	// (len Iterations+1).
	History []float64
}

// Converged reports whether every example reached the tolerance.
func (s FixedPointStats) Converged() bool { return s.Unconverged == 0 }

// Err returns nil when the run converged, otherwise ErrNotConverged wrapped with the numbers.
func (s FixedPointStats) Err() error {
	if s.Converged() {
		return nil
	}
	where := ""
	if s.Block != "" {
		where = " in " + s.Block
	}
	return fmt.Errorf("%w%s: %d example(s) above tolerance %.3g after %d iterations (largest residual %.3g); "+
		"is g a contraction (Lip(g) < 1)?", ErrNotConverged, where, s.Unconverged, s.Tol, s.Iterations, s.Residual)
}

// String summarises the run.
func (s FixedPointStats) String() string {
	status := "converged"
	if !s.Converged() {
		status = fmt.Sprintf("NOT converged (%d examples)", s.Unconverged)
	}
	name := s.Block
	if name == "" {
		name = "fixed point"
	}
	return fmt.Sprintf("%s: %d iterations, residual %.3g (tol %.3g, cap %d), %s", name, s.Iterations, s.Residual, s.Tol, s.MaxIter, status)
}

// InvertFixedPoint solves x + g(x) = y on the host for a Go function g (one example: the vector
// y), by the iteration of eq. 16.21, x_{k+1} = y - g(x_k) from x_0 = y. It returns the last
// iterate and its statistics; the error wraps ErrNotConverged when the residual
// ‖x + g(x) - y‖₂ did not reach the tolerance (default 1e-9) within MaxIter iterations
// (default 1000). Use it on small hand-made contractions, as in figure 16.9; flows run the same
// iteration in the graph (SolveFixedPoint) and report it through Generate.
func InvertFixedPoint(g func(x []float64) []float64, y []float64, opt FixedPoint) (x []float64, stats FixedPointStats, err error) {
	opt.validate()
	tol, maxIter := opt.tolFor(dtypes.Float64), opt.maxIter()
	stats = FixedPointStats{Tol: tol, MaxIter: maxIter}
	x = append([]float64(nil), y...)
	residual := func(x, gx []float64) float64 {
		if len(gx) != len(y) {
			panic(fmt.Errorf("residual.InvertFixedPoint: g returned %d values for %d inputs", len(gx), len(y)))
		}
		s := 0.0
		for i := range x {
			d := x[i] + gx[i] - y[i]
			s += d * d
		}
		return math.Sqrt(s)
	}
	gx := g(x)
	r := residual(x, gx)
	stats.History = append(stats.History, r)
	for k := 0; k < maxIter && !(r <= tol); k++ {
		for i := range x {
			x[i] = y[i] - gx[i]
		}
		gx = g(x)
		r = residual(x, gx)
		stats.Iterations++
		stats.History = append(stats.History, r)
	}
	stats.Residual = r
	if !(r <= tol) {
		stats.Unconverged = 1
	}
	return x, stats, stats.Err()
}
