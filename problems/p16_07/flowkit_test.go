package p16_07

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestProblem16_7AgainstFlowkit runs flowkit's transformer.LeakyReLU (in float64 on the
// configured GoMLX backend, pure Go by default) with the book's slope 0.1, i.e. raw parameter
// ln 0.1, and compares it with this package's independent solution on 500 x 6 random inputs:
// Forward and Inverse outputs to 2 ulp relative (flowkit computes the slope as
// exp(ln 0.1), which may differ from 0.1 in the last bit), and the per-example log-dets
// (sums of flowkit's per-element log-derivatives) with LogAbsDetForward / LogAbsDetInverse
// to 1e-14.
func TestProblem16_7AgainstFlowkit(t *testing.T) {
	const n, d = 500, 6
	r := rand.New(rand.NewPCG(16, 70))
	zs := make([]float64, n*d)
	for i := range zs {
		zs[i] = 3 * r.NormFloat64()
	}
	lr := transformer.LeakyReLU{}
	exec, err := graph.NewExec(backend.MustShared(), func(x, p *graph.Node) []*graph.Node {
		y, ldF := lr.Forward(x, p)
		xi, ldI := lr.Inverse(x, p)
		return []*graph.Node{y, graph.ReduceSum(ldF, -1), xi, graph.ReduceSum(ldI, -1)}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(zs, n, d),
		tensors.FromFlatDataAndDimensions([]float64{math.Log(Slope)}, 1, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	fy := tensors.MustCopyFlatData[float64](outs[0])
	fldF := tensors.MustCopyFlatData[float64](outs[1])
	fxi := tensors.MustCopyFlatData[float64](outs[2])
	fldI := tensors.MustCopyFlatData[float64](outs[3])
	const rel = 2 * 0x1p-52
	for e := 0; e < n; e++ {
		row := zs[e*d : (e+1)*d]
		y, xi := Forward(row), Inverse(row)
		for j := 0; j < d; j++ {
			if math.Abs(fy[e*d+j]-y[j]) > rel*math.Abs(y[j]) || math.Abs(fxi[e*d+j]-xi[j]) > rel*math.Abs(xi[j]) {
				t.Fatalf("example %d dim %d: flowkit forward %.17g inverse %.17g; solution %.17g, %.17g",
					e, j, fy[e*d+j], fxi[e*d+j], y[j], xi[j])
			}
		}
		if math.Abs(fldF[e]-LogAbsDetForward(row)) > 1e-14 {
			t.Fatalf("example %d: flowkit forward log-det %.17g, solution %.17g", e, fldF[e], LogAbsDetForward(row))
		}
		// Inverse applied to row: the log-det of f^{-1} at x = row.
		if math.Abs(fldI[e]-LogAbsDetInverse(row)) > 1e-14 {
			t.Fatalf("example %d: flowkit inverse log-det %.17g, solution %.17g", e, fldI[e], LogAbsDetInverse(row))
		}
	}
	t.Logf("flowkit LeakyReLU (backend %s) agrees with the solution on %d examples of D=%d",
		backend.Name(backend.MustShared()), n, d)
}
