package linear

import (
	"fmt"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// benchBatch is the number of examples per call in the cost benchmarks: fixed, so the growth
// with D shows the per-call complexity (LU: O(D²) per example; dense: O(D³) per call).
const benchBatch = 64

// benchInverse times one call of b's Inverse (z and log-det, float32) on a batch of
// benchBatch examples of size d, after compiling the graph once outside the timer.
func benchInverse(bm *testing.B, b flowkit.Bijector, d int) {
	store := model.NewStore()
	exec, err := model.NewExec(testBackend(bm), store, func(s *model.Scope, x *Node) []*Node {
		z, ld := b.Inverse(s, x, nil)
		return []*Node{z, ld}
	})
	if err != nil {
		bm.Fatal(err)
	}
	vals := randn(benchBatch*d, 1)
	f := make([]float32, len(vals))
	for i, v := range vals {
		f[i] = float32(v)
	}
	x := tensors.FromFlatDataAndDimensions(f, benchBatch, d)
	run := func() {
		out, err := exec.Exec(x)
		if err != nil {
			bm.Fatal(err)
		}
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	run() // compile and initialise the variables
	bm.ResetTimer()
	for bm.Loop() {
		run()
	}
}

var benchDims = []int{8, 32, 128, 512}

// BenchmarkLUInverse is the LU flow's log-det (Σ log s, O(D)) and inverse (two triangular
// solves, O(D²) per example) for D in {8, 32, 128, 512}: time should grow at most like D².
func BenchmarkLUInverse(b *testing.B) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("D=%d", d), func(b *testing.B) { benchInverse(b, NewLU(), d) })
	}
}

// BenchmarkDenseInverse is the dense linear flow's log-det and inverse (an in-graph LU
// factorisation, O(D³), then two triangular solves) for the same sizes: time should grow like
// D³.
func BenchmarkDenseInverse(b *testing.B) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("D=%d", d), func(b *testing.B) { benchInverse(b, NewDense(), d) })
	}
}
