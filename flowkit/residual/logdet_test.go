package residual_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/residual"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// estimatorFixture is one iResNet block in float64 on D = 4 with its variables created, and a
// point x0 at which its log-determinant is estimated.
type estimatorFixture struct {
	t   *testing.T
	m   *flowkit.Model
	net residual.Net
	x0  []float64
	D   int
}

func newEstimatorFixture(t *testing.T, c float64, hidden ...int) *estimatorFixture {
	net := &residual.MLP{Hidden: hidden, SpectralNorm: residual.SpectralNorm{Coeff: c, Always: true, EvalIters: 100}}
	f := &estimatorFixture{t: t, net: net, x0: []float64{0.3, -0.8, 1.1, 0.5}, D: 4}
	f.m = newModel(t, residual.NewIResNet(net, residual.Exact{}), f.D, dtypes.Float64, 7)
	if _, err := f.m.LogProb([][]float64{f.x0}, nil); err != nil { // creates the variables
		t.Fatal(err)
	}
	return f
}

// newStrongFixture is a fixture whose Jacobian at x0 is large (‖J‖ ≈ 0.64) and not symmetric, so
// that the series' truncation bias is visible: g(x) = W_2 ELU(W_1 x) with W_1 = c·I and
// W_2 = -c·Q, Q a rotation by 0.7 rad in the planes (x_0, x_1) and (x_2, x_3), c = 0.8, at
// x0 = (-0.3, -0.8, 1.1, -0.5): three pre-activations are negative, so J depends on x there.
func newStrongFixture(t *testing.T) *estimatorFixture {
	f := newEstimatorFixture(t, 0.8, 4)
	f.x0 = []float64{-0.3, -0.8, 1.1, -0.5}
	cs, sn := math.Cos(0.7), math.Sin(0.7)
	q := []float64{
		cs, -sn, 0, 0,
		sn, cs, 0, 0,
		0, 0, cs, -sn,
		0, 0, sn, cs,
	}
	for i := range q {
		q[i] = -q[i]
	}
	setVar(t, f.m, "/flow/transform/g/layer_0/weights", eyeDense(4).RawMatrix().Data, 4, 4)
	setVar(t, f.m, "/flow/transform/g/layer_1/weights", q, 4, 4)
	return f
}

// setVar sets a variable of the model's store.
func setVar(t *testing.T, m *flowkit.Model, path string, values []float64, dims ...int) {
	t.Helper()
	v := m.Store.GetVariable(path)
	if v == nil {
		t.Fatalf("variable %s not found", path)
	}
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), values...), dims...)); err != nil {
		t.Fatal(err)
	}
}

// copies returns n copies of x0 as a [n, D] tensor.
func (f *estimatorFixture) copies(n int) *tensors.Tensor {
	flat := make([]float64, 0, n*f.D)
	for i := 0; i < n; i++ {
		flat = append(flat, f.x0...)
	}
	return tensors.FromFlatDataAndDimensions(flat, n, f.D)
}

// run evaluates est at every row of x: the estimates [n] and their gradients with respect to x
// [n*D] (each row's estimate depends only on its row).
func (f *estimatorFixture) run(est residual.LogDet, x *tensors.Tensor) (values, grads []float64) {
	out := execOn(f.t, f.m, func(s *model.Scope, in []*Node) []*Node {
		ts := flowkit.FlowScope(s).At("transform")
		lin := f.net.Build(ts.At("g"), in[0], nil).Linearize(in[0])
		v := est.Estimate(ts, lin)
		return []*Node{v, Gradient(ReduceAllSum(v), in[0])[0]}
	}, x)
	return out[0], out[1]
}

// jacobian returns J = ∂g/∂x at x0 (D×D), by the library's forward-mode products.
func (f *estimatorFixture) jacobian() *mat.Dense {
	out := execOn(f.t, f.m, func(s *model.Scope, in []*Node) []*Node {
		lin := f.net.Build(flowkit.FlowScope(s).At("transform").At("g"), in[0], nil).Linearize(in[0])
		return []*Node{residual.JacobianT(lin)}
	}, f.copies(1))
	var j mat.Dense
	j.CloneFrom(mat.NewDense(f.D, f.D, out[0]).T()) // JacobianT holds Jᵀ
	return &j
}

// seriesMatrix returns A_n = Σ_{k=1}^{n} (-1)^(k+1) J^k / k, whose trace is the truncated series.
func seriesMatrix(j *mat.Dense, n int) *mat.Dense {
	d, _ := j.Dims()
	a := mat.NewDense(d, d, nil)
	p := mat.DenseCopyOf(j)
	for k := 1; k <= n; k++ {
		var term mat.Dense
		term.Scale(math.Pow(-1, float64(k+1))/float64(k), p)
		a.Add(a, &term)
		var next mat.Dense
		next.Mul(p, j)
		p = &next
	}
	return a
}

func exactLogDet(j *mat.Dense) float64 {
	d, _ := j.Dims()
	a := mat.NewDense(d, d, nil)
	a.Add(j, eyeDense(d))
	var lu mat.LU
	lu.Factorize(a)
	ld, sign := lu.LogDet()
	if sign <= 0 {
		panic("det(I + J) <= 0")
	}
	return ld
}

func eyeDense(d int) *mat.Dense {
	e := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		e.Set(i, i, 1)
	}
	return e
}

// TestEq16_22TruncatedSeriesAndHutchinson checks eq. 16.22-16.24 at a point where ‖J‖ is
// sizeable: the truncated series Σ_{k<=n} (-1)^(k+1) tr(J^k)/k approaches log det(I + J) as n grows
// (its bias shrinks); the Hutchinson estimator's mean over 10,000 probes is within 3 standard
// errors of the exact truncated value for Gaussian and Rademacher probes; and the sample
// variances match the theory, 2‖A_s‖²_F (Gaussian) and 2(‖A_s‖²_F - Σ A_ii²) (Rademacher), A_s the
// symmetric part of the series matrix.
func TestEq16_22TruncatedSeriesAndHutchinson(t *testing.T) {
	f := newStrongFixture(t)
	j := f.jacobian()
	L := exactLogDet(j)
	exactVals, _ := f.run(residual.Exact{}, f.copies(2))
	if math.Abs(exactVals[0]-L) > 1e-10 {
		t.Fatalf("Exact estimator %.12f, host LU %.12f", exactVals[0], L)
	}
	rho := spectralNorm(t, j)
	t.Logf("‖J‖₂ = %.3f, log det(I + J) = %.6f", rho, L)
	// The tail after n terms is at most Σ_{k>n} D ρ^k / k <= D ρ^(n+1) / ((n+1)(1-ρ)); the bias is
	// not monotone term by term (the series alternates) but shrinks under this geometric bound.
	var biases []float64
	for n := 1; n <= 12; n++ {
		bias := mat.Trace(seriesMatrix(j, n)) - L
		bound := float64(f.D) * math.Pow(rho, float64(n+1)) / (float64(n+1) * (1 - rho))
		biases = append(biases, bias)
		if math.Abs(bias) > bound {
			t.Errorf("truncation bias %.3g with %d terms exceeds the tail bound %.3g", bias, n, bound)
		}
	}
	t.Logf("truncation bias for 1..12 terms: %.2g", biases)
	if math.Abs(biases[11]) > math.Abs(biases[0])/100 {
		t.Errorf("the bias did not shrink: %.3g with 1 term, %.3g with 12", biases[0], biases[11])
	}
	const N = 10000
	for _, n := range []int{1, 2, 4} {
		a := seriesMatrix(j, n)
		var as mat.Dense
		as.Add(a, a.T())
		as.Scale(0.5, &as)
		fro2, diag2 := 0.0, 0.0
		for i := 0; i < f.D; i++ {
			for k := 0; k < f.D; k++ {
				fro2 += as.At(i, k) * as.At(i, k)
			}
			diag2 += as.At(i, i) * as.At(i, i)
		}
		for _, probe := range []residual.Probe{residual.Gaussian, residual.Rademacher} {
			vals, _ := f.run(residual.PowerSeries{Terms: n, Probe: probe}, f.copies(N))
			mean, se := meanSE(vals)
			want := mat.Trace(a)
			variance := se * se * N
			theory := 2 * fro2
			if probe == residual.Rademacher {
				theory = 2 * (fro2 - diag2)
			}
			t.Logf("%d terms, %-10s: mean %.5f ± %.5f, truncated series %.5f (bias vs log det %+.5f), variance %.4f (theory %.4f)",
				n, probe, mean, se, want, want-L, variance, theory)
			if math.Abs(mean-want) > 3*se {
				t.Errorf("%d terms, %s: Hutchinson mean %.5f is %.1f standard errors from the truncated series %.5f",
					n, probe, mean, math.Abs(mean-want)/se, want)
			}
			if math.Abs(variance-theory) > 0.15*theory {
				t.Errorf("%d terms, %s: sample variance %.4f, theory %.4f", n, probe, variance, theory)
			}
		}
	}
}

// TestRussianRouletteUnbiased: the mean of 10,000 Russian-roulette estimates at one 4-D input is
// within 3 standard errors of the exact log-determinant, while the power series cut after the
// same two always-computed terms is visibly biased.
func TestRussianRouletteUnbiased(t *testing.T) {
	f := newStrongFixture(t)
	L := exactLogDet(f.jacobian())
	const N = 10000
	vals, _ := f.run(residual.RussianRoulette{}, f.copies(N))
	mean, se := meanSE(vals)
	t.Logf("Russian roulette (2 exact terms + Geom(0.5)): mean %.5f ± %.5f, exact %.5f (%.2f s.e.)", mean, se, L, (mean-L)/se)
	if math.Abs(mean-L) > 3*se {
		t.Errorf("Russian-roulette mean %.5f is %.1f standard errors from log det %.5f", mean, math.Abs(mean-L)/se, L)
	}
	trunc, _ := f.run(residual.PowerSeries{Terms: 2}, f.copies(N))
	tm, tse := meanSE(trunc)
	t.Logf("power series, 2 terms: mean %.5f ± %.5f (%.1f s.e. from exact)", tm, tse, (tm-L)/tse)
	if math.Abs(tm-L) < 5*tse {
		t.Errorf("the 2-term series should be biased here: mean %.5f vs %.5f (%.1f s.e.); the test has no power", tm, L, math.Abs(tm-L)/tse)
	}
}

// TestNeumannGradient: the gradient of the Russian-roulette estimate (Neumann series, one
// forward-mode product in the backward pass) is unbiased: with respect to the input, its mean
// over 10,000 draws is within 4 standard errors of the exact log-determinant's gradient in every
// coordinate (x_2's pre-activation is positive, where ELU is linear: both are 0); with respect to the first weight, a random projection of the mean gradient over 20
// batches of 500 is within 3.5 standard errors of the exact one.
func TestNeumannGradient(t *testing.T) {
	f := newStrongFixture(t)
	_, exactGrad := f.run(residual.Exact{}, f.copies(1))
	const N = 10000
	_, grads := f.run(residual.RussianRoulette{}, f.copies(N))
	for d := 0; d < f.D; d++ {
		col := make([]float64, N)
		for i := range col {
			col[i] = grads[i*f.D+d]
		}
		mean, se := meanSE(col)
		t.Logf("∂/∂x_%d: Neumann mean %.5f ± %.5f, exact %.5f", d, mean, se, exactGrad[d])
		if math.Abs(mean-exactGrad[d]) > 4*se || (se == 0 && math.Abs(mean-exactGrad[d]) > 1e-12) {
			t.Errorf("∂/∂x_%d: mean %.5f is %.1f s.e. from the exact %.5f", d, mean, math.Abs(mean-exactGrad[d])/se, exactGrad[d])
		}
	}
	// Weights: gradient of the batch mean.
	weightGrad := func(est residual.LogDet, x *tensors.Tensor) []float64 {
		return execOn(t, f.m, func(s *model.Scope, in []*Node) []*Node {
			ts := flowkit.FlowScope(s).At("transform")
			lin := f.net.Build(ts.At("g"), in[0], nil).Linearize(in[0])
			w := s.Store().GetVariable("/flow/transform/g/layer_0/weights").NodeValue(in[0].Graph())
			return []*Node{Gradient(ReduceAllMean(est.Estimate(ts, lin)), w)[0]}
		}, x)[0]
	}
	exactW := weightGrad(residual.Exact{}, f.copies(1))
	r := rand.New(rand.NewPCG(5, 5))
	dir := make([]float64, len(exactW))
	for i := range dir {
		dir[i] = r.NormFloat64()
	}
	proj := func(v []float64) float64 { return mat.Dot(mat.NewVecDense(len(v), v), mat.NewVecDense(len(dir), dir)) }
	var batches []float64
	for b := 0; b < 20; b++ {
		batches = append(batches, proj(weightGrad(residual.RussianRoulette{}, f.copies(500))))
	}
	mean, se := meanSE(batches)
	t.Logf("weights (random projection): Neumann mean %.5f ± %.5f, exact %.5f", mean, se, proj(exactW))
	if math.Abs(mean-proj(exactW)) > 3.5*se {
		t.Errorf("weight gradient projection %.5f is %.1f s.e. from the exact %.5f", mean, math.Abs(mean-proj(exactW))/se, proj(exactW))
	}
}

// TestExactLogDetGradient compares the gradient of the exact log-determinant (through the
// forward-mode Jacobian and the pivoted LU in the graph) with central finite differences.
func TestExactLogDetGradient(t *testing.T) {
	f := newEstimatorFixture(t, 0.8, 8, 8)
	_, grad := f.run(residual.Exact{}, f.copies(1))
	const h = 1e-6
	for d := 0; d < f.D; d++ {
		x := append([]float64(nil), f.x0...)
		x[d] += h
		p, _ := f.run(residual.Exact{}, tensors.FromFlatDataAndDimensions(x, 1, f.D))
		x[d] -= 2 * h
		m, _ := f.run(residual.Exact{}, tensors.FromFlatDataAndDimensions(x, 1, f.D))
		fd := (p[0] - m[0]) / (2 * h)
		if math.Abs(fd-grad[d]) > 1e-7 {
			t.Errorf("∂ log det/∂x_%d: autodiff %.9f, finite differences %.9f", d, grad[d], fd)
		}
	}
}

// TestLowRankEqualsExact: the matrix determinant lemma (k = 3 hidden units, D = 8) gives the
// same log-determinant and the same gradient as the dense Jacobian.
func TestLowRankEqualsExact(t *testing.T) {
	net := &residual.MLP{Hidden: []int{3}, SpectralNorm: residual.SpectralNorm{Coeff: 0.9, Always: true}}
	m := newModel(t, residual.NewIResNet(net, residual.Exact{}), 8, dtypes.Float64, 2)
	x, err := flowkit.ToTensor("x", randRows(16, 8, 4, 1.5), []int{8}, dtypes.Float64)
	if err != nil {
		t.Fatal(err)
	}
	run := func(est residual.LogDet) [][]float64 {
		return execOn(t, m, func(s *model.Scope, in []*Node) []*Node {
			ts := flowkit.FlowScope(s).At("transform")
			v := est.Estimate(ts, net.Build(ts.At("g"), in[0], nil).Linearize(in[0]))
			return []*Node{v, Gradient(ReduceAllSum(v), in[0])[0]}
		}, x)
	}
	ex, lr := run(residual.Exact{}), run(residual.LowRank{})
	for i := range ex {
		for j := range ex[i] {
			if math.Abs(ex[i][j]-lr[i][j]) > 1e-10 {
				t.Fatalf("output %d[%d]: exact %.12f, low-rank %.12f", i, j, ex[i][j], lr[i][j])
			}
		}
	}
	if math.Abs(ex[0][0]) < 1e-3 {
		t.Fatalf("log-det %.3g is too close to 0 to test anything", ex[0][0])
	}
}

// TestLowRankRejectsDeepNets: the lemma needs one hidden layer; anything else is a clear error.
func TestLowRankRejectsDeepNets(t *testing.T) {
	m := newModel(t, residual.NewIResNet(residual.NewMLP(4, 4), residual.LowRank{}), 3, dtypes.Float64, 1)
	_, err := m.LogProb(randRows(2, 3, 1, 1), nil)
	if err == nil || !contains(err.Error(), "exactly one hidden layer") {
		t.Fatalf("got %v, want an error about the one hidden layer", err)
	}
}

// TestLogAbsDet compares the graph's pivoted elimination with gonum's LU, including a matrix
// whose leading entry is zero (elimination without pivoting would divide by it).
func TestLogAbsDet(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const n, k = 6, 5
	flat := make([]float64, n*k*k)
	for i := range flat {
		flat[i] = r.NormFloat64()
	}
	// Example 0: a permutation-like matrix with zeros on the diagonal.
	for i := 0; i < k*k; i++ {
		flat[i] = 0
	}
	for i := 0; i < k; i++ {
		flat[i*k+(i+1)%k] = float64(i + 2)
	}
	m := newModel(t, flowkit.IdentityMap{}, 1, dtypes.Float64, 1)
	got := execOn(t, m, func(_ *model.Scope, in []*Node) []*Node { return []*Node{residual.LogAbsDet(in[0])} },
		tensors.FromFlatDataAndDimensions(flat, n, k, k))[0]
	for b := 0; b < n; b++ {
		var lu mat.LU
		lu.Factorize(mat.NewDense(k, k, flat[b*k*k:(b+1)*k*k]))
		want, _ := lu.LogDet()
		if math.Abs(got[b]-want) > 1e-10 {
			t.Errorf("matrix %d: LogAbsDet %.12f, gonum %.12f", b, got[b], want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
