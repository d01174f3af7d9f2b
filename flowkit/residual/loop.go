package residual

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// whileTokenKey is the graph parameter holding the pass-through token of the last loop built.
const whileTokenKey = "/residual_while_token"

// whileLoop runs body on the loop state while cond holds, as a GoMLX While. cond and body see
// the state as closure parameters and may capture nodes of the enclosing function (but must not
// read variables, nor create cached scalars: see lit).
//
// Every loop built by this package in one graph is chained after the previous one through a
// pass-through token in its state, so at most one of them runs at a time. The pure-Go
// backend's parallel executor runs a While's body on the same bounded worker pool as the
// enclosing graph, and deadlocks when the pool is filled by While nodes waiting for workers
// (e.g. the D adjoint solves of a Jacobian, or one log-determinant loop per block of a stack on a
// 2-core machine). Serialising the loops removes that without changing any value.
func whileLoop(state []*Node, cond func(st []*Node) *Node, body func(st []*Node) []*Node) []*Node {
	g := state[0].Graph()
	var token *Node
	if v, found := model.GetGraphParam(g, whileTokenKey); found {
		if t, ok := v.(*Node); ok && t.Graph() == g {
			token = t
		}
	}
	if token == nil {
		token = Const(g, int32(0))
	}
	init := append(append([]*Node{}, state...), token)
	params := func(g *Graph) []*Node {
		ps := make([]*Node, len(init))
		for i, n := range init {
			ps[i] = Parameter(g, fmt.Sprintf("s%d", i), n.Shape())
		}
		return ps
	}
	c := NewClosure(g, func(g *Graph) []*Node {
		ps := params(g)
		return []*Node{cond(ps[:len(state)])}
	})
	b := NewClosure(g, func(g *Graph) []*Node {
		ps := params(g)
		out := body(ps[:len(state)])
		if len(out) != len(state) {
			panic(fmt.Errorf("residual: loop body returned %d values for a state of %d", len(out), len(state)))
		}
		return append(out, ps[len(state)])
	})
	out := While(c, b, init...)
	model.SetGraphParam(g, whileTokenKey, out[len(state)])
	return out[:len(state)]
}

// int32Const returns an int32 constant (a new node; see lit).
func int32Const(g *Graph, v int) *Node { return Const(g, int32(v)) }
