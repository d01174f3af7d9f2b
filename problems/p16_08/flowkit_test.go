package p16_08

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestProblem16_8AgainstFlowkit runs flowkit's transformer.PiecewiseLinear with K = 6 (in
// float64 on the configured GoMLX backend) with raw parameters log(phi), so that
// softmax(log phi) = phi, and compares it with this package's independent solution on 400 x 5
// random inputs away from the knots (1/100 of a bin): forward values, inverse values and the
// per-example log-determinants (sums of flowkit's per-element log-derivatives) against
// LogDet, all to 1e-13 absolute (softmax and the cumulative sums round differently from
// the plain sums used here).
func TestProblem16_8AgainstFlowkit(t *testing.T) {
	const n, d, k = 400, 5, 6
	r := rand.New(rand.NewPCG(16, 80))
	phi := make([]float64, k)
	s := 0.0
	for i := range phi {
		phi[i] = 0.05 + r.ExpFloat64()
		s += phi[i]
	}
	raw := make([]float64, k)
	for i := range phi {
		phi[i] /= s
		raw[i] = math.Log(phi[i])
	}
	hs := make([]float64, n*d)
	for i := range hs {
		for {
			hs[i] = r.Float64()
			frac := k*hs[i] - math.Floor(k*hs[i])
			if frac > 1e-2 && frac < 1-1e-2 {
				break
			}
		}
	}
	pl := transformer.NewPiecewiseLinear(k)
	exec, err := graph.NewExec(backend.MustShared(), func(x, p *graph.Node) []*graph.Node {
		y, ldF := pl.Forward(x, p)
		xi, ldI := pl.Inverse(y, p)
		return []*graph.Node{y, graph.ReduceSum(ldF, -1), xi, graph.ReduceSum(ldI, -1)}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(hs, n, d),
		tensors.FromFlatDataAndDimensions(raw, 1, 1, k))
	if err != nil {
		t.Fatal(err)
	}
	fy := tensors.MustCopyFlatData[float64](outs[0])
	fldF := tensors.MustCopyFlatData[float64](outs[1])
	fxi := tensors.MustCopyFlatData[float64](outs[2])
	fldI := tensors.MustCopyFlatData[float64](outs[3])
	const tol = 1e-13
	worst := 0.0
	for e := 0; e < n; e++ {
		row := hs[e*d : (e+1)*d]
		y := Forward(row, phi)
		xi := Inverse(y, phi)
		for j := 0; j < d; j++ {
			dy, dx := math.Abs(fy[e*d+j]-y[j]), math.Abs(fxi[e*d+j]-xi[j])
			worst = math.Max(worst, math.Max(dy, dx))
			if dy > tol || dx > tol {
				t.Fatalf("example %d dim %d: flowkit f = %.17g, f^-1(f) = %.17g; solution %.17g, %.17g",
					e, j, fy[e*d+j], fxi[e*d+j], y[j], xi[j])
			}
		}
		ld := LogDet(row, phi)
		if math.Abs(fldF[e]-ld) > tol || math.Abs(fldI[e]+ld) > tol {
			t.Fatalf("example %d: flowkit log-dets (%.17g, %.17g), solution (%.17g, %.17g)", e, fldF[e], fldI[e], ld, -ld)
		}
	}
	t.Logf("flowkit PiecewiseLinear(K=%d) (backend %s) agrees with the solution on %d examples of D=%d; max |diff| %.1e",
		k, backend.Name(backend.MustShared()), n, d, worst)
}
