package transformer_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// sigmoidal returns the DSF and DDSF configurations the tests run over.
func sigmoidal() []transformer.Transformer {
	return []transformer.Transformer{transformer.NewDSF(8), transformer.NewDDSF(2, 4), transformer.NewDDSF(3, 3)}
}

// randomParams returns n rows of raw parameters: the identity's plus N(0, std²) noise.
func randomParams(tr transformer.Transformer, n int, std float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	P := tr.NumParams()
	id := tr.IdentityParams()
	p := make([]float64, n*P)
	for i := range p {
		p[i] = id[i%P] + std*r.NormFloat64()
	}
	return p
}

// evalForward returns g(x) and log g'(x) for x [n] with one parameter row per element.
func evalForward(t *testing.T, tr transformer.Transformer, x, params []float64) (y, ld []float64) {
	t.Helper()
	n := len(x)
	exec := MustNewExec(backend.MustShared(), func(x, p *Node) []*Node {
		y, ld := tr.Forward(x, p)
		return []*Node{y, ld}
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, n, 1), tensors.FromFlatDataAndDimensions(params, n, 1, tr.NumParams()))
	return tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])
}

// TestDSFMonotoneOn50 is the issue's monotonicity test: for random parameters (ten draws, far
// from the identity), g is strictly increasing on a grid of step 0.01 over [-50, 50], and its
// analytic log-derivative is finite everywhere and agrees with the slope of g between grid points.
func TestDSFMonotoneOn50(t *testing.T) {
	const n = 10001
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = -50 + 100*float64(i)/float64(n-1)
	}
	for _, tr := range sigmoidal() {
		for seed := uint64(1); seed <= 10; seed++ {
			row := randomParams(tr, 1, 1.5, seed)
			params := make([]float64, 0, n*len(row))
			for range n {
				params = append(params, row...)
			}
			y, ld := evalForward(t, tr, xs, params)
			for i := 0; i < n; i++ {
				if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || math.IsNaN(ld[i]) || math.IsInf(ld[i], 0) {
					t.Fatalf("%s seed %d: non-finite g(%g) = %g, log g' = %g", tr.Name(), seed, xs[i], y[i], ld[i])
				}
				if i == 0 {
					continue
				}
				if !(y[i] > y[i-1]) {
					t.Fatalf("%s seed %d: g(%g) = %.17g is not above g(%g) = %.17g", tr.Name(), seed, xs[i], y[i], xs[i-1], y[i-1])
				}
				// Mean value theorem: the secant slope lies between the endpoint derivatives (up to
				// curvature); compare in logs with a loose bound.
				secant := math.Log((y[i] - y[i-1]) / (xs[i] - xs[i-1]))
				lo, hi := math.Min(ld[i-1], ld[i]), math.Max(ld[i-1], ld[i])
				if secant < lo-0.05 || secant > hi+0.05 {
					t.Fatalf("%s seed %d: secant log-slope %.6g on [%g, %g] outside the analytic [%.6g, %.6g]",
						tr.Name(), seed, secant, xs[i-1], xs[i], lo, hi)
				}
			}
		}
	}
}

// TestDSFLogDerivativeIsExact compares the analytic log-derivative with the derivative GoMLX's
// autodiff takes of g itself, in float64, at random points and parameters.
func TestDSFLogDerivativeIsExact(t *testing.T) {
	for _, tr := range sigmoidal() {
		const n = 64
		r := rand.New(rand.NewPCG(3, 3))
		x := make([]float64, n)
		for i := range x {
			x[i] = 6 * r.NormFloat64()
		}
		params := randomParams(tr, n, 1, 4)
		exec := MustNewExec(backend.MustShared(), func(x, p *Node) []*Node {
			y, ld := tr.Forward(x, p)
			return []*Node{ld, Gradient(ReduceAllSum(y), x)[0]}
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, n, 1), tensors.FromFlatDataAndDimensions(params, n, 1, tr.NumParams()))
		ld, grad := tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])
		for i := range ld {
			if d := math.Abs(ld[i] - math.Log(grad[i])); d > 1e-9 {
				t.Fatalf("%s: log g'(%g) = %.12g, autodiff gives log %.12g", tr.Name(), x[i], ld[i], math.Log(grad[i]))
			}
		}
	}
}

// TestDSFBisectionInverse is the issue's inverse test: points x spread over [-50, 50] are mapped
// to y = g(x), and the bisection inverse returns them to within 1e-6, with log (g⁻¹)'(y) = -log g'(x),
// and the implicit-function gradient ∂x/∂y = 1/g'(x).
func TestDSFBisectionInverse(t *testing.T) {
	for _, tr := range sigmoidal() {
		const n = 400
		r := rand.New(rand.NewPCG(5, 5))
		x := make([]float64, n)
		for i := range x {
			x[i] = -50 + 100*r.Float64()
		}
		params := randomParams(tr, n, 1, 6)
		y, ld := evalForward(t, tr, x, params)
		exec := MustNewExec(backend.MustShared(), func(y, p *Node) []*Node {
			x, ld := tr.Inverse(y, p)
			return []*Node{x, ld, Gradient(ReduceAllSum(x), y)[0]}
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(y, n, 1), tensors.FromFlatDataAndDimensions(params, n, 1, tr.NumParams()))
		xi := tensors.MustCopyFlatData[float64](out[0])
		ldi := tensors.MustCopyFlatData[float64](out[1])
		dxdy := tensors.MustCopyFlatData[float64](out[2])
		worst, worstLD, worstGrad := 0.0, 0.0, 0.0
		for i := range x {
			worst = math.Max(worst, math.Abs(xi[i]-x[i]))
			worstLD = math.Max(worstLD, math.Abs(ldi[i]+ld[i]))
			worstGrad = math.Max(worstGrad, math.Abs(math.Log(dxdy[i])+ld[i]))
		}
		if worst > 1e-6 || math.IsNaN(worst) {
			t.Errorf("%s: bisection inverse misses by %.3g (> 1e-6) after %d steps", tr.Name(), worst, iterations(tr))
		}
		if worstLD > 1e-6 || worstGrad > 1e-6 {
			t.Errorf("%s: inverse log-derivative off by %.3g, implicit gradient off by %.3g (log scale)", tr.Name(), worstLD, worstGrad)
		}
		t.Logf("%s: max |g⁻¹(g(x)) - x| = %.2g over x in [-50, 50] (%d bisection steps)", tr.Name(), worst, iterations(tr))
	}
}

func iterations(tr transformer.Transformer) int {
	return tr.(interface{ Iterations() int }).Iterations()
}

// TestDSFIdentityParams: with one unit the identity parameters give g(x) = x exactly; with more
// they give the documented near-identity (g(0) = 0, slope near 1 at 0, g(x) - x small).
func TestDSFIdentityParams(t *testing.T) {
	xs := []float64{-30, -3, -0.5, 0, 0.5, 3, 30}
	exact := transformer.NewDSF(1)
	y, ld := evalForward(t, exact, xs, repeatRow(exact.IdentityParams(), len(xs)))
	for i, x := range xs {
		if math.Abs(y[i]-x) > 1e-12 || math.Abs(ld[i]) > 1e-12 {
			t.Fatalf("DSF(1) identity parameters: g(%g) = %g, log g' = %g", x, y[i], ld[i])
		}
	}
	for _, tr := range sigmoidal() {
		y, ld := evalForward(t, tr, xs, repeatRow(tr.IdentityParams(), len(xs)))
		for i, x := range xs {
			if math.Abs(y[i]-x) > 0.25 || math.Abs(ld[i]) > 0.1 {
				t.Errorf("%s identity parameters: g(%g) = %g, log g' = %g: not near the identity", tr.Name(), x, y[i], ld[i])
			}
		}
		if math.Abs(y[3]) > 1e-12 {
			t.Errorf("%s identity parameters: g(0) = %g, want 0", tr.Name(), y[3])
		}
	}
}

func repeatRow(row []float64, n int) []float64 {
	out := make([]float64, 0, n*len(row))
	for range n {
		out = append(out, row...)
	}
	return out
}

// TestDSFAsElementwiseFlow runs the verification harness on elementwise flows with the DSF and
// DDSF transformers: round trip through the bisection, log-det against autodiff Jacobians, finite
// gradients through both directions.
func TestDSFAsElementwiseFlow(t *testing.T) {
	for _, tr := range sigmoidal() {
		r, err := check.Bijector(elementwise.New(tr), check.Options{Event: []int{3}, Pattern: check.DiagonalPattern, InputScale: 3, ParamNoise: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%v\n%s", err, r)
		}
	}
}

// TestDSFBadParams: parameters of the wrong size are a graph-build error naming the transformer.
func TestDSFBadParams(t *testing.T) {
	tr := transformer.NewDSF(4)
	exec := MustNewExec(backend.MustShared(), func(x, p *Node) *Node {
		y, _ := tr.Forward(x, p)
		return y
	})
	_, err := exec.Exec(tensors.FromFlatDataAndDimensions(make([]float64, 2), 2, 1), tensors.FromFlatDataAndDimensions(make([]float64, 2*5), 2, 1, 5))
	if err == nil || !strings.Contains(err.Error(), "DSF(H=4)") {
		t.Fatalf("got %v, want an error naming DSF(H=4)", err)
	}
}

// ExampleNewDSF evaluates a deep sigmoidal flow transformer and inverts it by bisection.
func ExampleNewDSF() {
	dsf := transformer.NewDSF(4) // 4 sigmoid units: 12 raw parameters per dimension
	params := dsf.IdentityParams()
	params[0], params[5], params[9] = 2, -1.5, 0.7 // a steeper first unit, shifted offsets, weights
	exec := MustNewExec(backend.MustShared(), func(x, p *Node) []*Node {
		y, logDeriv := dsf.Forward(x, p)
		back, _ := dsf.Inverse(y, p)
		return []*Node{y, logDeriv, back}
	})
	x := []float64{-3, 0, 2}
	p := append(append(append([]float64{}, params...), params...), params...)
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, 3, 1), tensors.FromFlatDataAndDimensions(p, 3, 1, dsf.NumParams()))
	y := tensors.MustCopyFlatData[float64](out[0])
	back := tensors.MustCopyFlatData[float64](out[2])
	fmt.Println("increasing:", y[0] < y[1] && y[1] < y[2])
	worst := 0.0
	for i := range x {
		worst = math.Max(worst, math.Abs(back[i]-x[i]))
	}
	fmt.Println("inverse within 1e-6:", worst < 1e-6, "after", dsf.Iterations(), "bisection steps")
	// Output:
	// increasing: true
	// inverse within 1e-6: true after 35 bisection steps
}
