package linear_test

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// An LU linear flow starts at a random rotation: |det Ω| = 1 and |Ωᵀx| = |x|, so before any
// training the flow's density is the standard normal's.
func ExampleNewLU() {
	flow := flowkit.NewFlow(flowkit.StandardNormal(3), linear.NewLU())
	m, err := flowkit.NewModel(flow, flowkit.WithDType(dtypes.Float64))
	if err != nil {
		panic(err)
	}
	x := [][]float64{{0.5, -1, 2}}
	lp, err := m.LogProb(x, nil)
	if err != nil {
		panic(err)
	}
	normal := -1.5*math.Log(2*math.Pi) - 0.5*(0.25+1+4)
	fmt.Printf("log p(x) = %.6f, standard normal %.6f\n", lp[0], normal)
	// Output: log p(x) = -5.381816, standard normal -5.381816
}

// The invertible 1×1 convolution mixes the channels of every pixel of [batch, H, W, C] images;
// the verification harness checks it against its exact Jacobian, including the zero pattern
// (no mixing across pixels).
func ExampleNewConv1x1() {
	const C = 3
	report, err := check.Bijector(linear.NewConv1x1(), check.Options{
		Event:   []int{2, 2, C},
		Pattern: func(d int) [][]bool { return check.PatternOf(d, func(i, j int) bool { return i/C == j/C }) },
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("Conv1x1 passes the harness:", report.OK())
	// Output: Conv1x1 passes the harness: true
}

// ActNorm initialises itself from the first batch it normalises: that batch comes out with
// zero mean and unit variance in every channel.
func ExampleNewActNorm() {
	flow := flowkit.NewFlow(flowkit.StandardNormal(2), linear.NewActNorm())
	m, err := flowkit.NewModel(flow)
	if err != nil {
		panic(err)
	}
	x := [][]float64{{10, -1}, {12, -3}, {14, -2}, {16, -6}}
	z, err := m.Latent(x, nil) // the first batch: data-dependent initialisation
	if err != nil {
		panic(err)
	}
	rows := flowkit.Rows(z)
	for c := range 2 {
		mean, sq := 0.0, 0.0
		for _, r := range rows {
			mean += r[c] / 4
			sq += r[c] * r[c] / 4
		}
		fmt.Printf("channel %d: mean %.3f, std %.3f\n", c, math.Abs(mean), math.Sqrt(sq-mean*mean))
	}
	// Output:
	// channel 0: mean 0.000, std 1.000
	// channel 1: mean 0.000, std 1.000
}

// The dense linear flow is the O(D³) baseline; the orthogonal and QR flows are the
// Householder-based alternatives. All pass the verification harness.
func ExampleNewDense() {
	for _, b := range []flowkit.Bijector{linear.NewDense(), linear.NewOrthogonal(0), linear.NewQR()} {
		report, err := check.Bijector(b, check.Options{Event: []int{4}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %v\n", flowkit.NameOf(b), report.OK())
	}
	// Output:
	// Dense: true
	// Orthogonal: true
	// QR: true
}

// BatchNorm uses running averages outside training graphs, where it is a fixed affine map.
func ExampleNewBatchNorm() {
	report, err := check.Bijector(linear.NewBatchNorm(), check.Options{Event: []int{3}, Pattern: check.DiagonalPattern})
	if err != nil {
		panic(err)
	}
	fmt.Println("BatchNorm (evaluation mode) passes the harness:", report.OK())
	// Output: BatchNorm (evaluation mode) passes the harness: true
}

// UnitLowerSolve solves (I + S) y = b for each row b, by substitution written with graph ops.
func ExampleUnitLowerSolve() {
	be, err := backend.Shared()
	if err != nil {
		panic(err)
	}
	S := [][]float64{{0, 0}, {2, 0}} // L = [[1, 0], [2, 1]]
	b := [][]float64{{1, 4}}         // L y = b  =>  y = (1, 2)
	y, err := CallOnce(be, func(s, b *Node) *Node { return linear.UnitLowerSolve(s, b) },
		tensors.FromValue(S), tensors.FromValue(b))
	if err != nil {
		panic(err)
	}
	fmt.Println(flowkit.Float64s(y))
	// Output: [1 2]
}
