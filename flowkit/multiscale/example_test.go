package multiscale_test

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/multiscale"
)

// A two-level multi-scale network on 8×8 images (figure 16.10): level 1 squeezes to 4×4×4 and
// factors out 2 channels under a learned prior, level 2 squeezes the rest to 2×2×8. Without
// steps between them it only rearranges values, so its density is the standard normal's.
func ExampleNetwork() {
	net := &multiscale.Network{Event: []int{8, 8, 1}, Levels: []multiscale.Level{
		{Squeeze: true, Split: true, Prior: multiscale.DefaultPrior()},
		{Squeeze: true},
	}}
	shapes, err := net.Shapes()
	if err != nil {
		panic(err)
	}
	for _, l := range shapes {
		fmt.Printf("level %d: input %v, squeezed %v, latent %v, continues %v\n", l.Level, l.Input, l.Squeezed, l.Latent, l.Continues)
	}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(8, 8, 1), net))
	if err != nil {
		panic(err)
	}
	lp, err := m.LogProb([][]float64{make([]float64, 64)}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("log p(0) = %.4f (64 standard normals: %.4f)\n", lp[0], -64*0.9189385332)
	// Output:
	// level 1: input [8 8 1], squeezed [4 4 4], latent [4 4 2], continues [4 4 2]
	// level 2: input [4 4 2], squeezed [2 2 8], latent [2 2 8], continues []
	// log p(0) = -58.8121 (64 standard normals: -58.8121)
}
