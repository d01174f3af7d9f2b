package autoregressive

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// repeat applies body to x n times. In a graph's main function it runs the first application
// directly and the other n-1 inside a GoMLX While loop, so the graph holds body twice whatever n
// is; the result then has no gradient (GoMLX defines none for While). Elsewhere (inside another
// closure, where the pure-Go backend cannot capture the enclosing closure's values) it unrolls.
//
// The first application outside the loop is also a work-around: GoMLX caches scalar constants per
// graph, not per function, so a scalar first created inside a closure would later be reused, and
// rejected, in the main function. Running body once in the main function first puts every scalar
// it uses in the cache at the main level, where closures may capture it.
func repeat(x *Node, n int, body func(x *Node) *Node) *Node {
	if n <= 0 {
		return x
	}
	g := x.Graph()
	x = body(x)
	if n == 1 {
		return x
	}
	if !g.IsMainFunc() {
		for range n - 1 {
			x = body(x)
		}
		return x
	}
	counter := shapes.Make(dtypes.Int32)
	limit, one := Const(g, int32(n-1)), Const(g, int32(1))
	cond := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		_ = Parameter(g, "x", x.Shape())
		return []*Node{LessThan(i, limit)}
	})
	loop := NewClosure(g, func(g *Graph) []*Node {
		i := Parameter(g, "i", counter)
		xi := Parameter(g, "x", x.Shape())
		return []*Node{Add(i, one), body(xi)}
	})
	return While(cond, loop, Const(g, int32(0)), x)[1]
}
