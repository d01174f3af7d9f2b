package planar

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Planar is the planar flow of Rezende & Mohamed (2015), acting on the flattened event z ∈ R^D:
//
//	x = z + û·tanh(wᵀz + b),   log|det ∂x/∂z| = log(1 + (1 - tanh²(wᵀz + b))·wᵀû)
//
// It contracts or expands the distribution along the direction w around the hyperplane
// wᵀz + b = 0. Invertibility needs wᵀû > -1; it is enforced by the parameterization
//
//	û = u + (m(wᵀu) - wᵀu)·w/‖w‖²,   m(a) = -1 + softplus(a),
//
// which gives wᵀû = m(wᵀu) > -1 (when w = 0 the map is the translation z + u·tanh(b)).
// Variables: "w" and "u" of shape [D] (random normal with standard deviation 1/√D, so the flow
// does not start as the identity: planar flows cannot represent it exactly) and the scalar "b" (0).
//
// Forward (generative) is closed form and cheap: O(D) per example. Inverse (normalizing) has no
// closed form: with α = wᵀz, the equation wᵀx = α + wᵀû·tanh(α + b) is monotone in α and is
// solved by safeguarded Newton (bisection fallback, bracket [wᵀx - |wᵀû|, wᵀx + |wᵀû|] from
// |tanh| ≤ 1) for Iterations steps unrolled in the graph; then z = x - û·tanh(α + b). The
// solution is exact to the dtype's rounding (see DefaultIterations); gradients through Inverse
// are implicit-function gradients, not gradients through the iterations.
type Planar struct {
	// Iterations of the numerical inverse (0: DefaultIterations).
	Iterations int
}

// New returns a planar flow layer.
func New() *Planar { return &Planar{} }

// Name implements flowkit.Named.
func (p *Planar) Name() string { return "Planar" }

// flatten returns x as [batch, D] and a function restoring x's shape.
func flatten(who string, x *Node) (*Node, func(*Node) *Node) {
	if x.Rank() < 2 {
		panic(fmt.Errorf("%s: input must be [batch, event...], got shape %s", who, x.Shape()))
	}
	if !x.DType().IsFloat() {
		panic(fmt.Errorf("%s: input must be float32 or float64, got %s", who, x.DType()))
	}
	if x.Rank() == 2 {
		return x, func(y *Node) *Node { return y }
	}
	dims := x.Shape().Dimensions
	return Reshape(x, dims[0], -1), func(y *Node) *Node { return Reshape(y, dims...) }
}

// params returns w [1, D], û [1, D], wᵀû [] and b [].
func (p *Planar) params(s *model.Scope, x *Node) (w, uHat, wu, b *Node) {
	g, dt, D := x.Graph(), x.DType(), x.Shape().Dimensions[1]
	std := 1 / math.Sqrt(float64(D))
	rs := s.WithInitializer(initializer.RandomNormalFn(s, std))
	w = rs.VariableWithShape("w", shapes.Make(dt, D)).NodeValue(g)
	u := rs.VariableWithShape("u", shapes.Make(dt, D)).NodeValue(g)
	b = s.WithInitializer(initializer.Zero).VariableWithShape("b", shapes.Make(dt)).NodeValue(g)
	wTu := ReduceAllSum(Mul(w, u))
	ww := ReduceAllSum(Square(w))
	zero := IsZero(ww)
	safeWW := Where(zero, OnesLike(ww), ww)
	m := AddScalar(Softplus(wTu), -1)
	coef := Where(zero, ZerosLike(ww), Div(Sub(m, wTu), safeWW))
	uHat = Add(u, Mul(coef, w))
	// wᵀû = wᵀu + (m - wᵀu)·‖w‖²/‖w‖²: exactly m when w ≠ 0, 0 when w = 0.
	wu = Add(wTu, Mul(coef, ww))
	return InsertAxes(w, 0), InsertAxes(uHat, 0), wu, b
}

// Forward implements flowkit.Bijector (generative, closed form).
func (p *Planar) Forward(s *model.Scope, z, _ *Node) (*Node, *Node) {
	zf, restore := flatten("planar.Planar.Forward", z)
	w, uHat, wu, b := p.params(s, zf)
	t := Tanh(Add(ReduceSum(Mul(zf, w), 1), b)) // [batch]
	x := Add(zf, Mul(InsertAxes(t, 1), uHat))
	ld := Log1p(Mul(OneMinus(Square(t)), wu))
	return restore(x), ld
}

// Inverse implements flowkit.Bijector (normalizing, numerical root finding along w).
func (p *Planar) Inverse(s *model.Scope, x, _ *Node) (*Node, *Node) {
	xf, restore := flatten("planar.Planar.Inverse", x)
	w, uHat, wu, b := p.params(s, xf)
	batch := xf.Shape().Dimensions[0]
	c := ReduceSum(Mul(xf, w), 1)
	bc := func(v *Node) *Node { return BroadcastToDims(v, batch) }
	alpha := solveTanhRoot(bc(wu), OnesLike(c), bc(b), c, p.Iterations)
	t := Tanh(Add(alpha, b))
	z := Sub(xf, Mul(InsertAxes(t, 1), uHat))
	ld := Neg(Log1p(Mul(OneMinus(Square(t)), wu)))
	return restore(z), ld
}
