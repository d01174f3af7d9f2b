package linear

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// FuzzLinearRoundTrip checks f⁻¹(f(z)) = z and that the two log-determinants cancel, in
// float64, for every linear flow with a closed-form inverse, at random sizes and random
// parameters (moved away from their initial values). Run with
// `go test -fuzz FuzzLinearRoundTrip ./flowkit/linear`; plain `go test` runs the seed corpus.
func FuzzLinearRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint8(3), uint64(1))
	f.Add(uint8(2), uint8(9), uint64(2))
	f.Add(uint8(4), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, kind, size uint8, seed uint64) {
		d := 1 + int(size)%12
		bijectors := []flowkit.Bijector{NewLU(), &LU{Magnitude: MagnitudeSoftplus}, NewDense(), NewOrthogonal(0),
			NewQR(), NewConv1x1(), NewActNorm(), NewBatchNorm()}
		b := bijectors[int(kind)%len(bijectors)]
		store := model.NewStore()
		z := tensors.FromFlatDataAndDimensions(randn(4*d, seed), 4, d)
		runBijector(t, store, b, z)
		for v := range store.IterVariables() {
			if v.Trainable {
				perturb(t, v, 0.2/math.Sqrt(float64(d)), seed+1)
			}
		}
		be := testBackend(t)
		exec, err := model.NewExec(be, store, func(s *model.Scope, z *Node) []*Node {
			x, ldF := b.Forward(s, z, nil)
			back, ldI := b.Inverse(s, x, nil)
			return []*Node{back, ldF, ldI}
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(z)
		if err != nil {
			t.Fatal(err)
		}
		if e := maxAbs(flowkit.Float64s(out[0]), flowkit.Float64s(z)); e > 1e-9 {
			t.Errorf("%s, D=%d: round trip error %.3g", flowkit.NameOf(b), d, e)
		}
		ldF, ldI := flowkit.Float64s(out[1]), flowkit.Float64s(out[2])
		for i := range ldF {
			if math.Abs(ldF[i]+ldI[i]) > 1e-9 {
				t.Errorf("%s, D=%d: log-dets %g and %g do not cancel", flowkit.NameOf(b), d, ldF[i], ldI[i])
			}
		}
	})
}
