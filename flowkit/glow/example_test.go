package glow_test

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit/glow"
)

// Glow for MNIST: 2 levels of 4 steps with 64-channel conditioners; the table is figure 16.10.
func ExampleNew() {
	m, err := glow.New(glow.Config{Event: []int{28, 28, 1}, Levels: 2, Steps: 4, Hidden: 64})
	if err != nil {
		panic(err)
	}
	fmt.Print(m.ArchitectureTable())
	fmt.Println(m.Net.LatentShapes())
	// Output:
	// GLOW, 2 levels × 4 steps, conditioners of 64 channels (kernels [3 1 3]), sigmoid-scale couplings
	// level  input        squeezed     steps  factored out     continues    prior
	// 1      [28 28 1]    [14 14 4]    4      [14 14 2] (392)  [14 14 2]    learned N(μ(h),σ(h)²)
	// 2      [14 14 2]    [7 7 8]      4      [7 7 8] (392)    -            learned N(μ,σ²) per element
	// data [28 28 1] = 784 values; latents hold 784 values
	// [[14 14 2] [7 7 8]]
}
