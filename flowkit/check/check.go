// Package check is flowkit's verification harness: it runs a bijector in float64 on random
// inputs and random parameters and compares it with the mathematics it claims.
//
// For a bijector f with Forward x = f(z) and Inverse z = f⁻¹(x) it checks:
//
//   - round trip: f⁻¹(f(z)) = z;
//   - log-determinant: Forward's log|det ∂f/∂z| against the exact Jacobian's determinant, built
//     row by row by reverse-mode autodiff and factorised by gonum, per example;
//   - inverse consistency: Inverse's log-det = minus Forward's at the matching point;
//   - batch independence: each example's output does not depend on the others in the batch;
//   - finite gradients of every trainable variable through both directions;
//   - optionally, the Jacobian's zero pattern (elementwise, triangular, autoregressive).
//
// Use it on the library's bijectors (the conformance test runs it over every registered one)
// and on your own, from a notebook:
//
//	report, err := check.Bijector(myBijector, check.Options{Event: []int{2}})
//	fmt.Println(report)
package check

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// Options configures a check. Only Event is required.
type Options struct {
	// Event is the shape of one example, e.g. [3] or [4, 4, 2].
	Event []int
	// Cond is the size of the conditioning input, 0 for none.
	Cond int
	// Batch is the number of random examples (default 8).
	Batch int
	// Seed makes the inputs and the parameter perturbation reproducible (default 1).
	Seed uint64
	// ParamNoise is the standard deviation of the Gaussian noise added to every trainable
	// variable after initialisation, so the check does not only see the identity (default 0.3;
	// negative for none).
	ParamNoise float64
	// Input draws one input value; default: standard normal times InputScale.
	Input func(r *rand.Rand) float64
	// InputScale scales the default normal inputs (default 1).
	InputScale float64
	// Pattern, when set, gives the Jacobian's structural nonzeros: Pattern(D)[i][j] false means
	// ∂x_i/∂z_j must be exactly zero (D is the flattened event size).
	Pattern func(d int) [][]bool
	// RoundTripTol and LogDetTol bound the absolute errors (defaults 1e-5 and 1e-4, float64).
	RoundTripTol, LogDetTol float64
	// SkipBatchIndependence is for bijectors that are batch-dependent by design (BatchNorm in
	// training mode).
	SkipBatchIndependence bool
	// Backend to run on; default backend.Shared().
	Backend compute.Backend
}

func (o *Options) defaults() error {
	if len(o.Event) == 0 {
		return fmt.Errorf("check: Options.Event is required (the shape of one example, e.g. []int{2})")
	}
	for _, d := range o.Event {
		if d <= 0 {
			return fmt.Errorf("check: Options.Event %v has a non-positive dimension", o.Event)
		}
	}
	if o.Batch == 0 {
		o.Batch = 8
	}
	if o.Batch < 2 {
		return fmt.Errorf("check: Options.Batch must be at least 2 to test batch independence, got %d", o.Batch)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.ParamNoise == 0 {
		o.ParamNoise = 0.3
	}
	if o.InputScale == 0 {
		o.InputScale = 1
	}
	if o.Input == nil {
		scale := o.InputScale
		o.Input = func(r *rand.Rand) float64 { return r.NormFloat64() * scale }
	}
	if o.RoundTripTol == 0 {
		o.RoundTripTol = 1e-5
	}
	if o.LogDetTol == 0 {
		o.LogDetTol = 1e-4
	}
	if o.Backend == nil {
		b, err := backend.Shared()
		if err != nil {
			return err
		}
		o.Backend = b
	}
	return nil
}

// Result is the outcome of one property check.
type Result struct {
	Name   string
	Passed bool
	// Worst is the largest error seen (absolute), Tol the bound it was held to.
	Worst, Tol float64
	Detail     string
}

// Report gathers the results of checking one bijector.
type Report struct {
	Bijector string
	Event    []int
	Results  []Result
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if !res.Passed {
			return false
		}
	}
	return true
}

// Err returns nil when every check passed, otherwise an error listing the failures.
func (r *Report) Err() error {
	var fails []string
	for _, res := range r.Results {
		if !res.Passed {
			fails = append(fails, fmt.Sprintf("%s (worst %.3g > tol %.3g: %s)", res.Name, res.Worst, res.Tol, res.Detail))
		}
	}
	if len(fails) == 0 {
		return nil
	}
	return fmt.Errorf("check %s: %s", r.Bijector, strings.Join(fails, "; "))
}

// Get returns the result named name.
func (r *Report) Get(name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return Result{}, false
}

// String renders the report as a plain-text table.
func (r *Report) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "check %s on event %v\n", r.Bijector, r.Event)
	fmt.Fprintf(&sb, "  %-22s %-6s %-11s %-9s %s\n", "property", "result", "worst", "tol", "detail")
	for _, res := range r.Results {
		status := "ok"
		if !res.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(&sb, "  %-22s %-6s %-11.3g %-9.2g %s\n", res.Name, status, res.Worst, res.Tol, res.Detail)
	}
	return sb.String()
}

// The names of the checks, as they appear in reports.
const (
	RoundTrip           = "round trip"
	LogDetVsJacobian    = "log-det vs Jacobian"
	InverseLogDet       = "inverse log-det"
	BatchIndependence   = "batch independence"
	FiniteGradients     = "finite gradients"
	JacobianZeroPattern = "Jacobian zero pattern"
	FiniteOutputs       = "finite outputs"
)

// Bijector checks b. The error is for a check that could not run (bad options, a graph that
// failed to build); failed properties are in the report.
func Bijector(b flowkit.Bijector, opts Options) (report *Report, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			report, err = nil, fmt.Errorf("check %s: building or running the graph failed: %v", flowkit.NameOf(b), r)
		}
	}()
	report = &Report{Bijector: flowkit.NameOf(b), Event: opts.Event}
	D := 1
	for _, d := range opts.Event {
		D *= d
	}
	N := opts.Batch
	rng := rand.New(rand.NewPCG(opts.Seed, 0xc0ffee))
	zVals := make([]float64, N*D)
	for i := range zVals {
		zVals[i] = opts.Input(rng)
	}
	zT := tensors.FromFlatDataAndDimensions(zVals, append([]int{N}, opts.Event...)...)
	var condT *tensors.Tensor
	if opts.Cond > 0 {
		cv := make([]float64, N*opts.Cond)
		for i := range cv {
			cv[i] = rng.NormFloat64()
		}
		condT = tensors.FromFlatDataAndDimensions(cv, N, opts.Cond)
	}

	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(int64(opts.Seed)); err != nil {
		return nil, err
	}
	condNode := func(inputs []*Node) *Node {
		if opts.Cond > 0 {
			return inputs[1]
		}
		return nil
	}
	args := func(z *tensors.Tensor, c *tensors.Tensor) []any {
		if opts.Cond > 0 {
			return []any{z, c}
		}
		return []any{z}
	}

	// 1. Create the variables (one forward pass), then perturb them.
	initExec, err := model.NewExec(opts.Backend, store, func(s *model.Scope, inputs []*Node) []*Node {
		x, _ := b.Forward(s, inputs[0], condNode(inputs))
		return []*Node{x}
	})
	if err != nil {
		return nil, err
	}
	if _, err := initExec.Exec(args(zT, condT)...); err != nil {
		return nil, fmt.Errorf("check %s: forward pass failed: %w", report.Bijector, err)
	}
	if opts.ParamNoise > 0 {
		for v := range store.IterVariables() {
			if !v.Trainable || !v.DType().IsFloat() {
				continue
			}
			val, err := v.Value()
			if err != nil {
				return nil, err
			}
			flat := tensors.MustCopyFlatData[float64](val)
			for i := range flat {
				flat[i] += opts.ParamNoise * rng.NormFloat64()
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(flat, v.Shape().Dimensions...)); err != nil {
				return nil, err
			}
		}
	}

	// 2. One graph: forward, inverse of the output, Jacobian rows, gradients of every variable.
	exec, err := model.NewExec(opts.Backend, store, func(s *model.Scope, inputs []*Node) []*Node {
		z, cond := inputs[0], condNode(inputs)
		g := z.Graph()
		x, ldF := b.Forward(s, z, cond)
		zBack, ldI := b.Inverse(s, x, cond)
		xFlat := Reshape(x, N, D)
		rows := make([]*Node, D)
		for i := 0; i < D; i++ {
			oh := OneHot(Const(g, []int32{int32(i)}), D, dtypes.Float64) // [1, D]
			rows[i] = Reshape(Gradient(ReduceAllSum(Mul(xFlat, oh)), z)[0], N, 1, D)
		}
		jac := Concatenate(rows, 1) // [N, D(out), D(in)]
		loss := Add(ReduceAllMean(Add(ldF, ldI)),
			MulScalar(Add(ReduceAllMean(Square(x)), ReduceAllMean(Square(zBack))), 0.5))
		grads := s.BuildTrainableVariablesGradientsGraph(loss)
		gradNorm := ScalarZero(g, dtypes.Float64)
		finite := Scalar(g, dtypes.Float64, 1.0)
		for _, gr := range grads {
			gradNorm = Add(gradNorm, ReduceAllSum(Square(gr)))
			finite = Mul(finite, ReduceAllMin(ConvertDType(IsFinite(gr), dtypes.Float64)))
		}
		return []*Node{x, ldF, zBack, ldI, jac, finite, Scalar(g, dtypes.Float64, float64(len(grads))), gradNorm}
	})
	if err != nil {
		return nil, err
	}
	outs, err := exec.Exec(args(zT, condT)...)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", report.Bijector, err)
	}
	x := tensors.MustCopyFlatData[float64](outs[0])
	ldF := tensors.MustCopyFlatData[float64](outs[1])
	zBack := tensors.MustCopyFlatData[float64](outs[2])
	ldI := tensors.MustCopyFlatData[float64](outs[3])
	jac := tensors.MustCopyFlatData[float64](outs[4])
	finiteGrads := tensors.ToScalar[float64](outs[5])
	numGrads := int(tensors.ToScalar[float64](outs[6]))

	// Finite outputs.
	nonFinite := 0
	for _, vs := range [][]float64{x, ldF, zBack, ldI} {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				nonFinite++
			}
		}
	}
	report.add(Result{Name: FiniteOutputs, Passed: nonFinite == 0, Worst: float64(nonFinite),
		Detail: fmt.Sprintf("%d non-finite values in outputs and log-dets", nonFinite)})

	// Round trip.
	worst, at := maxAbsDiff(zBack, zVals)
	report.add(Result{Name: RoundTrip, Worst: worst, Tol: opts.RoundTripTol, Passed: worst <= opts.RoundTripTol,
		Detail: fmt.Sprintf("max |f⁻¹(f(z)) - z| at example %d", at/D)})

	// Log-det against the exact Jacobian.
	worstLD, worstN := 0.0, 0
	for n := 0; n < N; n++ {
		J := mat.NewDense(D, D, slices.Clone(jac[n*D*D:(n+1)*D*D]))
		var lu mat.LU
		lu.Factorize(J)
		logAbs, _ := lu.LogDet()
		if d := math.Abs(logAbs - ldF[n]); d > worstLD || math.IsNaN(d) {
			worstLD, worstN = d, n
			if math.IsNaN(d) {
				worstLD = math.Inf(1)
			}
		}
	}
	report.add(Result{Name: LogDetVsJacobian, Worst: worstLD, Tol: opts.LogDetTol, Passed: worstLD <= opts.LogDetTol,
		Detail: fmt.Sprintf("forward log|det| vs log|det J| by autodiff+LU, worst at example %d", worstN)})

	// Inverse consistency.
	worstI := 0.0
	for n := 0; n < N; n++ {
		worstI = math.Max(worstI, math.Abs(ldF[n]+ldI[n]))
	}
	report.add(Result{Name: InverseLogDet, Worst: worstI, Tol: opts.LogDetTol, Passed: worstI <= opts.LogDetTol,
		Detail: "max |inverse log-det + forward log-det|"})

	// Gradients.
	report.add(Result{Name: FiniteGradients, Passed: finiteGrads == 1, Worst: 1 - finiteGrads,
		Detail: fmt.Sprintf("%d trainable variables", numGrads)})

	// Zero pattern.
	if opts.Pattern != nil {
		pat := opts.Pattern(D)
		bad, worstZ := 0, 0.0
		for n := 0; n < N; n++ {
			for i := 0; i < D; i++ {
				for j := 0; j < D; j++ {
					if !pat[i][j] {
						if v := math.Abs(jac[n*D*D+i*D+j]); v != 0 {
							bad++
							worstZ = math.Max(worstZ, v)
						}
					}
				}
			}
		}
		report.add(Result{Name: JacobianZeroPattern, Passed: bad == 0, Worst: worstZ,
			Detail: fmt.Sprintf("%d entries nonzero where the pattern says zero", bad)})
	}

	// Batch independence: the reversed batch must give the reversed outputs.
	if !opts.SkipBatchIndependence {
		rev := make([]float64, len(zVals))
		for n := 0; n < N; n++ {
			copy(rev[n*D:(n+1)*D], zVals[(N-1-n)*D:(N-n)*D])
		}
		var condRev *tensors.Tensor
		if opts.Cond > 0 {
			cv := tensors.MustCopyFlatData[float64](condT)
			cr := make([]float64, len(cv))
			for n := 0; n < N; n++ {
				copy(cr[n*opts.Cond:(n+1)*opts.Cond], cv[(N-1-n)*opts.Cond:(N-n)*opts.Cond])
			}
			condRev = tensors.FromFlatDataAndDimensions(cr, N, opts.Cond)
		}
		fwd, err := model.NewExec(opts.Backend, store, func(s *model.Scope, inputs []*Node) []*Node {
			x, ld := b.Forward(s, inputs[0], condNode(inputs))
			return []*Node{x, ld}
		})
		if err != nil {
			return nil, err
		}
		o2, err := fwd.Exec(args(tensors.FromFlatDataAndDimensions(rev, append([]int{N}, opts.Event...)...), condRev)...)
		if err != nil {
			return nil, err
		}
		x2 := tensors.MustCopyFlatData[float64](o2[0])
		ld2 := tensors.MustCopyFlatData[float64](o2[1])
		worstB := 0.0
		for n := 0; n < N; n++ {
			m := N - 1 - n
			for i := 0; i < D; i++ {
				worstB = math.Max(worstB, math.Abs(x2[n*D+i]-x[m*D+i]))
			}
			worstB = math.Max(worstB, math.Abs(ld2[n]-ldF[m]))
		}
		report.add(Result{Name: BatchIndependence, Worst: worstB, Tol: 1e-9, Passed: worstB <= 1e-9,
			Detail: "outputs of the reversed batch vs reversed outputs"})
	}
	return report, nil
}

func (r *Report) add(res Result) { r.Results = append(r.Results, res) }

func maxAbsDiff(a, b []float64) (worst float64, at int) {
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

// DensePattern allows every entry (no structural zeros).
func DensePattern(d int) [][]bool { return PatternOf(d, func(i, j int) bool { return true }) }

// DiagonalPattern is the pattern of elementwise maps.
func DiagonalPattern(d int) [][]bool { return PatternOf(d, func(i, j int) bool { return i == j }) }

// LowerTriangularPattern is the pattern of autoregressive maps in the natural order: x_i depends
// on z_j for j <= i.
func LowerTriangularPattern(d int) [][]bool {
	return PatternOf(d, func(i, j int) bool { return j <= i })
}

// PatternOf builds a d×d pattern from f(i, j), true where ∂x_i/∂z_j may be nonzero.
func PatternOf(d int, f func(i, j int) bool) [][]bool {
	p := make([][]bool, d)
	for i := range p {
		p[i] = make([]bool, d)
		for j := range p[i] {
			p[i][j] = f(i, j)
		}
	}
	return p
}
