package planar

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// SylvesterMatrices exposes a Sylvester layer's Q [D, M], R, R̃ [M, M] and b [M] to the tests.
func SylvesterMatrices(sf *Sylvester, s *model.Scope, x *Node) (Q, R, Rt, b *Node) {
	p := sf.params("test", s, x)
	return p.Q, p.R, p.Rt, p.b
}

// SolveTanhRoot exposes the safeguarded Newton solver to the tests.
func SolveTanhRoot(u, w, b, c *Node, iterations int) *Node {
	return solveTanhRoot(u, w, b, c, iterations)
}
