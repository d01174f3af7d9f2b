package residual

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// SpectralNorm configures the spectral normalisation of the residual branch's weights
// (Miyato et al. 2018, as used by Behrmann et al. 2019): each weight W, seen as a linear
// operator A (a matrix, or a convolution over the whole image), is rescaled so that its spectral
// norm ‖A‖₂ = σ_max(A) is at most Coeff. With 1-Lipschitz activations this bounds
// Lip(g) <= Coeff^L for L weight layers, so g is a contraction and h + g(h) is invertible.
//
// σ is estimated by power iteration, u ← Aᵀ(A u)/‖·‖, σ̂ = ‖A u‖₂, from a persistent vector u
// stored as the non-trainable variable "<weight>_sn_u" beside the weight. σ̂ <= σ always, and u
// converges to the top right singular vector at the rate (σ₂/σ₁)² per iteration. The vector u is
// treated as a constant in the gradient (the usual choice); σ̂ = ‖A u‖ is differentiated
// through A.
//
// In graphs marked as training (GoMLX's Store.SetTraining) each step runs TrainIters iterations
// from the stored u and writes the result back (Behrmann et al.'s scheme). Other graphs are
// deterministic functions of the stored state:
//
//   - dense weights with at most 512 inputs ignore u: the Gram matrix AᵀA is raised to the power
//     p = 2^s by s squarings (s = 14, or ⌈log₂ EvalIters⌉), its largest column is the top vector
//     u (the power iteration of the best basis vector for p steps), and tr(G^p)^(1/2p) is used as
//     σ: an upper bound within a factor k^(1/2p) (1.0001 for 64 inputs), so the normalised
//     weight's spectral norm is guaranteed to be at most c, whatever its spectrum (a power
//     iteration underestimates σ when the top singular values are close, which spectral
//     normalisation itself tends to produce);
//   - other weights (convolutions) run EvalIters (default 32) iterations from the stored u.
//
// When a gradient is taken through a normalised weight in a graph not marked as training (the
// step of a trainer that does not mark its graph; flowkit/fit marks its step graphs),
// the vector reached is written back as well, so u keeps following the top singular vector.
// This matters: with a frozen u the optimizer can, and in practice does, turn the weight's top
// singular direction orthogonal to u, where a fixed number of iterations cannot find it, and the
// weight's norm escapes above c.
//
// The zero value means: Coeff 0.9, one iteration per training step (TrainIters), the defaults
// above in other graphs (EvalIters), rescale only weights with σ̂ > Coeff.
type SpectralNorm struct {
	// Coeff is the bound c on every weight's spectral norm, 0 < c < 1 (default 0.9).
	Coeff float64
	// TrainIters is the number of power iterations per step in graphs marked as training with
	// GoMLX's Store.SetTraining(g, true), from the stored u; the result is written back to u
	// (default 1).
	TrainIters int
	// EvalIters sets the power iterations in every other graph (see above; 0 for the defaults),
	// so repeated evaluations give identical weights.
	EvalIters int
	// Always rescales every weight to spectral norm Coeff (W·c/σ̂, Miyato et al.) instead of
	// only those above it (W / max(1, σ̂/c), Behrmann et al.'s choice, the default), which leaves
	// small weights free.
	Always bool
	// Off disables the normalisation: g is then not guaranteed to be a contraction. For
	// demonstrating what goes wrong (the fixed-point inverse diverges).
	Off bool
}

func (sn SpectralNorm) withDefaults() SpectralNorm {
	if sn.Coeff == 0 {
		sn.Coeff = 0.9
	}
	if sn.TrainIters == 0 {
		sn.TrainIters = 1
	}
	return sn
}

func (sn SpectralNorm) validate() {
	if !sn.Off && (sn.Coeff <= 0 || sn.Coeff >= 1 || math.IsNaN(sn.Coeff)) {
		panic(fmt.Errorf("residual.SpectralNorm: Coeff must be in (0, 1) for g to be a contraction, got %g", sn.Coeff))
	}
	if sn.TrainIters < 0 || sn.EvalIters < 0 {
		panic(fmt.Errorf("residual.SpectralNorm: negative iteration counts (TrainIters %d, EvalIters %d)", sn.TrainIters, sn.EvalIters))
	}
}

// String describes the setting, e.g. "SN(c=0.9)".
func (sn SpectralNorm) String() string {
	sn = sn.withDefaults()
	if sn.Off {
		return "SN(off)"
	}
	if sn.Always {
		return fmt.Sprintf("SN(c=%g,always)", sn.Coeff)
	}
	return fmt.Sprintf("SN(c=%g)", sn.Coeff)
}

// linearOp is a weight seen as a linear operator on "vectors" of shape uDims (with a leading
// axis of 1): A u and its adjoint Aᵀ v.
type linearOp interface {
	apply(w, u *Node) *Node
	adjoint(w, v *Node) *Node
	// gram returns AᵀA as a matrix acting on u's row (u·G = Aᵀ(A u)), or nil when forming it is
	// not worthwhile.
	gram(w *Node) *Node
}

// denseOp is x ↦ x·W for W [in, out]: u is [1, in], A u = u·W is [1, out].
type denseOp struct{}

func (denseOp) apply(w, u *Node) *Node   { return matMulT(u, w, false) }
func (denseOp) adjoint(w, v *Node) *Node { return matMulT(v, w, true) }
func (denseOp) gram(w *Node) *Node {
	if w.Shape().Dimensions[0] > 512 {
		return nil
	}
	return matMulT(w, w, true) // W Wᵀ [in, in]
}

// matMulT returns x·W (transposeW false) or x·Wᵀ for x [n, k] and W 2-D.
func matMulT(x, w *Node, transposeW bool) *Node {
	if transposeW {
		w = Transpose(w, 0, 1)
	}
	return Dot(x, w).Product()
}

// snCacheKey is the graph-param path under which a weight's normalised value is cached for the
// graph being built, so that every use of the weight in one graph (Forward and Inverse, or
// several calls) sees the same node and u is written back once.
func snCacheKey(s *model.Scope, name string) string {
	return "/residual_sn_cache|" + strings.ReplaceAll(s.Scope(), "/", "|") + "|" + name
}

// unitVectorInit fills a variable with a random unit vector (over all its entries).
func unitVectorInit(s *model.Scope) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		u := s.RandomNormal(g, shape)
		return Div(u, Sqrt(ReduceAllSum(Square(u))))
	}
}

func normalizeAll(u *Node) *Node {
	return Div(u, AddScalar(Sqrt(ReduceAllSum(Square(u))), 1e-30))
}

// normalize returns the spectrally normalised weight w (the node of the variable named wName
// under s), with the persistent vector "<wName>_sn_u" of shape uDims. op is the operator view of
// w.
func (sn SpectralNorm) normalize(s *model.Scope, wName string, w *Node, op linearOp, uDims []int) *Node {
	sn = sn.withDefaults()
	sn.validate()
	if sn.Off {
		return w
	}
	g := w.Graph()
	key := snCacheKey(s, wName)
	if cached, found := model.GetGraphParam(g, key); found {
		if n, ok := cached.(*Node); ok && n.Graph() == g {
			return n
		}
	}
	uVar := s.WithInitializer(unitVectorInit(s)).VariableWithShape(wName+"_sn_u", shapes.Make(w.DType(), uDims...))
	uVar.SetTrainable(false)
	if !slices.Equal(uVar.Shape().Dimensions, uDims) {
		panic(fmt.Errorf("residual: the power-iteration vector %s has shape %v, but this input needs %v "+
			"(a convolution's spectral norm depends on the image size: use one image size per model)",
			uVar.Path(), uVar.Shape().Dimensions, uDims))
	}
	training := s.IsTraining(g)
	wc := StopGradient(w)
	u := StopGradient(uVar.NodeValue(g))
	var upper *Node // a guaranteed upper bound on σ, when available
	if training {
		u = powerIterate(op, wc, u, sn.TrainIters)
	} else if gm := op.gram(wc); gm != nil {
		squarings := 14
		if sn.EvalIters > 0 {
			squarings = int(math.Ceil(math.Log2(float64(max(sn.EvalIters, 1)))))
		}
		u, upper = gramTopVector(gm, squarings)
	} else {
		iters := sn.EvalIters
		if iters == 0 {
			iters = 32
		}
		u = powerIterate(op, wc, u, iters)
	}
	u = StopGradient(u)
	au := op.apply(w, u)
	sigma := Sqrt(AddScalar(ReduceAllSum(Square(au)), 1e-30)) // σ̂ = ‖A u‖₂, differentiable in w
	if upper != nil {
		// The value of the upper bound, the gradient of ‖A u‖ (that of σ₁ when u is the top vector).
		sigma = Add(StopGradient(Max(upper, sigma)), Sub(sigma, StopGradient(sigma)))
	}
	c := Scalar(g, w.DType(), sn.Coeff)
	var factor *Node
	if sn.Always {
		factor = Div(c, sigma)
	} else {
		factor = Inverse(Max(OnesLike(sigma), Div(sigma, c)))
	}
	weff := Mul(w, factor)
	if training {
		uVar.SetNodeValue(u)
	} else {
		// A gradient through the weight means a training step (of a trainer that does not mark
		// its graph): store the vector reached then too, so it keeps following the top singular
		// vector. The hook runs only when the gradient graph is built; it changes no value.
		uNew := u
		weff = IdentityWithCustomGradient(weff, func(_, v *Node) *Node {
			uVar.SetNodeValue(uNew)
			return v
		})
	}
	model.SetGraphParam(g, key, weff)
	return weff
}

// powerIterate runs iters power iterations u ← Aᵀ(A u)/‖·‖ from u.
func powerIterate(op linearOp, w, u *Node, iters int) *Node {
	for i := 0; i < iters; i++ {
		v := normalizeAll(op.apply(w, u))
		u = normalizeAll(op.adjoint(w, v))
	}
	return u
}

// gramTopVector returns, for the Gram matrix G = AᵀA [k, k] of a weight, an estimate u of its top
// eigenvector and an upper bound on σ = √λ_max(G), from P = G^p, p = 2^squarings, computed by
// repeated squaring (normalised after each product, in float64):
//
//   - u is the largest column of P, normalised: every column is the power iteration of a basis
//     vector, and the largest one starts with a component of at least 1/√k along the top
//     eigenvector, so u does not depend on any stored vector (which an optimizer could learn to
//     make orthogonal to the top singular direction, hiding it from the estimate);
//   - since G is positive semi-definite, λ_max^p <= tr(G^p) <= k·λ_max^p, so tr(P)^(1/p) bounds
//     λ_max from above within the factor k^(1/p) (1.00025 for k = 64 and 14 squarings).
func gramTopVector(gm *Node, squarings int) (u, sigmaUpper *Node) {
	dt := gm.DType()
	gm = ConvertDType(gm, dtypes.Float64)
	g := gm.Graph()
	k := gm.Shape().Dimensions[0]
	m := MaxScalar(ReduceAllMax(Abs(gm)), 1e-300)
	logScale := Log(m) // log of the factor P is divided by: G^p = P·exp(logScale)
	gm = Div(gm, m)
	for i := 0; i < squarings; i++ {
		gm = Dot(gm, gm).Product()
		m = MaxScalar(ReduceAllMax(Abs(gm)), 1e-300)
		logScale = Add(MulScalar(logScale, 2), Log(m))
		gm = Div(gm, m)
	}
	p := math.Pow(2, float64(squarings))
	trace := ReduceAllSum(Mul(gm, eye(g, dtypes.Float64, k)))
	logLambda := DivScalar(Add(Log(trace), logScale), p)
	sigmaUpper = ConvertDType(Exp(MulScalar(logLambda, 0.5)), dt)
	j := ArgMax(ReduceSum(Square(gm), 0), 0, dtypes.Int32) // the largest column (P is symmetric)
	row := Dot(Reshape(OneHot(Reshape(j, 1), k, dtypes.Float64), 1, k), gm).Product()
	return ConvertDType(normalizeAll(row), dt), sigmaUpper
}

// RefreshSpectralNorms runs iters power iterations (e.g. 200) on every spectrally normalised
// weight in store and writes the vectors back, so the next evaluations start from (nearly) the
// top singular vectors. It returns the number of weights refreshed. Training keeps the vectors
// current by itself; this is for a model whose weights were changed by other means (loaded,
// edited), before evaluating convolutional branches, which start from the stored vectors.
func RefreshSpectralNorms(backend compute.Backend, store *model.Store, iters int) (int, error) {
	if iters <= 0 {
		return 0, fmt.Errorf("residual.RefreshSpectralNorms: iters must be positive, got %d", iters)
	}
	type pair struct{ u, w *model.Variable }
	var pairs []pair
	for v := range store.IterVariables() {
		name := v.Name()
		if !strings.HasSuffix(name, "_sn_u") {
			continue
		}
		scope := v.Scope()
		wv := store.GetVariable(model.JoinPath(scope, strings.TrimSuffix(name, "_sn_u")))
		if wv == nil {
			continue
		}
		pairs = append(pairs, pair{u: v, w: wv})
	}
	if len(pairs) == 0 {
		return 0, nil
	}
	exec, err := model.NewExec(backend, store, func(s *model.Scope, dummy *Node) *Node {
		for _, p := range pairs {
			w := StopGradient(p.w.NodeValue(dummy.Graph()))
			u := p.u.NodeValue(dummy.Graph())
			var op linearOp = denseOp{}
			if w.Rank() == 4 {
				op = convOp{}
			}
			for i := 0; i < iters; i++ {
				v := normalizeAll(op.apply(w, u))
				u = normalizeAll(op.adjoint(w, v))
			}
			p.u.SetNodeValue(u)
		}
		return dummy
	})
	if err != nil {
		return 0, err
	}
	if _, err := exec.Exec(float32(0)); err != nil {
		return 0, fmt.Errorf("residual.RefreshSpectralNorms: %w", err)
	}
	return len(pairs), nil
}
