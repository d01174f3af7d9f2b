package linear

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Dense is the plain linear flow of section 16.3.1 with a free matrix:
//
//	x = f(z) = Ω z + β,   log|det ∂f/∂z| = log|det Ω|
//
// It is the general case the structured parameterisations are measured against: the
// determinant and the inverse of a free D×D matrix cost O(D³). Here both come from an LU
// factorisation with partial pivoting computed inside the graph (LUFactor: D elimination steps
// of O(D²) each, differentiable), so:
//
//   - Forward costs O(D³) for the log-determinant plus O(D²) per example;
//   - Inverse costs O(D³) for the factorisation plus two triangular solves, O(D²) per example.
//
// The factorisation is redone on every call (the matrix is a variable). Nothing keeps Ω
// invertible during training: a step that makes Ω singular gives an infinite log-determinant,
// which is one reason to prefer LU. The input is [batch, D]; the variables are "matrix" Ω
// ([D, D], initialised at a random rotation or the identity) and "bias" β ([D]), unless Matrix
// fixes them.
type Dense struct {
	// Init chooses the initial Ω: InitRotation (default) or InitIdentity.
	Init Init
	// Seed varies the random initial rotation (combined with the scope path).
	Seed uint64
	// Matrix, when set, fixes Ω (rows of a D×D matrix) instead of learning it; Bias then fixes β
	// (nil: 0). A fixed Dense has no variables: it is the map x = Ωz + β of problems 16.5-16.6.
	Matrix [][]float64
	Bias   []float64
}

// NewDense returns a dense linear flow starting at a random rotation.
func NewDense() *Dense { return &Dense{} }

// NewFixedLinear returns the fixed linear flow x = A z + b (no variables): A is D×D and
// invertible, b has D entries or is nil (0). The matrix is checked when the flow is used.
func NewFixedLinear(a [][]float64, b []float64) *Dense {
	m := make([][]float64, len(a))
	for i, r := range a {
		m[i] = append([]float64(nil), r...)
	}
	return &Dense{Matrix: m, Bias: append([]float64(nil), b...)}
}

// Name implements flowkit.Named.
func (l *Dense) Name() string { return "Dense" }

func (l *Dense) params(s *model.Scope, x *Node) (w, bias *Node) {
	checkInput("linear.Dense", x, 2, "[batch, D]")
	if x.Rank() != 2 {
		panic(fmt.Errorf("linear.Dense: the input has shape %v, want [batch, D]", x.Shape().Dimensions))
	}
	d, g := lastDim(x), x.Graph()
	if l.Matrix != nil {
		return l.fixed(x)
	}
	wVar := variable("linear.Dense", s, "matrix", shapeOf(x.DType(), d, d), func(g *Graph, shape shapes.Shape) *Node {
		return valuesInit(initialMatrix(d, l.Init, seedFor(s, l.Seed)))(g, shape)
	})
	bVar := variable("linear.Dense", s, "bias", shapeOf(x.DType(), d), valuesInit(make([]float64, d)))
	return wVar.NodeValue(g), Reshape(bVar.NodeValue(g), 1, d)
}

// fixed returns the constant Ω and β of a fixed Dense.
func (l *Dense) fixed(x *Node) (w, bias *Node) {
	d := lastDim(x)
	flat := make([]float64, 0, d*d)
	if len(l.Matrix) != d {
		panic(fmt.Errorf("linear.Dense: the fixed matrix has %d rows, the input has D = %d features", len(l.Matrix), d))
	}
	for i, r := range l.Matrix {
		if len(r) != d {
			panic(fmt.Errorf("linear.Dense: row %d of the fixed matrix has %d entries, want D = %d", i, len(r), d))
		}
		flat = append(flat, r...)
	}
	b := l.Bias
	if len(b) == 0 {
		b = make([]float64, d)
	}
	if len(b) != d {
		panic(fmt.Errorf("linear.Dense: the fixed bias has %d entries, want D = %d", len(b), d))
	}
	g, dt := x.Graph(), x.DType()
	return constOf(g, dt, flat, d, d), constOf(g, dt, b, 1, d)
}

// Forward implements flowkit.Bijector: x = Ωz + β; the log-determinant needs an O(D³)
// factorisation.
func (l *Dense) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	w, bias := l.params(s, z)
	return Add(matMulRowsT(z, w), bias), perExample(LogAbsDet(w), z)
}

// Inverse implements flowkit.Bijector: z = Ω⁻¹(x - β) by an O(D³) LU factorisation and two
// triangular solves.
func (l *Dense) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	w, bias := l.params(s, x)
	f := LUFactor(w)
	return f.Solve(Sub(x, bias)), perExample(Neg(f.LogAbsDet()), x)
}

// initialMatrix returns the initial matrix of a learnable linear flow, row-major.
func initialMatrix(d int, init Init, seed uint64) []float64 {
	switch init {
	case InitIdentity:
		v := make([]float64, d*d)
		for i := range d {
			v[i*d+i] = 1
		}
		return v
	case InitRotation:
		return RandomRotation(d, seed).RawMatrix().Data
	}
	panic(fmt.Errorf("linear: unknown initialisation %v", init))
}

// Factors is an LU factorisation with partial pivoting, P A = L U, computed in the graph by
// LUFactor.
type Factors struct {
	// LU holds L's strictly lower part and U's upper part (diagonal included), [D, D].
	LU *Node
	// Perm holds the row permutation as float indices: row i of P A is row Perm_i of A.
	Perm *Node
}

// LUFactor factorises the square matrix a [D, D] with partial pivoting, P a = L U, by D
// unrolled steps of Gaussian elimination on graph ops: at step k the row with the largest
// |a_ik| (i ≥ k) is swapped into place (ArgMax and a rank-one update), then the rows below are
// eliminated (a rank-one update). Each step is O(D²), the whole O(D³), and every step is
// differentiable in a (the pivot choice is piecewise constant). It is the dense baseline of
// this package; the LU flow never needs it.
func LUFactor(a *Node) *Factors {
	if a.Rank() != 2 || a.Shape().Dimensions[0] != a.Shape().Dimensions[1] {
		panic(fmt.Errorf("linear.LUFactor: want a square [D, D] matrix, got shape %v", a.Shape().Dimensions))
	}
	d, g, dt := a.Shape().Dimensions[0], a.Graph(), a.DType()
	rowIdx := Iota(g, shapeOf(dtypes.Int32, d), 0)
	perm := Iota(g, shapeOf(dt, d), 0)
	for k := 0; k < d; k++ {
		ek := oneHotConst(g, dt, d, k, d) // [D]
		col := Reshape(Slice(a, AxisRange(), AxisRange(k, k+1)), d)
		if k < d-1 {
			// Pivot: the largest |a_ik| among the rows i ≥ k.
			cand := Where(GreaterOrEqual(rowIdx, Scalar(g, dtypes.Int32, k)), Abs(StopGradient(col)), Scalar(g, dt, -1))
			ep := OneHot(ArgMax(cand, 0), d, dt) // [D]
			swap := Sub(ek, ep)                  // rows k and p trade places: a += (e_k - e_p)(a_p - a_k)ᵀ
			rowP := Dot(Reshape(ep, 1, d), a).Product()
			rowK := Slice(a, AxisRange(k, k+1), AxisRange())
			a = Add(a, Mul(Reshape(swap, d, 1), Sub(rowP, rowK)))
			perm = Add(perm, Mul(swap, ReduceAllSum(Mul(Sub(ep, ek), perm))))
			col = Reshape(Slice(a, AxisRange(), AxisRange(k, k+1)), d)
		}
		if k == d-1 {
			break
		}
		// Eliminate below the pivot, a_ij -= l_i a_kj for j > k, and store the multipliers
		// l_i = a_ik / a_kk in column k (columns j < k hold earlier multipliers: untouched).
		rowK := Slice(a, AxisRange(k, k+1), AxisRange(k, d)) // [1, D-k]
		pivot := Reshape(Slice(rowK, AxisRange(), AxisRange(0, 1)))
		below := Where(GreaterThan(rowIdx, Scalar(g, dtypes.Int32, k)), Div(col, pivot), ZerosLike(col))
		update := Sub(rowK, oneHotConst(g, dt, d-k, 0, 1, d-k)) // a_kj for j > k, and 1 at j = k
		if k > 0 {
			update = Concatenate([]*Node{Zeros(g, shapeOf(dt, 1, k)), update}, 1)
		}
		a = Sub(a, Mul(Reshape(below, d, 1), update))
	}
	return &Factors{LU: a, Perm: perm}
}

// LogAbsDet returns log|det A| = Σ log|U_ii| (a scalar).
func (f *Factors) LogAbsDet() *Node {
	d := f.LU.Shape().Dimensions[0]
	diag := ReduceSum(Mul(f.LU, identityConst(f.LU.Graph(), f.LU.DType(), d)), 1)
	return ReduceAllSum(Log(Abs(diag)))
}

// Solve returns the rows of A⁻¹ b_r for every row of b [n, D]: z = U⁻¹ L⁻¹ P b, by the
// permutation and two triangular solves, O(n·D²).
func (f *Factors) Solve(b *Node) *Node {
	d := f.LU.Shape().Dimensions[0]
	g, dt := f.LU.Graph(), f.LU.DType()
	P := OneHot(ConvertDType(f.Perm, dtypes.Int32), d, dt) // P[i, perm_i] = 1
	y := matMulRowsT(b, P)                                 // P b
	y = UnitLowerSolve(Mul(f.LU, strictlyLowerMask(g, dt, d)), y)
	eye := identityConst(g, dt, d)
	diag := ReduceSum(Mul(f.LU, eye), 1)
	return UpperSolve(Mul(f.LU, strictlyUpperMask(g, dt, d)), diag, y)
}

// LogAbsDet returns log|det a| of a square matrix a [D, D] by LUFactor: O(D³).
func LogAbsDet(a *Node) *Node { return LUFactor(a).LogAbsDet() }

// Solve returns the rows of a⁻¹ b_r for every row of b [n, D] by LUFactor and two triangular
// solves: O(D³ + n·D²). Like any solve without a condition estimate it returns Inf or NaN for a
// singular a.
func Solve(a, b *Node) *Node { return LUFactor(a).Solve(b) }

var _ flowkit.Bijector = (*Dense)(nil)
