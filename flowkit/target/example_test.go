package target_test

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit/target"
)

// The normalising constant of Rezende & Mohamed's first energy function, by numerical
// integration of exp(-U1) on a grid over its box; reverse-KL fits are judged against it.
func ExampleLogZGrid() {
	u := target.U1()
	logZ, err := target.LogZGrid(u, u.Box(), 400)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: log Z = %.3f\n", u.Name(), logZ)
	// The banana is normalised by construction: the grid gives log Z = 0.
	b := target.NewBanana()
	logZ, err = target.LogZGrid(b, b.Box(), 400)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: |log Z - %g| < 1e-3: %v\n", b.Name(), b.ExactLogZ(), math.Abs(logZ-b.ExactLogZ()) < 1e-3)
	// Output:
	// U1: log Z = 1.878
	// banana: |log Z - 0| < 1e-3: true
}
