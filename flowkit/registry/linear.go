package registry

import (
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/linear"
)

// Linear and normalization flows (package linear): dense Jacobians for the matrix flows, the
// per-pixel block pattern for the 1×1 convolution, diagonal ones for ActNorm and BatchNorm.
func init() {
	dense := func(int) check.Options { return check.Options{} }
	Register(Entry{Name: "linear/lu", Types: []string{"linear.LU"},
		New: func(int) flowkit.Bijector { return linear.NewLU() }, Options: dense})
	Register(Entry{Name: "linear/lu-softplus-identity", Types: []string{"linear.LU"},
		New: func(int) flowkit.Bijector {
			return &linear.LU{Magnitude: linear.MagnitudeSoftplus, Init: linear.InitIdentity}
		}, Options: dense})
	Register(Entry{Name: "linear/dense", Types: []string{"linear.Dense"},
		New: func(int) flowkit.Bijector { return linear.NewDense() }, Options: dense})
	Register(Entry{Name: "linear/orthogonal", Types: []string{"linear.Orthogonal"},
		New: func(int) flowkit.Bijector { return linear.NewOrthogonal(0) }, Options: dense})
	// Fewer reflections than dimensions (a restricted family of rotations).
	Register(Entry{Name: "linear/orthogonal-2", Types: []string{"linear.Orthogonal"},
		New: func(int) flowkit.Bijector { return linear.NewOrthogonal(2) }, Options: dense})
	Register(Entry{Name: "linear/qr", Types: []string{"linear.QR"},
		New: func(int) flowkit.Bijector { return linear.NewQR() }, Options: dense})
	Register(Entry{Name: "linear/qr-softplus", Types: []string{"linear.QR"},
		New: func(int) flowkit.Bijector {
			return &linear.QR{Magnitude: linear.MagnitudeSoftplus, K: 2}
		}, Options: dense})
	Register(Entry{Name: "linear/permute-reverse", Types: []string{"flowkit.Permute"},
		New: func(d int) flowkit.Bijector { return flowkit.ReversePermute(d) }})

	// The 1×1 convolution on images [2, 2, C]; each pixel's outputs depend on its own channels.
	Register(Entry{Name: "linear/conv1x1", Types: []string{"linear.Conv1x1"},
		New: func(int) flowkit.Bijector { return linear.NewConv1x1() }, Options: imageOptions(pixelPattern)})
	Register(Entry{Name: "linear/conv1x1-vector", Types: []string{"linear.Conv1x1"},
		New: func(int) flowkit.Bijector { return linear.NewConv1x1() }, Options: dense})

	// ActNorm is registered without its data-dependent initialisation: the harness runs Forward
	// first and perturbs the parameters itself, and an initialisation on the Inverse of the
	// harness's graph would change the map between the two directions. The initialisation is
	// tested in package linear (TestActNormDataInit).
	Register(Entry{Name: "linear/actnorm", Types: []string{"linear.ActNorm"},
		New:     func(int) flowkit.Bijector { return &linear.ActNorm{NoDataInit: true} },
		Options: func(int) check.Options { return check.Options{Pattern: check.DiagonalPattern} }})
	Register(Entry{Name: "linear/actnorm-image", Types: []string{"linear.ActNorm"},
		New:     func(int) flowkit.Bijector { return &linear.ActNorm{NoDataInit: true} },
		Options: imageOptions(check.DiagonalPattern)})
	// BatchNorm in evaluation mode (the harness's graphs are not training graphs): a fixed
	// affine map with the running statistics. Training mode is tested in package linear.
	Register(Entry{Name: "linear/batchnorm", Types: []string{"linear.BatchNorm"},
		New:     func(int) flowkit.Bijector { return linear.NewBatchNorm() },
		Options: func(int) check.Options { return check.Options{Pattern: check.DiagonalPattern} }})
	Register(Entry{Name: "linear/batchnorm-image", Types: []string{"linear.BatchNorm"},
		New:     func(int) flowkit.Bijector { return linear.NewBatchNorm() },
		Options: imageOptions(check.DiagonalPattern)})

	// Glow's step of flow without the coupling: ActNorm, then a 1×1 convolution, on images.
	Register(Entry{Name: "linear/glow-step", Types: []string{"linear.ActNorm", "linear.Conv1x1"},
		New: func(int) flowkit.Bijector {
			return flowkit.NewChain(&linear.ActNorm{NoDataInit: true}, linear.NewConv1x1())
		}, Options: imageOptions(pixelPattern)})
}

// imageOptions checks on image events [2, 2, C] with C = 3 for d = 1 and C = d otherwise.
func imageOptions(pattern func(int) [][]bool) func(int) check.Options {
	return func(d int) check.Options {
		return check.Options{Event: []int{2, 2, imageChannels(d)}, Pattern: pattern}
	}
}

func imageChannels(d int) int { return max(d, 3) }

// pixelPattern is the Jacobian pattern of per-pixel channel mixing on [2, 2, C] events, given
// the flattened size 4·C: output i depends on input j only within one pixel.
func pixelPattern(size int) [][]bool {
	c := size / 4
	return check.PatternOf(size, func(i, j int) bool { return i/c == j/c })
}
