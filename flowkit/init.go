package flowkit

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// LastAxisInit returns a variable initializer that fills a variable of shape [..., P] with
// values (length P) repeated along the leading axes, e.g. a transformer's IdentityParams.
func LastAxisInit(values []float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		v := ExpandLeftToRank(ConvertDType(Const(g, values), shape.DType), shape.Rank())
		return BroadcastToDims(v, shape.Dimensions...)
	}
}

// MatMulLast multiplies the last axis of v [..., K] by the matrix m [K, M], giving [..., M].
// GoMLX's Dot takes matrices, so the leading axes are flattened and restored.
func MatMulLast(v, m *Node) *Node {
	dims := v.Shape().Dimensions
	k := dims[len(dims)-1]
	if v.Rank() == 2 {
		return MatMul2D(v, m)
	}
	out := MatMul2D(Reshape(v, -1, k), m)
	return Reshape(out, append(append([]int{}, dims[:len(dims)-1]...), m.Shape().Dimensions[1])...)
}

// NoisyInit wraps an initializer and adds N(0, std²) noise from the store's random generator,
// e.g. to start a bijector away from the identity in tests.
func NoisyInit(s *model.Scope, base model.VariableInitializer, std float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		return Add(base(g, shape), MulScalar(s.RandomNormal(g, shape), std))
	}
}
