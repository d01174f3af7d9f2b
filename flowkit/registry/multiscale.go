package registry

import (
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/glow"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/multiscale"
	"github.com/flowkit/flowkit/flowkit/nn"
)

// Multi-scale flows (package multiscale) and Glow (package glow), on image events. ActNorm layers
// are built without their data-dependent initialisation (see linear/actnorm). The deep networks
// are checked with parameter noise 0.1: the harness's default 0.3 on every weight of eight
// stacked layers makes a random map so ill-conditioned that float64 round trips lose digits.
func init() {
	// Squeeze: [4, 4, C] → [2, 2, 4C], a permutation (C = 1 for d = 1, 2 otherwise).
	Register(Entry{Name: "multiscale/squeeze", Types: []string{"multiscale.Squeeze"},
		New: func(int) flowkit.Bijector { return multiscale.Squeeze{} },
		Options: func(d int) check.Options {
			c := imageC(d)
			return check.Options{Event: []int{4, 4, c}, Pattern: multiscale.SqueezePattern(4, 4, c)}
		}})
	Register(Entry{Name: "multiscale/unsqueeze", Types: []string{"multiscale.Squeeze", "flowkit.inverted"},
		New:     func(int) flowkit.Bijector { return flowkit.Invert(multiscale.Squeeze{}) },
		Options: func(d int) check.Options { return check.Options{Event: []int{2, 2, 4 * imageC(d)}} }})
	// Split with Glow's learned conditional prior (a small CNN, perturbed by the harness) and a
	// 1×1 convolution on the continuing half; and without a prior.
	Register(Entry{Name: "multiscale/split-prior", Types: []string{"multiscale.Split"},
		New: func(int) flowkit.Bijector {
			return &multiscale.Split{Prior: nn.CNN{Hidden: []int{4}, ZeroLast: true}, Inner: linear.NewConv1x1()}
		},
		Options: func(d int) check.Options { return check.Options{Event: []int{2, 2, 2 * imageC(d)}} }})
	Register(Entry{Name: "multiscale/split", Types: []string{"multiscale.Split"},
		New:     func(int) flowkit.Bijector { return multiscale.NewSplit(&linear.ActNorm{NoDataInit: true}, false) },
		Options: func(d int) check.Options { return check.Options{Event: []int{4, 4, 2}, Pattern: check.DiagonalPattern} }})
	Register(Entry{Name: "multiscale/logit", Types: []string{"multiscale.Logit"},
		New:     func(int) flowkit.Bijector { return multiscale.Logit{} },
		Options: func(d int) check.Options { return check.Options{Event: []int{2, 2, d}, Pattern: check.DiagonalPattern} }})

	// A Glow step: ActNorm, LU 1×1 convolution, affine coupling with a CNN conditioner.
	Register(Entry{Name: "glow/step", Types: []string{"glow.Step"},
		New: func(d int) flowkit.Bijector {
			return &glow.Step{Event: []int{4, 4, 2 * imageC(d)}, Hidden: 8, Parity: d % 2, NoDataInit: true}
		},
		Options: func(d int) check.Options { return check.Options{Event: []int{4, 4, 2 * imageC(d)}} }})
	// Glow's learned top prior, an elementwise affine map (without its data initialisation).
	Register(Entry{Name: "glow/top-prior", Types: []string{"glow.TopPrior"},
		New:     func(int) flowkit.Bijector { return &glow.TopPrior{NoDataInit: true} },
		Options: func(d int) check.Options { return check.Options{Event: []int{2, 2, d}, Pattern: check.DiagonalPattern} }})
	// Whole multi-scale networks on [4, 4, C]: Glow (2 levels of 2 steps, learned split prior),
	// RealNVP (checkerboard and channel masks), Glow with the logit pre-processing.
	multi := func(name string, cfg glow.Config) {
		Register(Entry{Name: name, Types: []string{"multiscale.Network", "multiscale.Split", "multiscale.Squeeze", "glow.Step", "glow.TopPrior"},
			New: func(d int) flowkit.Bijector {
				c := cfg
				c.Event, c.NoDataInit = []int{4, 4, imageC(d)}, true
				net, err := c.Network()
				if err != nil {
					panic(err)
				}
				if c.LogitAlpha > 0 {
					return flowkit.NewChain(net, multiscale.Logit{Alpha: c.LogitAlpha})
				}
				return net
			},
			Options: func(d int) check.Options { return check.Options{Event: []int{4, 4, imageC(d)}, ParamNoise: 0.1} }})
	}
	multi("glow/model", glow.Config{Levels: 2, Steps: 2, Hidden: 8})
	multi("glow/realnvp", glow.Config{Arch: "realnvp", Levels: 2, Steps: 1, Hidden: 8})
	multi("glow/model-logit", glow.Config{Levels: 2, Steps: 1, Hidden: 8, LogitAlpha: 0.05})
}

// imageC is the channel count of the multi-scale entries' image events: 1 for d = 1, 2 otherwise.
func imageC(d int) int { return min(d, 2) }
