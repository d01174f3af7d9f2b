package planar

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Radial is the radial flow of Rezende & Mohamed (2015), acting on the flattened event z ∈ R^D:
//
//	x = z + β·h(α, r)·(z - z₀),   r = ‖z - z₀‖,   h = 1/(α + r),
//	log|det ∂x/∂z| = (D-1)·log(1 + β h) + log(1 + β h + β h' r) = (D-1)·log(1 + β h) + log(1 + β α h²)
//
// It contracts (β < 0) or expands (β > 0) the distribution around the point z₀. Invertibility
// needs β ≥ -α; the parameterization α = softplus(α̃), β = -α + softplus(β̃) enforces β > -α.
// Variables: "z0" [D] (standard normal), the scalars "alpha" and "beta" (α̃ = β̃ = 0, so β = 0:
// the flow starts as the identity).
//
// Both directions are closed form and cost O(D) per example. Forward is the formula above.
// Inverse: x - z₀ = (1 + β h(r))(z - z₀), so R = ‖x - z₀‖ = r + β r/(α + r), i.e. r solves the
// quadratic r² + (α + β - R) r - α R = 0 whose roots have product -αR ≤ 0; its non-negative
// root is taken in the cancellation-free form, then z = z₀ + (x - z₀)(α + r)/(α + r + β).
type Radial struct{}

// NewRadial returns a radial flow layer.
func NewRadial() *Radial { return &Radial{} }

// Name implements flowkit.Named.
func (Radial) Name() string { return "Radial" }

// params returns z0 [1, D], α [] and β [].
func (Radial) params(s *model.Scope, x *Node) (z0, alpha, beta *Node) {
	g, dt, D := x.Graph(), x.DType(), x.Shape().Dimensions[1]
	z0 = s.WithInitializer(initializer.RandomNormalFn(s, 1)).VariableWithShape("z0", shapes.Make(dt, D)).NodeValue(g)
	zs := s.WithInitializer(initializer.Zero)
	alpha = Softplus(zs.VariableWithShape("alpha", shapes.Make(dt)).NodeValue(g))
	beta = Sub(Softplus(zs.VariableWithShape("beta", shapes.Make(dt)).NodeValue(g)), alpha)
	return InsertAxes(z0, 0), alpha, beta
}

// safeNorm returns the Euclidean norm of the rows of d [batch, D], with a zero (not NaN)
// gradient at d = 0.
func safeNorm(d *Node) *Node {
	sq := ReduceSum(Square(d), 1)
	pos := GreaterThan(sq, ZerosLike(sq))
	return Where(pos, Sqrt(Where(pos, sq, OnesLike(sq))), ZerosLike(sq))
}

// logDet returns (D-1)·log(1 + β h) + log(1 + β α h²) with h = 1/(α + r).
func (Radial) logDet(r, alpha, beta *Node, D int) *Node {
	h := Reciprocal(Add(r, alpha))
	bh := Mul(beta, h)
	return Add(MulScalar(Log1p(bh), float64(D-1)), Log1p(Mul(Mul(bh, alpha), h)))
}

// Forward implements flowkit.Bijector (generative, closed form).
func (rf Radial) Forward(s *model.Scope, z, _ *Node) (*Node, *Node) {
	zf, restore := flatten("planar.Radial.Forward", z)
	z0, alpha, beta := rf.params(s, zf)
	d := Sub(zf, z0)
	r := safeNorm(d)
	scale := Div(beta, Add(alpha, r)) // β h
	x := Add(zf, Mul(InsertAxes(scale, 1), d))
	return restore(x), rf.logDet(r, alpha, beta, zf.Shape().Dimensions[1])
}

// Inverse implements flowkit.Bijector (normalizing, closed form through the quadratic in r).
func (rf Radial) Inverse(s *model.Scope, x, _ *Node) (*Node, *Node) {
	xf, restore := flatten("planar.Radial.Inverse", x)
	z0, alpha, beta := rf.params(s, xf)
	y := Sub(xf, z0)
	R := safeNorm(y)
	B := Sub(Add(alpha, beta), R) // α + β - R, [batch]
	disc := Sqrt(Add(Square(B), MulScalar(Mul(alpha, R), 4)))
	pos := GreaterThan(B, ZerosLike(B))
	// B > 0: r = 2αR/(B + √·) (no cancellation); B ≤ 0: r = (√· - B)/2.
	den := Where(pos, Add(B, disc), OnesLike(B))
	r := Where(pos, Div(MulScalar(Mul(alpha, R), 2), den), MulScalar(Sub(disc, B), 0.5))
	ar := Add(alpha, r)
	z := Add(z0, Mul(y, InsertAxes(Div(ar, Add(ar, beta)), 1)))
	return restore(z), Neg(rf.logDet(r, alpha, beta, xf.Shape().Dimensions[1]))
}
