package check_test

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// Check a bijector against the mathematics: round trip, log-det vs the exact Jacobian, inverse
// consistency, batch independence, finite gradients and the diagonal Jacobian of an
// elementwise map.
func ExampleBijector() {
	spline := elementwise.New(transformer.NewRQSpline(8, 3))
	report, err := check.Bijector(spline, check.Options{Event: []int{3}, Pattern: check.DiagonalPattern})
	if err != nil {
		panic(err)
	}
	for _, r := range report.Results {
		fmt.Printf("%-22s passed=%v\n", r.Name, r.Passed)
	}
	fmt.Println("all passed:", report.OK())
	// Output:
	// finite outputs         passed=true
	// round trip             passed=true
	// log-det vs Jacobian    passed=true
	// inverse log-det        passed=true
	// finite gradients       passed=true
	// Jacobian zero pattern  passed=true
	// batch independence     passed=true
	// all passed: true
}
