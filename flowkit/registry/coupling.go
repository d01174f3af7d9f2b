package registry

import (
	"math/rand/v2"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// The coupling flows of eq. 16.13-16.14: single couplings with each transformer and each kind of
// mask, checked against the block-triangular Jacobian pattern their mask implies, and small
// networks built by the model builders (dense Jacobians).
func init() {
	small := nn.MLP{Hidden: []int{8, 8}, ZeroLast: true}
	cnn := nn.CNN{Hidden: []int{6}, ZeroLast: true}
	const h, w, c = 4, 4, 2 // the image event of the image masks

	one := func(name string, mask func(d int) coupling.Mask, t func() transformer.Transformer,
		cond coupling.Conditioner, opts func(o *check.Options)) {
		Register(Entry{Name: "coupling/" + name, Types: []string{"coupling.Coupling"},
			New: func(d int) flowkit.Bijector { return coupling.New(mask(d), t(), cond) },
			Options: func(d int) check.Options {
				m := mask(d)
				o := check.Options{Event: m.Event(), Pattern: m.Pattern}
				if opts != nil {
					opts(&o)
				}
				return o
			}})
	}
	affine := func() transformer.Transformer { return transformer.NewAffine() }
	half := func(d int) coupling.Mask { return coupling.Half(d) }
	swapped := func(d int) coupling.Mask { return coupling.Half(d).Swap() }

	one("realnvp", half, affine, small, nil)
	one("nice", swapped, func() transformer.Transformer { return transformer.Additive{} }, small, nil)
	one("nsf", half, func() transformer.Transformer { return transformer.NewRQSpline(8, 3) }, small,
		func(o *check.Options) { o.InputScale = 2 })
	one("piecewise-linear", swapped, func() transformer.Transformer { return transformer.NewPiecewiseLinear(6) }, small,
		func(o *check.Options) { o.Input = func(r *rand.Rand) float64 { return 0.01 + 0.98*r.Float64() } })
	one("alternating-mask", func(d int) coupling.Mask { return coupling.Alternating(d, 1) }, affine, small, nil)
	one("realnvp-cond", half, affine, small, func(o *check.Options) { o.Cond = 3 })
	one("nsf-cond", swapped, func() transformer.Transformer { return transformer.NewRQSpline(6, 3) }, small,
		func(o *check.Options) { o.Cond = 2; o.InputScale = 2 })

	// Image events [4, 4, 2] with a convolutional conditioner (the registry's d is ignored).
	one("checkerboard", func(int) coupling.Mask { return coupling.Checkerboard(h, w, c, 0) }, affine, cnn, nil)
	one("checkerboard-cond", func(int) coupling.Mask { return coupling.Checkerboard(h, w, c, 1) }, affine, cnn,
		func(o *check.Options) { o.Cond = 2 })
	one("channels", func(int) coupling.Mask { return coupling.Channels(h, w, c, 1) },
		func() transformer.Transformer { return transformer.NewRQSpline(6, 3) }, cnn,
		func(o *check.Options) { o.InputScale = 2 })

	// The model builders: several couplings with alternating masks, and permutations between
	// layers (the Jacobian of a stack is dense).
	net := func(name string, b func(d int) flowkit.Bijector, opts func(o *check.Options)) {
		Register(Entry{Name: "coupling/network-" + name, Types: []string{"coupling.Coupling"}, New: b,
			Options: func(d int) check.Options {
				var o check.Options
				if opts != nil {
					opts(&o)
				}
				return o
			}})
	}
	net("realnvp", func(d int) flowkit.Bijector { return coupling.RealNVP(d, 3, 8) }, nil)
	net("nice", func(d int) flowkit.Bijector { return coupling.NICE(d, 3, 8) }, nil)
	net("nsf", func(d int) flowkit.Bijector { return coupling.NSF(d, 3, 6, 3, 8) },
		func(o *check.Options) { o.InputScale = 2 })
	net("permuted", func(d int) flowkit.Bijector {
		return coupling.Network{Event: []int{d}, Layers: 3, Transformer: transformer.NewAffine(),
			Conditioner: small, Mixing: coupling.RandomPermutations(d, 5)}.Chain()
	}, func(o *check.Options) { o.Cond = 2 })
}
