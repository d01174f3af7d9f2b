package registry

import (
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/residual"
)

// Residual flows (flowkit/residual). The iResNet entries use the exact log-determinant (the
// check compares it with the autodiff Jacobian) and a fixed-point tolerance of 1e-11, far below
// the round-trip tolerance. The coupling needs two features, so it is checked on D >= 2.
func init() {
	atLeast2 := func(d int) int { return max(d, 2) }
	Register(Entry{Name: "residual/irevnet", Types: []string{"residual.IRevNet"},
		New: func(d int) flowkit.Bijector { return residual.NewIRevNet(8, 8) },
		Options: func(d int) check.Options {
			return check.Options{Event: []int{atLeast2(d)}}
		}})
	fp := residual.FixedPoint{Tol: 1e-11}
	Register(Entry{Name: "residual/iresnet-exact", Types: []string{"residual.IResNet"},
		New: func(int) flowkit.Bijector {
			return &residual.IResNet{Net: residual.NewMLP(8, 8), LogDet: residual.Exact{}, FixedPoint: fp}
		}})
	Register(Entry{Name: "residual/iresnet-lipswish-always", Types: []string{"residual.IResNet"},
		New: func(int) flowkit.Bijector {
			net := &residual.MLP{Hidden: []int{6}, Activation: residual.LipSwish,
				SpectralNorm: residual.SpectralNorm{Coeff: 0.7, Always: true}}
			return &residual.IResNet{Net: net, LogDet: residual.Exact{}, FixedPoint: fp}
		}})
	Register(Entry{Name: "residual/iresnet-lowrank", Types: []string{"residual.IResNet"},
		New: func(int) flowkit.Bijector {
			return &residual.IResNet{Net: residual.NewMLP(3), LogDet: residual.LowRank{}, FixedPoint: fp}
		}})
	Register(Entry{Name: "residual/iresnet-conv", Types: []string{"residual.IResNet"},
		New: func(int) flowkit.Bijector {
			// Taking a gradient stores the power-iteration vector (see residual.SpectralNorm), so
			// the check's later graphs start from a different vector: enough iterations make
			// the normalised kernel the same to 1e-9 anyway.
			net := &residual.Conv{Hidden: []int{4}, SpectralNorm: residual.SpectralNorm{EvalIters: 400}}
			return &residual.IResNet{Net: net, LogDet: residual.Exact{}, FixedPoint: fp}
		},
		Options: func(int) check.Options { return check.Options{Event: []int{4, 4, 2}, Batch: 4} }})
}
