package linear

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// luParams is the LU parameterisation Ω = P L (U + D) of eq. 16.9 shared by LU and Conv1x1,
// its variables created for one graph:
//
//	perm       fixed permutation P as indices, (P y)_i = y_{perm_i}  (non-trainable, int32)
//	lower      L = I + strictly-lower part of "lower"                 (trainable)
//	upper      U = strictly-upper part of "upper"                     (trainable)
//	log_scale  s̃, the diagonal's magnitude s = exp(s̃) or softplus(s̃) (trainable)
//	sign       the diagonal's fixed sign, ±1                           (non-trainable)
//
// so D = diag(sign·s) and log|det Ω| = Σ log s_i.
type luParams struct {
	d                     int
	perm                  *Node // [d] int32
	strictL, strictU      *Node // [d, d], masked
	sign, scale, logScale *Node // [d]
	diag                  *Node // sign·scale, [d]
	permMatrix            *Node // P as a 0/1 matrix [d, d], built on demand
	dtype                 dtypes.DType
	graph                 *Graph
}

// newLUParams creates or fetches the variables of an LU parameterisation of size d in scope s.
// The initial values come from newHostLU (a random rotation or the identity), computed only when
// a variable is new.
func newLUParams(who string, s *model.Scope, g *Graph, dt dtypes.DType, d int, init Init, magnitude Magnitude, seed uint64) *luParams {
	var host *hostLUFactors
	lazy := func() *hostLUFactors { // the host factorisation, computed only for new variables
		if host == nil {
			host = newHostLU(d, init, seedFor(s, seed))
		}
		return host
	}
	lazyInit := func(pick func(h *hostLUFactors) []float64) model.VariableInitializer {
		return func(g *Graph, shape shapes.Shape) *Node { return valuesInit(pick(lazy()))(g, shape) }
	}
	p := &luParams{d: d, dtype: dt, graph: g}
	permVar := variable(who, s, "perm", shapeOf(dtypes.Int32, d), lazyInit(func(h *hostLUFactors) []float64 { return h.perm })).SetTrainable(false)
	signVar := variable(who, s, "sign", shapeOf(dt, d), lazyInit(func(h *hostLUFactors) []float64 { return h.sign })).SetTrainable(false)
	lowerVar := variable(who, s, "lower", shapeOf(dt, d, d), lazyInit(func(h *hostLUFactors) []float64 { return h.lower }))
	upperVar := variable(who, s, "upper", shapeOf(dt, d, d), lazyInit(func(h *hostLUFactors) []float64 { return h.upper }))
	sVar := variable(who, s, "log_scale", shapeOf(dt, d), lazyInit(func(h *hostLUFactors) []float64 {
		raw := make([]float64, d)
		for i, v := range h.scale {
			raw[i] = magnitude.raw(v)
		}
		return raw
	}))
	p.perm = permVar.NodeValue(g)
	p.sign = signVar.NodeValue(g)
	p.strictL = Mul(lowerVar.NodeValue(g), strictlyLowerMask(g, dt, d))
	p.strictU = Mul(upperVar.NodeValue(g), strictlyUpperMask(g, dt, d))
	p.scale, p.logScale = magnitude.positive(sVar.NodeValue(g))
	p.diag = Mul(p.sign, p.scale)
	return p
}

// logDet is log|det Ω| = Σ log s_i, a scalar: O(D).
func (p *luParams) logDet() *Node { return ReduceAllSum(p.logScale) }

// permMat returns P as a 0/1 matrix, P[i, perm_i] = 1.
func (p *luParams) permMat() *Node {
	if p.permMatrix == nil {
		p.permMatrix = OneHot(p.perm, p.d, p.dtype)
	}
	return p.permMatrix
}

// apply returns the rows of Ω z for rows z [n, D], never forming Ω: (U + D) z and L, each
// O(n·D²), then P, O(n·D).
func (p *luParams) apply(rows *Node) *Node {
	ud := Add(p.strictU, diagMatrix(p.diag))
	y := matMulRowsT(rows, ud)
	y = Add(y, matMulRowsT(y, p.strictL)) // (I + strictL) y
	return p.permute(y)
}

// solve returns the rows of Ω⁻¹ x for rows x [n, D]: z = (U + D)⁻¹ L⁻¹ Pᵀ x by a permutation
// (O(n·D)) and two triangular solves, O(n·D²).
func (p *luParams) solve(rows *Node) *Node {
	y := p.permuteT(rows)
	y = UnitLowerSolve(p.strictL, y)
	return UpperSolve(p.strictU, p.diag, y)
}

// permute returns the rows of P y: out[:, i] = y[:, perm_i], a gather of the features.
func (p *luParams) permute(rows *Node) *Node {
	g := Gather(Transpose(rows, 0, 1), Reshape(p.perm, p.d, 1)) // [D, n]
	return Transpose(g, 0, 1)
}

// permuteT returns the rows of Pᵀ x: out[:, perm_i] = x[:, i], a scatter of the features.
func (p *luParams) permuteT(rows *Node) *Node {
	n := rows.Shape().Dimensions[0]
	sc := Scatter(Reshape(p.perm, p.d, 1), Transpose(rows, 0, 1), shapeOf(rows.DType(), p.d, n), false, true)
	return Transpose(sc, 0, 1)
}

// matrix returns Ω = P L (U + D) as a dense [D, D] matrix: O(D³), used by Conv1x1 once per
// graph.
func (p *luParams) matrix() *Node {
	g := p.graph
	L := Add(p.strictL, identityConst(g, p.dtype, p.d))
	ud := Add(p.strictU, diagMatrix(p.diag))
	return Dot(p.permMat(), Dot(L, ud).Product()).Product()
}

// inverseTransposed returns Ω⁻ᵀ as a dense [D, D] matrix: the triangular solves applied to the
// D rows of the identity give the rows (Ω⁻¹ e_i)ᵀ, i.e. the columns of Ω⁻¹. O(D³), used by
// Conv1x1 once per graph: every pixel's rows then multiply by it, x · Ω⁻ᵀ = (Ω⁻¹ x)ᵀ.
func (p *luParams) inverseTransposed() *Node {
	return p.solve(identityConst(p.graph, p.dtype, p.d))
}

// diagMatrix returns diag(v) for v [D].
func diagMatrix(v *Node) *Node {
	d := v.Shape().Dimensions[0]
	return Mul(identityConst(v.Graph(), v.DType(), d), Reshape(v, 1, d))
}

// hostLUFactors holds the initial values of an LU parameterisation, computed on the host in
// float64: Ω₀ = P L (U + diag(sign·scale)).
type hostLUFactors struct {
	perm, sign, scale []float64 // [d]
	lower, upper      []float64 // [d·d] row-major; unit diagonal of L and zero diagonal of U not stored
}

// newHostLU factors the initial matrix: a random rotation (the Q of the QR decomposition of a
// Gaussian matrix, with the signs fixed so it is Haar-distributed), LU-decomposed with partial
// pivoting by gonum, or the identity.
func newHostLU(d int, init Init, seed uint64) *hostLUFactors {
	h := &hostLUFactors{perm: make([]float64, d), sign: make([]float64, d), scale: make([]float64, d),
		lower: make([]float64, d*d), upper: make([]float64, d*d)}
	if init == InitIdentity {
		for i := range d {
			h.perm[i], h.sign[i], h.scale[i] = float64(i), 1, 1
		}
		return h
	}
	if init != InitRotation {
		panic(fmt.Errorf("linear: unknown initialisation %v", init))
	}
	q := RandomRotation(d, seed)
	var lu mat.LU
	lu.Factorize(q)
	var L, U mat.TriDense
	lu.LTo(&L)
	lu.UTo(&U)
	for i, p := range lu.RowPivots(nil) { // Q = P L U with P[i, piv_i] = 1
		h.perm[i] = float64(p)
	}
	for i := range d {
		for j := range d {
			switch {
			case j < i:
				h.lower[i*d+j] = L.At(i, j)
			case j > i:
				h.upper[i*d+j] = U.At(i, j)
			default:
				u := U.At(i, i)
				h.sign[i] = 1
				if u < 0 {
					h.sign[i] = -1
				}
				h.scale[i] = math.Abs(u)
			}
		}
	}
	return h
}

// RandomRotation returns a random d×d orthogonal matrix, Haar-distributed: the Q factor of the
// QR decomposition of a matrix of standard normals, with Q's columns multiplied by the signs of
// R's diagonal (Mezzadri 2007). It is deterministic in seed.
func RandomRotation(d int, seed uint64) *mat.Dense {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	a := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			a.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	for j := range d {
		if rr.At(j, j) < 0 {
			for i := range d {
				q.Set(i, j, -q.At(i, j))
			}
		}
	}
	return &q
}
