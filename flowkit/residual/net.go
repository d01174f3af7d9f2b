package residual

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Net is the residual branch g of an iResNet block: a network with Lip(g) < 1 whose Jacobian
// can be applied without autodiff (forward- and reverse-mode products written out), so the
// log-determinant estimators and the fixed-point inverse's gradient need only first-order
// gradients.
type Net interface {
	// Build creates (or reuses) g's variables under s for inputs shaped like x, applies the
	// spectral normalisation, and returns g with its parameters fixed. The returned Residual
	// reads no variables, so it can be evaluated inside loops (GoMLX While closures).
	// cond is the conditioning input [batch, C] or nil.
	Build(s *model.Scope, x, cond *Node) Residual
	// String describes the network.
	String() string
}

// Residual is g with its parameters fixed, for one graph.
type Residual interface {
	// Apply returns g(x) alone, for x [batch, event...].
	Apply(x *Node) *Node
	// Linearize evaluates g at x [batch, event...] and returns g(x) with its Jacobian there.
	Linearize(x *Node) Linearization
	// Weights returns the normalised weights, in the order of the layers, with their names.
	Weights() []NamedNode
}

// NamedNode is a graph node with a name (a weight and the scope it lives in).
type NamedNode struct {
	Name string
	Node *Node
}

// Linearization is g evaluated at a point x, with products by its Jacobian J = ∂g/∂x there.
// Tangents and cotangents carry an extra axis P after the batch: [batch, P, event...], so P
// probe vectors (or the D columns of the identity) go through in one pass.
type Linearization interface {
	// Input is x.
	Input() *Node
	// Value is g(x), shaped like x.
	Value() *Node
	// JVP returns J t for t [batch, P, event...] (forward mode, differentiable in x and the
	// weights with ordinary first-order gradients).
	JVP(t *Node) *Node
	// VJP returns Jᵀ v for v [batch, P, event...] (reverse mode).
	VJP(v *Node) *Node
}

// lowRanker is implemented by linearizations whose Jacobian factorises as J = A B with
// A [D, k], B [k, D] per example: LowRankCore returns B A, [batch, k, k], so that
// det(I_D + J) = det(I_k + B A) (the matrix determinant lemma).
type lowRanker interface {
	LowRankCore() (*Node, error)
}

// eventSize is the product of x's dimensions after the batch axis.
func eventSize(x *Node) int {
	n := 1
	for _, d := range x.Shape().Dimensions[1:] {
		n *= d
	}
	return n
}

// withProbeAxis returns x [batch, event...] as [batch, 1, event...].
func withProbeAxis(x *Node) *Node { return InsertAxes(x, 1) }

// dropProbeAxis returns x [batch, 1, event...] as [batch, event...].
func dropProbeAxis(x *Node) *Node {
	dims := x.Shape().Dimensions
	return Reshape(x, append([]int{dims[0]}, dims[2:]...)...)
}

// sumEventKeepProbes sums v [batch, P, event...] over the event axes, giving [batch, P].
func sumEventKeepProbes(v *Node) *Node {
	if v.Rank() == 2 {
		return v
	}
	axes := make([]int, v.Rank()-2)
	for i := range axes {
		axes[i] = i + 2
	}
	return ReduceSum(v, axes...)
}

// perExampleNorm returns ‖v_n‖₂ over the event axes of v [batch, event...], giving [batch].
func perExampleNorm(v *Node) *Node {
	if v.Rank() == 1 {
		return Abs(v)
	}
	axes := make([]int, v.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return Sqrt(ReduceSum(Square(v), axes...))
}
