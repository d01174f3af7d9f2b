package planar

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Sylvester is the orthogonal Sylvester flow of van den Berg et al. (2018), Householder variant,
// acting on the flattened event z ∈ R^D:
//
//	x = z + Q R tanh(R̃ Qᵀ z + b)
//
// with Q (D×M, orthonormal columns) the first M columns of a product of Reflections Householder
// reflections H_l = I - 2 v_l v_lᵀ/‖v_l‖², and R, R̃ upper-triangular M×M. By the matrix
// determinant lemma, det(I_D + Q R diag(h') R̃ Qᵀ) = det(I_M + diag(h') R̃ R) (since QᵀQ = I_M),
// and diag(h') R̃ R is upper triangular, so
//
//	log|det ∂x/∂z| = Σ_m log(1 + tanh'(a_m)·R̃_mm·R_mm),   a = R̃ Qᵀ z + b,
//
// in O(M) once a is known (LogDetLowRank is the general O(k³) path; the tests check both against
// the dense determinant). Invertibility: diag(R) = tanh(ρ), diag(R̃) = tanh(ρ̃) keep
// R_mm R̃_mm > -1, so every factor is positive.
//
// Variables: "householder" [Reflections, D] (standard normal), "r" and "r_tilde" [M, M]
// (normal with standard deviation 1/√M; only the upper triangle is used, the diagonal through
// tanh) and "b" [M] (0).
//
// Forward (generative) is closed form: O(D·M) per example. Inverse (normalizing) is numerical
// but exact to the dtype's rounding: the component of x orthogonal to Q's columns equals z's;
// in the M coordinates y = Qᵀx the equation y = v + R tanh(R̃ v + b) is upper triangular, so v
// is found by back-substitution, v_M first, each v_m from a monotone one-dimensional equation
// v_m + R_mm tanh(R̃_mm v_m + c_m) = y_m - Σ_{j>m} R_mj h_j solved by safeguarded Newton
// (Iterations steps; see DefaultIterations); then z = x - Q R tanh(R̃ v + b). The inverse graph
// holds M·Iterations Newton steps: fine for small M, but prefer Sylvester flows on the
// generative path (reverse KL, section 16.5.3), where no inverse is needed.
type Sylvester struct {
	// M is the number of orthonormal columns of Q, 1 ≤ M ≤ D (0: M = D).
	M int
	// Reflections is the number of Householder reflections making Q (0: D).
	Reflections int
	// Iterations of each one-dimensional solve in Inverse (0: DefaultIterations).
	Iterations int
}

// NewSylvester returns an orthogonal Sylvester flow with m columns (0 for m = D).
func NewSylvester(m int) *Sylvester { return &Sylvester{M: m} }

// Name implements flowkit.Named.
func (sf *Sylvester) Name() string {
	if sf.M == 0 {
		return "Sylvester"
	}
	return fmt.Sprintf("Sylvester(M=%d)", sf.M)
}

func (sf *Sylvester) sizes(who string, D int) (M, L int) {
	M, L = sf.M, sf.Reflections
	if M == 0 {
		M = D
	}
	if L == 0 {
		L = D
	}
	if M < 1 || M > D {
		panic(fmt.Errorf("%s: M = %d columns, want 1 ≤ M ≤ D = %d", who, M, D))
	}
	if L < 1 {
		panic(fmt.Errorf("%s: Reflections = %d, want at least 1", who, L))
	}
	return M, L
}

// sylvesterParams holds the matrices of one Sylvester layer.
type sylvesterParams struct {
	Q, R, Rt   *Node // [D, M], [M, M], [M, M]
	dR, dRt, b *Node // diagonals of R and R̃, and b: [M]
}

func (sf *Sylvester) params(who string, s *model.Scope, x *Node) sylvesterParams {
	g, dt, D := x.Graph(), x.DType(), x.Shape().Dimensions[1]
	M, L := sf.sizes(who, D)
	hh := s.WithInitializer(initializer.RandomNormalFn(s, 1)).
		VariableWithShape("householder", shapes.Make(dt, L, D)).NodeValue(g)
	rs := s.WithInitializer(initializer.RandomNormalFn(s, 1/math.Sqrt(float64(M))))
	rRaw := rs.VariableWithShape("r", shapes.Make(dt, M, M)).NodeValue(g)
	rtRaw := rs.VariableWithShape("r_tilde", shapes.Make(dt, M, M)).NodeValue(g)
	b := s.WithInitializer(initializer.Zero).VariableWithShape("b", shapes.Make(dt, M)).NodeValue(g)

	// Q = H_1 H_2 ... H_L E, E = the first M columns of I_D.
	Q := eye(g, dt, D, M)
	for l := L - 1; l >= 0; l-- {
		v := Slice(hh, AxisElem(l)) // [1, D]
		vv := ReduceAllSum(Square(v))
		vv = Where(IsZero(vv), OnesLike(vv), vv)
		vQ := Dot(v, Q).Product() // [1, M]
		Q = Sub(Q, Mul(MulScalar(Transpose(v, 0, 1), 2), Div(vQ, vv)))
	}
	I := eye(g, dt, M, M)
	tri := func(raw *Node) (*Node, *Node) {
		d := Tanh(ReduceSum(Mul(raw, I), 1))
		return Add(TakeUpperTriangular(raw, 1), Mul(I, InsertAxes(d, 0))), d
	}
	p := sylvesterParams{Q: Q, b: b}
	p.R, p.dR = tri(rRaw)
	p.Rt, p.dRt = tri(rtRaw)
	return p
}

// logDet returns Σ_m log(1 + (1 - h_m²) R_mm R̃_mm) for h = tanh(a) [batch, M].
func (p sylvesterParams) logDet(h *Node) *Node {
	return ReduceSum(Log1p(Mul(OneMinus(Square(h)), InsertAxes(Mul(p.dR, p.dRt), 0))), 1)
}

// residual returns Q R h for h [batch, M], as rows [batch, D].
func (p sylvesterParams) residual(h *Node) *Node {
	return Dot(Dot(h, Transpose(p.R, 0, 1)).Product(), Transpose(p.Q, 0, 1)).Product()
}

// Forward implements flowkit.Bijector (generative, closed form).
func (sf *Sylvester) Forward(s *model.Scope, z, _ *Node) (*Node, *Node) {
	const who = "planar.Sylvester.Forward"
	zf, restore := flatten(who, z)
	p := sf.params(who, s, zf)
	qz := Dot(zf, p.Q).Product()                                                 // Qᵀz, [batch, M]
	h := Tanh(Add(Dot(qz, Transpose(p.Rt, 0, 1)).Product(), InsertAxes(p.b, 0))) // tanh(R̃ Qᵀz + b)
	return restore(Add(zf, p.residual(h))), p.logDet(h)
}

// Inverse implements flowkit.Bijector (normalizing, back-substitution of M monotone 1D solves).
func (sf *Sylvester) Inverse(s *model.Scope, x, _ *Node) (*Node, *Node) {
	const who = "planar.Sylvester.Inverse"
	xf, restore := flatten(who, x)
	p := sf.params(who, s, xf)
	g, dt := xf.Graph(), xf.DType()
	M := p.R.Shape().Dimensions[0]
	batch := xf.Shape().Dimensions[0]
	y := Dot(xf, p.Q).Product() // Qᵀx, [batch, M]
	V := Zeros(g, shapes.Make(dt, batch, M))
	H := Zeros(g, shapes.Make(dt, batch, M))
	bc := func(v *Node) *Node { return BroadcastToDims(v, batch) }
	pick := func(v *Node, m int) *Node { return Reshape(Slice(v, AxisElem(m)), 1, -1) }
	col := func(v *Node, m int) *Node { return Reshape(Slice(v, AxisRange(), AxisElem(m)), batch) }
	for m := M - 1; m >= 0; m-- {
		oh := OneHot(Const(g, []int32{int32(m)}), M, dt) // [1, M]
		c := Add(ReduceSum(Mul(V, pick(p.Rt, m)), 1), bc(Reshape(Slice(p.b, AxisElem(m)))))
		rhs := Sub(col(y, m), ReduceSum(Mul(H, pick(p.R, m)), 1))
		rmm := bc(Reshape(Slice(p.dR, AxisElem(m))))
		rtmm := bc(Reshape(Slice(p.dRt, AxisElem(m))))
		vm := solveTanhRoot(rmm, rtmm, c, rhs, sf.Iterations)
		hm := Tanh(Add(Mul(rtmm, vm), c))
		V = Add(V, Mul(InsertAxes(vm, 1), oh))
		H = Add(H, Mul(InsertAxes(hm, 1), oh))
	}
	return restore(Sub(xf, p.residual(H))), Neg(p.logDet(H))
}
