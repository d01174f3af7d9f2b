// Package elementwise holds elementwise flows (eq. 16.10-16.11): one monotone transformer
// applied to every dimension independently, x_d = g(z_d, φ_d). The Jacobian is diagonal, so
// log|det| = Σ_d log g'(z_d). Elementwise flows cannot correlate dimensions; alternate them
// with linear or coupling layers for that.
package elementwise

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Flow applies Transformer to each element of the event. Its parameters are either learned
// (a variable "params" of shape [event..., P], initialised at the transformer's identity) or
// fixed (Params, given). Both directions cost one pass.
type Flow struct {
	Transformer transformer.Transformer
	// Params, when not nil, fixes the raw parameters instead of learning them: either P values
	// shared by every element, or one row of P values per element of the event (flattened).
	Params []float64
	// Shared, when true, learns one parameter vector shared by all elements instead of one per
	// element.
	Shared bool
}

// New returns an elementwise flow with learnable parameters, one set per element.
func New(t transformer.Transformer) *Flow { return &Flow{Transformer: t} }

// WithParams returns an elementwise flow with the fixed raw parameters params: P values shared by
// every element, or event-size*P values, one row per element.
func WithParams(t transformer.Transformer, params []float64) *Flow {
	return &Flow{Transformer: t, Params: append([]float64(nil), params...)}
}

// Name implements flowkit.Named.
func (f *Flow) Name() string { return "Elementwise(" + f.Transformer.Name() + ")" }

func (f *Flow) params(s *model.Scope, x *Node) *Node {
	g, P := x.Graph(), f.Transformer.NumParams()
	event := x.Shape().Dimensions[1:]
	if f.Params != nil {
		n := len(f.Params) / P
		if len(f.Params)%P != 0 || (n != 1 && n != size(event)) {
			panic(fmt.Errorf("elementwise %s: %d fixed params do not fit %d per element for event %v",
				f.Transformer.Name(), len(f.Params), P, event))
		}
		c := ConvertDType(Const(g, f.Params), x.DType())
		if n == 1 {
			return Reshape(c, append(ones(len(event)+1), P)...)
		}
		return Reshape(c, append(append([]int{1}, event...), P)...)
	}
	dims := append(append([]int{}, event...), P)
	if f.Shared {
		dims = append(ones(len(event)), P)
	}
	v := s.WithInitializer(flowkit.LastAxisInit(f.Transformer.IdentityParams())).
		VariableWithShape("params", shapes.Make(x.DType(), dims...))
	return InsertAxes(v.NodeValue(g), 0)
}

// Forward implements flowkit.Bijector.
func (f *Flow) Forward(s *model.Scope, z, _ *Node) (*Node, *Node) {
	x, ld := f.Transformer.Forward(z, f.params(s, z))
	return x, flowkit.SumEvent(ld)
}

// Inverse implements flowkit.Bijector.
func (f *Flow) Inverse(s *model.Scope, x, _ *Node) (*Node, *Node) {
	z, ld := f.Transformer.Inverse(x, f.params(s, x))
	return z, flowkit.SumEvent(ld)
}

// Domain reports the transformer's domain when it is bounded (see transformer.Bounded).
func (f *Flow) Domain() (lo, hi float64, bounded bool) {
	if b, ok := f.Transformer.(transformer.Bounded); ok {
		lo, hi = b.Domain()
		return lo, hi, true
	}
	return 0, 0, false
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

func ones(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = 1
	}
	return o
}
