package autoregressive

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// simdWidth is the number of columns from which the pure-Go backend's matrix kernels vectorise
// a product's output (16 float32 lanes with AVX-512); narrower outputs run a scalar kernel.
const simdWidth = 16

// linear returns x·w + b for x [B, in], w [in, out] and b [out] (b may be nil), with a
// hand-written reverse-mode gradient.
//
// GoMLX's gradient of a matrix product contracts the batch axis with a DotGeneral that the pure-Go
// backend first transposes into its "transposed" layout, whose kernel ends every output element
// with a horizontal sum: for the narrow, tall matrices of a MADE that was about half of a MAF
// training step. Here the adjoints are ordinary products in the layout whose kernel vectorises over
// the wider output:
//
//	∂L/∂x = v·wᵀ,   ∂L/∂w = xᵀ·v,   ∂L/∂b = 1ᵀ·v   (v = ∂L/∂y)
//
// and the bias is added as the outer product 1·bᵀ, a matrix product too: the backend's broadcasting
// add and its reduction over the batch axis walk generic index iterators, several times slower.
//
// Mechanism: y passes through an identity whose custom gradient records v; x, w and b pass through
// identities whose custom gradients return the products above. GoMLX's reverse pass visits nodes
// from the last created to the first, so y's identity (created last) records v before the others
// read it; GoMLX's own adjoints of the forward products are still built but unused, and the backend
// does not run nodes the outputs do not need.
func linear(x, w, b *Node) *Node {
	var v *Node
	xi := IdentityWithCustomGradient(x, func(_, _ *Node) *Node { return gradLinearX(v, w) })
	wi := IdentityWithCustomGradient(w, func(_, _ *Node) *Node { return gradLinearW(x, v) })
	y := product(xi, wi)
	if b != nil {
		B, out := x.Shape().Dimensions[0], b.Shape().Dimensions[0]
		ones := OnesLike(SliceAxis(x, 1, AxisElem(0))) // [B, 1]
		bi := IdentityWithCustomGradient(b, func(_, _ *Node) *Node {
			return Reshape(Dot(Reshape(ones, 1, B), v).Product(), out)
		})
		y = Add(y, Dot(StopGradient(ones), Reshape(bi, 1, out)).Product())
	}
	return IdentityWithCustomGradient(y, func(_, vy *Node) *Node {
		v = vy
		return vy
	})
}

// product is x·w [B, out], in the layout the backend vectorises best: outputs narrower than the
// SIMD width go through the transposed layout (contracting the wider input axis) instead of the
// scalar kernel.
func product(x, w *Node) *Node {
	in, out := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	if out <= simdWidth && in >= simdWidth {
		return DotGeneral(x, []int{1}, nil, Transpose(w, 0, 1), []int{1}, nil)
	}
	return Dot(x, w).Product()
}

// gradLinearX is v·wᵀ [B, in].
func gradLinearX(v, w *Node) *Node {
	if w.Shape().Dimensions[0] > simdWidth {
		return Dot(v, Transpose(w, 0, 1)).Product()
	}
	return DotGeneral(v, []int{1}, nil, w, []int{1}, nil)
}

// gradLinearW is xᵀ·v [in, out].
func gradLinearW(x, v *Node) *Node {
	if v.Shape().Dimensions[1] > simdWidth || x.Shape().Dimensions[1] <= v.Shape().Dimensions[1] {
		return Dot(Transpose(x, 0, 1), v).Product()
	}
	return Transpose(Dot(Transpose(v, 0, 1), x).Product(), 0, 1)
}
