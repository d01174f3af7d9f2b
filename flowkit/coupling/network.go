package coupling

import (
	"fmt"
	"slices"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// Network describes a coupling flow of several layers: Layers couplings sharing one transformer
// and one conditioner architecture (each layer has its own variables), with masks that change
// from layer to layer so that every element gets transformed, and optionally a mixing bijector
// (a permutation, or an LU-parameterised linear map) between consecutive couplings. Chain builds
// it as a flowkit.Chain (layer 0 first in the generative direction); both directions are cheap,
// one conditioner pass per layer.
//
// The default masks alternate Half(D) and Half(D).Swap() on vector events, and Checkerboard
// with its complement on image events: alternating which half is kept does what the
// permutations between layers of section 16.3.3 do for two halves, at no cost.
type Network struct {
	// Event is the shape of one example: [D] for vectors, [H, W, C] for images.
	Event []int
	// Layers is the number of couplings.
	Layers int
	// Transformer is g[·, φ], shared by the layers.
	Transformer transformer.Transformer
	// Conditioner is the network architecture of every layer; nil means DefaultConditioner()
	// (an MLP 64x64 with a zero last layer). Image events need a convolutional one (nn.CNN).
	Conditioner Conditioner
	// Masks, when not nil, gives the mask of layer i (default: see above).
	Masks func(layer int) Mask
	// Mixing, when not nil, gives a bijector put after coupling i, for i < Layers-1: a fixed
	// permutation (RandomPermutations, ReversePermutations) or a learned linear map such as
	// linear.LU. It sits in the chain, so its variables live in the chain's scope.
	Mixing func(layer int) flowkit.Bijector
}

// RealNVP returns layers affine couplings on vectors of d features (Dinh et al. 2016), with MLP
// conditioners of the given hidden widths (default 64, 64) whose last layers start at zero; the
// log-scale is soft-clamped (transformer.NewAffine).
func RealNVP(d, layers int, hidden ...int) *flowkit.Chain {
	return Network{Event: []int{d}, Layers: layers, Transformer: transformer.NewAffine(), Conditioner: mlp(hidden)}.Chain()
}

// NICE returns layers additive (volume-preserving) couplings on vectors of d features (Dinh et
// al. 2015). NICE's own model ends with a diagonal scaling and uses a logistic base: append
// elementwise.New(transformer.NewAffine()) to the chain and use flowkit.NewStandardLogistic for
// those.
func NICE(d, layers int, hidden ...int) *flowkit.Chain {
	return Network{Event: []int{d}, Layers: layers, Transformer: transformer.Additive{}, Conditioner: mlp(hidden)}.Chain()
}

// NSF returns layers rational-quadratic spline couplings (Durkan et al. 2019) with bins bins on
// [-bound, bound] and identity tails, on vectors of d features.
func NSF(d, layers, bins int, bound float64, hidden ...int) *flowkit.Chain {
	return Network{Event: []int{d}, Layers: layers, Transformer: transformer.NewRQSpline(bins, bound), Conditioner: mlp(hidden)}.Chain()
}

// Normal returns the flow that pushes a standard normal on event through b, e.g.
// coupling.Normal(coupling.RealNVP(2, 8), 2).
func Normal(b flowkit.Bijector, event ...int) *flowkit.Flow {
	return flowkit.NewFlow(flowkit.StandardNormal(event...), b)
}

func mlp(hidden []int) Conditioner {
	if len(hidden) == 0 {
		return DefaultConditioner()
	}
	return nn.MLP{Hidden: slices.Clone(hidden), ZeroLast: true}
}

func (n Network) conditioner() Conditioner {
	if n.Conditioner == nil {
		return DefaultConditioner()
	}
	return n.Conditioner
}

// Mask returns the mask of layer i.
func (n Network) Mask(i int) Mask {
	if n.Masks != nil {
		return n.Masks(i)
	}
	switch len(n.Event) {
	case 1:
		m := Half(n.Event[0])
		if i%2 == 1 {
			m = m.Swap()
		}
		return m
	case 3:
		return Checkerboard(n.Event[0], n.Event[1], n.Event[2], i%2)
	}
	panic(fmt.Errorf("coupling.Network: no default masks for event %v: set Masks", n.Event))
}

// Chain returns the network as a flowkit.Chain of its couplings and mixing bijectors, coupling 0
// first in the generative direction.
func (n Network) Chain() *flowkit.Chain {
	if n.Layers <= 0 {
		panic(fmt.Errorf("coupling.Network: Layers = %d, want at least 1", n.Layers))
	}
	if n.Transformer == nil {
		panic(fmt.Errorf("coupling.Network: no Transformer"))
	}
	var bs []flowkit.Bijector
	for i := 0; i < n.Layers; i++ {
		m := n.Mask(i)
		if !slices.Equal(m.event, n.Event) {
			panic(fmt.Errorf("coupling.Network: the mask of layer %d is for event %v, the network's event is %v", i, m.event, n.Event))
		}
		bs = append(bs, New(m, n.Transformer, n.conditioner()))
		if n.Mixing != nil && i < n.Layers-1 {
			bs = append(bs, n.Mixing(i))
		}
	}
	return flowkit.NewChain(bs...)
}

// Flow returns the flow with a standard normal base on the network's event.
func (n Network) Flow() *flowkit.Flow { return Normal(n.Chain(), n.Event...) }

// RandomPermutations is a Network.Mixing that puts a fixed random permutation of d features
// (drawn from seed and the layer; never the identity when d > 1) between couplings, as section
// 16.3.3 describes.
func RandomPermutations(d int, seed uint64) func(layer int) flowkit.Bijector {
	return func(layer int) flowkit.Bijector {
		s := splitmix(seed ^ splitmix(uint64(layer)+1))
		for {
			p := flowkit.RandomPermute(d, s)
			if d < 2 || !isIdentity(p.Perm) {
				return p
			}
			s = splitmix(s)
		}
	}
}

// splitmix is the SplitMix64 mixing function: nearby seeds give unrelated streams.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if v != i {
			return false
		}
	}
	return true
}

// ReversePermutations is a Network.Mixing that reverses the d features between couplings.
func ReversePermutations(d int) func(layer int) flowkit.Bijector {
	return func(int) flowkit.Bijector { return flowkit.ReversePermute(d) }
}
