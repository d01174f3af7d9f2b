package residual

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// LogDet estimates log det(I + J_g(x)) per example, the log-determinant of an iResNet block's
// normalizing direction z = x + g(x). With ‖J_g‖₂ < 1 the determinant is positive, so this is
// also log|det|.
//
// The choices trade exactness for cost:
//
//   - Exact: the dense Jacobian, D products with J and an LU factorisation: O(D³), for tests,
//     small D and 2-D plots.
//   - LowRank: the matrix determinant lemma for a one-hidden-layer MLP of width k: O(k³), exact.
//   - PowerSeries: the truncated series of eq. 16.22 with Hutchinson's estimator (eq. 16.23-16.24):
//     biased (the truncation) and stochastic; gradients by ordinary backpropagation through the terms.
//   - RussianRoulette: the same series with a random number of terms reweighted to be unbiased
//     (Chen et al. 2019); gradients by the Neumann series, memory independent of the number of
//     terms.
type LogDet interface {
	// Estimate returns log det(I + J) [batch] for g linearised at x. s gives access to the
	// random number generator (probes) of the store.
	Estimate(s *model.Scope, lin Linearization) *Node
	// String describes the estimator.
	String() string
}

// Exact computes log det(I + J_g(x)) from the dense Jacobian: the D columns J e_j by one batched
// forward-mode product, then an LU factorisation with partial pivoting in the graph. Cost
// O(D³) per example, exact and differentiable: use it for small D (2-D toys, tests).
type Exact struct{}

// String implements LogDet.
func (Exact) String() string { return "exact" }

// Estimate implements LogDet.
func (Exact) Estimate(_ *model.Scope, lin Linearization) *Node {
	x := lin.Input()
	jt := JacobianT(lin)
	return LogAbsDet(Add(InsertAxes(eye(x.Graph(), x.DType(), eventSize(x)), 0), jt))
}

// JacobianT returns the transposed Jacobian of g at the linearisation point, [batch, D, D] with
// entry [n, j, i] = ∂g_i/∂x_j (event axes flattened), by one forward-mode product with the
// identity.
func JacobianT(lin Linearization) *Node {
	x := lin.Input()
	dims := x.Shape().Dimensions
	batch, D := dims[0], eventSize(x)
	g := x.Graph()
	t := Reshape(eye(g, x.DType(), D), append([]int{1, D}, dims[1:]...)...)
	t = BroadcastToDims(t, append([]int{batch, D}, dims[1:]...)...)
	return Reshape(lin.JVP(t), batch, D, D)
}

// eye returns the k×k identity matrix.
func eye(g *Graph, dt dtypes.DType, k int) *Node {
	return ConvertDType(Equal(Iota(g, shapes.Make(dtypes.Int32, k, k), 0), Iota(g, shapes.Make(dtypes.Int32, k, k), 1)), dt)
}

// LowRank computes log det(I + J) exactly by the matrix determinant lemma (seed 000): for the
// one-hidden-layer MLP g(x) = W_2 φ(W_1 x + b_1) + b_2 of width k, J = W_2ᵀ diag(φ') W_1ᵀ = A B with
// A [D, k] and B [k, D], and det(I_D + A B) = det(I_k + B A), a k×k determinant: O(k³) instead of
// O(D³), cheaper when k < D. It panics at graph-build time for any other branch.
type LowRank struct{}

// String implements LogDet.
func (LowRank) String() string { return "low-rank" }

// Estimate implements LogDet.
func (LowRank) Estimate(_ *model.Scope, lin Linearization) *Node {
	lr, ok := lin.(lowRanker)
	if !ok {
		panic(fmt.Errorf("residual.LowRank: the residual branch %T has no low-rank Jacobian (use an MLP with one hidden layer)", lin))
	}
	core, err := lr.LowRankCore()
	if err != nil {
		panic(err)
	}
	k := core.Shape().Dimensions[1]
	return LogAbsDet(Add(InsertAxes(eye(core.Graph(), core.DType(), k), 0), core))
}

// Probe is the distribution of Hutchinson's probe vectors ε, which need E[ε] = 0 and
// E[εεᵀ] = I (eq. 16.23).
type Probe int

const (
	// Gaussian probes ε ~ N(0, I), as in the book.
	Gaussian Probe = iota
	// Rademacher probes with independent ±1 entries: the smallest variance for a given matrix
	// (Var = 2 Σ_{i≠j} A_ij² instead of Gaussian's 2‖A‖_F²).
	Rademacher
)

// String names the probe distribution.
func (p Probe) String() string {
	if p == Rademacher {
		return "Rademacher"
	}
	return "Gaussian"
}

// probes draws P probe vectors per example, [batch, P, event...], from the store's generator.
func probes(s *model.Scope, x *Node, P int, kind Probe) *Node {
	dims := x.Shape().Dimensions
	shape := shapes.Make(x.DType(), append([]int{dims[0], P}, dims[1:]...)...)
	if kind == Rademacher {
		u := s.RandomUniform(x.Graph(), shape)
		return Sub(MulScalar(ConvertDType(GreaterThan(u, Scalar(x.Graph(), x.DType(), 0.5)), x.DType()), 2), OnesLike(u))
	}
	return s.RandomNormal(x.Graph(), shape)
}

// PowerSeries estimates log det(I + J) by the power series of eq. 16.22 truncated after Terms
// terms, each trace by Hutchinson's estimator (eq. 16.23-16.24) with Probes probe vectors per
// example:
//
//	log det(I + J) ≈ (1/P) Σ_p Σ_{k=1}^{n} (-1)^{k+1}/k · ε_pᵀ J^k ε_p
//
// J^k ε is computed by k forward-mode products, the same probes serving every term (Behrmann et
// al. 2019). The estimate is unbiased for the truncated series; the truncation biases it by
// the tail Σ_{k>n} (-1)^{k+1} tr(J^k)/k, at most D·Lip(g)^{n+1}/((n+1)(1-Lip(g))) in size.
// Gradients flow through all n terms (memory grows with n). Defaults: 5 terms, 1 Gaussian probe.
type PowerSeries struct {
	Terms  int
	Probes int
	Probe  Probe
}

// String implements LogDet.
func (p PowerSeries) String() string {
	t, n := p.defaults()
	return fmt.Sprintf("power-series(%d terms, %d %s probes)", t, n, p.Probe)
}

func (p PowerSeries) defaults() (terms, nProbes int) {
	terms, nProbes = p.Terms, p.Probes
	if terms == 0 {
		terms = 5
	}
	if nProbes == 0 {
		nProbes = 1
	}
	if terms < 0 || nProbes < 0 {
		panic(fmt.Errorf("residual.PowerSeries: Terms (%d) and Probes (%d) must be positive", p.Terms, p.Probes))
	}
	return
}

// Estimate implements LogDet.
func (p PowerSeries) Estimate(s *model.Scope, lin Linearization) *Node {
	terms, P := p.defaults()
	v := probes(s, lin.Input(), P, p.Probe)
	w := v
	var acc *Node
	for k := 1; k <= terms; k++ {
		w = lin.JVP(w)
		coef := 1 / float64(k)
		if k%2 == 0 {
			coef = -coef
		}
		term := MulScalar(sumEventKeepProbes(Mul(v, w)), coef)
		if acc == nil {
			acc = term
		} else {
			acc = Add(acc, term)
		}
	}
	return ReduceMean(acc, 1)
}

// RussianRoulette is the unbiased estimator of Chen et al. (2019) ("Residual Flows"): the series
// of eq. 16.22 is cut after a random number of terms n = ExactTerms + N, N ~ Geometric(P) with
// Pr(N >= m) = (1-P)^m, and term k is divided by Pr(n >= k), so that
//
//	E_{n,ε}[ Σ_{k=1}^{n} (-1)^{k+1}/k · εᵀ J^k ε / Pr(n >= k) ] = log det(I + J)
//
// exactly (Hutchinson's probes ε as in PowerSeries; each example draws its own n). The terms run
// in a While loop, so n is unbounded in principle; MaxTerms is a safety cap (default 200, reached
// with probability (1-P)^(200-ExactTerms)).
//
// Gradient (the Neumann-series estimator of Chen et al.): instead of backpropagating through the
// n products, the estimate's gradient is
//
//	∂/∂θ log det(I + J) ≈ ( Σ_{k=0}^{n-1} (-1)^k / Pr(n >= k+1) · εᵀ J^k ) (∂J/∂θ) ε,
//
// unbiased for ∂ log det(I + J)/∂θ = tr((I + J)⁻¹ ∂J/∂θ). The row vector wᵀ = Σ (-1)^k εᵀJ^k/Pr(·) is
// computed in the same loop by reverse-mode products and held constant; the returned node is
// stop_gradient(estimate) + wᵀ J ε − stop_gradient(wᵀ J ε), whose gradient is wᵀ (∂J) ε through a
// single forward-mode product: memory does not grow with n. The same gradient flows to x. The
// loop costs two products per term (JVP and VJP) whether or not a gradient is taken.
//
// Defaults: ExactTerms 2, P 0.5, 1 Gaussian probe.
type RussianRoulette struct {
	ExactTerms int
	P          float64
	Probes     int
	Probe      Probe
	MaxTerms   int
}

func (r RussianRoulette) defaults() RussianRoulette {
	if r.ExactTerms == 0 {
		r.ExactTerms = 2
	}
	if r.P == 0 {
		r.P = 0.5
	}
	if r.Probes == 0 {
		r.Probes = 1
	}
	if r.MaxTerms == 0 {
		r.MaxTerms = 200
	}
	if r.ExactTerms < 0 || r.P <= 0 || r.P >= 1 || r.Probes < 0 || r.MaxTerms < r.ExactTerms {
		panic(fmt.Errorf("residual.RussianRoulette: need ExactTerms >= 0, 0 < P < 1, Probes > 0 and MaxTerms >= ExactTerms, got %+v", r))
	}
	return r
}

// String implements LogDet.
func (r RussianRoulette) String() string {
	r = r.defaults()
	return fmt.Sprintf("russian-roulette(%d exact terms + Geom(%g), %d %s probes)", r.ExactTerms, r.P, r.Probes, r.Probe)
}

// TermProb returns Pr(n >= k), the probability that the estimator uses term k (k >= 1).
func (r RussianRoulette) TermProb(k int) float64 {
	r = r.defaults()
	if k <= r.ExactTerms {
		return 1
	}
	return math.Pow(1-r.P, float64(k-r.ExactTerms))
}

// Estimate implements LogDet.
func (r RussianRoulette) Estimate(s *model.Scope, lin Linearization) *Node {
	r = r.defaults()
	x := lin.Input()
	g, dt := x.Graph(), x.DType()
	batch := x.Shape().Dimensions[0]
	v := probes(s, x, r.Probes, r.Probe)
	// n = ExactTerms + N, N = floor(log U / log(1-P)) ~ Geometric: Pr(N >= m) = (1-P)^m.
	u := s.RandomUniform(g, shapes.Make(dt, batch))
	u = Max(u, Scalar(g, dt, 1e-30)) // log(0) guard
	nGeom := Floor(DivScalar(Log(u), math.Log(1-r.P)))
	n := Min(AddScalar(nGeom, float64(r.ExactTerms)), Scalar(g, dt, float64(r.MaxTerms)))
	n = StopGradient(n)
	nMax := ReduceAllMax(n)
	vc := StopGradient(v)
	logKeep := -math.Log(1 - r.P)
	vShape := v.Shape()

	out := whileLoop([]*Node{Scalar(g, dt, 0), vc, vc, Zeros(g, shapes.Make(dt, batch)), ZerosLike(vc)},
		func(st []*Node) *Node { return LessThan(st[0], nMax) },
		func(st []*Node) []*Node {
			kf, jv, jtv, acc, w := st[0], st[1], st[2], st[3], st[4]
			k := Add(kf, lit(kf, 1)) // the term computed now
			// 1/Pr(n >= k) = (1-P)^-(k - ExactTerms)^+
			invProb := Exp(Mul(Max(Sub(k, lit(k, float64(r.ExactTerms))), lit(k, 0)), lit(k, logKeep)))
			// sign (-1)^(k+1) from the parity of k.
			parity := Sub(k, Mul(Floor(Div(k, lit(k, 2))), lit(k, 2))) // 1 for odd k, 0 for even
			sign := Sub(Mul(parity, lit(k, 2)), lit(k, 1))
			mask := ConvertDType(LessOrEqual(BroadcastToDims(k, batch), n), dt) // [batch]
			jvNew := lin.JVP(jv)
			tr := Mul(ReduceSum(sumEventKeepProbes(Mul(vc, jvNew)), 1), lit(k, 1/float64(r.Probes))) // εᵀ J^k ε, mean over probes
			acc = Add(acc, Mul(mask, Mul(tr, Div(Mul(sign, invProb), k))))
			// Neumann gradient vector: term k contributes (-1)^(k-1)/Pr(n >= k) · (Jᵀ)^(k-1) ε.
			mb := Reshape(mask, append([]int{batch}, ones(vShape.Rank()-1)...)...)
			w = Add(w, Mul(Mul(mb, Mul(sign, invProb)), jtv))
			jtvNew := lin.VJP(jtv)
			return []*Node{k, jvNew, jtvNew, acc, w}
		})
	value, w := StopGradient(out[3]), StopGradient(out[4])
	surrogate := ReduceMean(sumEventKeepProbes(Mul(w, lin.JVP(vc))), 1)
	return Add(value, Sub(surrogate, StopGradient(surrogate)))
}

// LogAbsDet returns log|det A| for a batch of square matrices A [batch, k, k], by Gaussian
// elimination with partial pivoting written in graph ops (k steps, each O(k²)): differentiable
// through the entries of A (the pivot choice is piecewise constant).
func LogAbsDet(a *Node) *Node {
	dims := a.Shape().Dimensions
	if a.Rank() != 3 || dims[1] != dims[2] {
		panic(fmt.Errorf("residual.LogAbsDet: want a batch of square matrices [batch, k, k], got %s", a.Shape()))
	}
	batch, k := dims[0], dims[1]
	g, dt := a.Graph(), a.DType()
	idx := Iota(g, shapes.Make(dtypes.Int32, 1, k), 1) // [1, k]
	ld := Zeros(g, shapes.Make(dt, batch))
	for j := 0; j < k; j++ {
		ohJ := ConvertDType(Equal(idx, Const(g, [][]int32{{int32(j)}})), dt) // [1, k]
		col := ReduceSum(Mul(a, InsertAxes(ohJ, 1)), 2)                      // A[:, :, j], [batch, k]
		cand := Where(GreaterOrEqual(BroadcastToDims(idx, batch, k), Const(g, [][]int32{{int32(j)}})),
			Abs(col), BroadcastToDims(Scalar(g, dt, -1), batch, k))
		p := ArgMax(StopGradient(cand), 1, dtypes.Int32) // pivot row, [batch]
		ohP := OneHot(p, k, dt)                          // [batch, k]
		rowP := ReduceSum(Mul(a, InsertAxes(ohP, 2)), 1) // A[p, :], [batch, k]
		rowJ := ReduceSum(Mul(a, InsertAxes(ohJ, 2)), 1) // A[j, :]
		// Swap rows j and p: row j += rowP - rowJ, row p += rowJ - rowP.
		a = Add(a, Mul(InsertAxes(Sub(BroadcastToDims(ohJ, batch, k), ohP), 2), InsertAxes(Sub(rowP, rowJ), 1)))
		pivot := ReduceSum(Mul(rowP, ohJ), 1) // A[j, j] after the swap, [batch]
		ld = Add(ld, Log(Abs(pivot)))
		safe := Where(Equal(pivot, ZerosLike(pivot)), OnesLike(pivot), pivot)
		colNew := ReduceSum(Mul(a, InsertAxes(ohJ, 1)), 2)
		below := ConvertDType(GreaterThan(idx, Const(g, [][]int32{{int32(j)}})), dt) // rows i > j
		factors := Mul(Div(colNew, InsertAxes(safe, 1)), below)                      // [batch, k]
		a = Sub(a, Mul(InsertAxes(factors, 2), InsertAxes(rowP, 1)))
	}
	return ld
}
