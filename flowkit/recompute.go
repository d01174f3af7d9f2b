package flowkit

import (
	"fmt"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// RecomputedNLL builds the mean negative log-likelihood of x under f and its gradient with
// respect to every trainable variable f uses, keeping O(1) activations in the number of layers.
//
// Backpropagation normally keeps every layer's input alive until the backward pass reaches it:
// memory grows like the depth K. An invertible layer does not need its input stored, because the
// input can be recomputed from the output (seed 001's summary of section 16.3: invertible layers
// cut training memory from O(K) to O(1)). RecomputedNLL builds the graph that way:
//
//  1. the normalizing pass x → z runs layer by layer with the gradient stopped between layers,
//     so no layer's input is referenced after the next layer has run;
//  2. the gradient of the loss with respect to z comes from the base density;
//  3. walking back from z, each layer's input is recomputed by its generative direction from its
//     output, the layer is re-run on that input, and its vector-Jacobian product gives the
//     gradient with respect to its input and its variables.
//
// The price is one extra generative and one extra normalizing pass per layer (about 1.5-2x
// the compute of plain backpropagation); the gradients equal plain backpropagation's up to the
// round-off of each layer's round trip. The layers are the leaves of f.Transform when it is a
// Chain (nested chains are flattened); another bijector counts as one layer. Every trainable
// variable must live under a layer's scope or the base's; layers with side effects on
// variables (data-dependent initialisation, running statistics) would apply them twice, so
// initialise those before training with this option.
//
// s is the flow's scope (what Flow.LogProb receives). It returns the loss, the variables in a
// fixed order, and their gradients.
func RecomputedNLL(s *model.Scope, f *Flow, x, cond *Node) (loss *Node, vars []*model.Variable, grads []*Node) {
	g := x.Graph()
	tscope := f.transformScope(s)
	var layers []scopedBijector
	flattenChain(f.Transform, tscope, &layers)
	batch := float64(x.Shape().Dimensions[0])

	// 1. The normalizing pass, layer by layer (a chain's Inverse runs its last bijector first),
	// with the gradient stopped between layers.
	h := x
	var ldSum *Node
	for i := len(layers) - 1; i >= 0; i-- {
		var ld *Node
		h, ld = layers[i].b.Inverse(layers[i].s, StopGradient(h), cond)
		ldSum = addLogDet(ldSum, ld)
	}
	z := detach(h)

	// 2. The base density and the gradient with respect to z and the base's variables.
	bscope := f.baseScope(s)
	lpz := f.Base.LogProb(bscope, z, cond)
	loss = Neg(ReduceAllMean(Add(lpz, StopGradient(orZeroLogDet(ldSum, x)))))
	baseVars := trainableIn(bscope, g)
	gr := Gradient(Neg(ReduceAllMean(lpz)), append([]*Node{z}, nodesOf(baseVars, g)...)...)
	gOut := gr[0]
	vars = append(vars, baseVars...)
	grads = append(grads, gr[1:]...)

	// 3. Back from z: recompute each layer's input from its output, re-run it, take its VJP.
	out := z
	owned := map[string]bool{}
	for _, v := range baseVars {
		owned[v.Path()] = true
	}
	for i := 0; i < len(layers); i++ {
		l := layers[i]
		in, _ := l.b.Forward(l.s, after(out, gOut), cond)
		in = detach(in)
		o, ld := l.b.Inverse(l.s, in, cond)
		local := Sub(ReduceAllSum(Mul(o, gOut)), DivScalar(ReduceAllSum(ld), batch))
		lv := trainableIn(l.s, g)
		for _, v := range lv {
			if owned[v.Path()] {
				panic(fmt.Errorf("flowkit.RecomputedNLL: variable %s is shared by two layers; recomputation needs each variable in one layer", v.Path()))
			}
			owned[v.Path()] = true
		}
		gr := Gradient(local, append([]*Node{in}, nodesOf(lv, g)...)...)
		gOut = StopGradient(gr[0])
		vars = append(vars, lv...)
		grads = append(grads, gr[1:]...)
		out = in
	}
	for v := range s.Store().IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && !owned[v.Path()] && strings.HasPrefix(v.Path(), s.Scope()) {
			panic(fmt.Errorf("flowkit.RecomputedNLL: trainable variable %s is outside every layer's scope", v.Path()))
		}
	}
	return loss, vars, grads
}

type scopedBijector struct {
	b Bijector
	s *model.Scope
}

// flattenChain lists the leaves of nested chains with the scopes the chain gives them.
func flattenChain(b Bijector, s *model.Scope, out *[]scopedBijector) {
	if c, ok := b.(*Chain); ok {
		for i, sub := range c.Bijectors {
			flattenChain(sub, c.Scope(s, i), out)
		}
		return
	}
	*out = append(*out, scopedBijector{b: b, s: s})
}

// detach returns a node with x's value through which no gradient flows back, but with respect to
// which gradients can be taken (GoMLX gives a StopGradient node itself a zero gradient).
func detach(x *Node) *Node { return Identity(StopGradient(x)) }

// after returns x with a data dependency on dep (x + 0·dep[0,…,0]), so the op that consumes it
// cannot run before dep is computed. RecomputedNLL makes each layer's recomputation wait for the
// previous layer's gradient this way: otherwise the executor, which runs every op as soon as its
// inputs exist, runs the cheap chain of recomputations far ahead of the gradients and holds all
// the recomputed inputs at once (peak memory growing with depth again).
func after(x, dep *Node) *Node {
	spec := make([]SliceAxisSpec, dep.Rank())
	for i := range spec {
		spec[i] = AxisRange(0, 1)
	}
	first := Reshape(Slice(dep, spec...))
	if first.DType() != x.DType() {
		first = ConvertDType(first, x.DType())
	}
	return Add(x, Mul(first, ScalarZero(x.Graph(), x.DType())))
}

func trainableIn(s *model.Scope, g *Graph) []*model.Variable {
	var vs []*model.Variable
	for v := range s.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vs = append(vs, v)
		}
	}
	return vs
}

func nodesOf(vs []*model.Variable, g *Graph) []*Node {
	ns := make([]*Node, len(vs))
	for i, v := range vs {
		ns[i] = v.NodeValue(g)
	}
	return ns
}
