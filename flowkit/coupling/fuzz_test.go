package coupling_test

import (
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fuzzcheck"
	"github.com/flowkit/flowkit/flowkit/registry"
	"github.com/gomlx/compute/dtypes"
)

// FuzzCoupling fuzzes the round trip (eq. 16.14 inverting eq. 16.13) of every registered
// single-coupling and coupling-network entry with all their variables set from the fuzz bytes,
// on batches of 4 examples, in float64 and float32: the first byte picks the entry and dtype.
//
// Ranges: inputs up to ±1e3 (float64) or ±1e2 (float32) and conditioner weights up to ±10 (±0.5
// for piecewise-linear couplings, see below). The
// conditioner sees the kept half, so its outputs, the transformer's raw parameters, grow with
// the inputs: beyond these ranges a spline's raw parameters leave the range its own fuzz target
// supports (see flowkit/transformer), and an additive shift can overflow.
func FuzzCoupling(f *testing.F) {
	var m fuzzcheck.Multi
	for _, e := range registry.All() {
		if !strings.HasPrefix(e.Name, "coupling/") {
			continue
		}
		for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
			e, dt := e, dt
			limit, tol, ldTol := 1e3, 1e-8, 1e-6
			if dt == dtypes.Float32 {
				limit, tol, ldTol = 1e2, 1e-3, 0.05
			}
			opts := e.OptionsFor(3)
			params := fuzzcheck.Range{Lo: -10, Hi: 10, Typical: 1, Specials: []float64{0, -10, 10}}
			if strings.Contains(e.Name, "piecewise-linear") {
				// PiecewiseLinear has no minimum bin mass: a spread of its raw parameters beyond
				// ~88 (float32) or ~745 (float64) underflows a softmax mass to 0 (log-det -Inf),
				// and a conditioner with weights up to ±10 reaches that.
				params = fuzzcheck.Range{Lo: -0.5, Hi: 0.5, Typical: 0.3, Specials: []float64{0, -0.5, 0.5}}
			}
			m.Add(e.Name+"/"+dt.String(), func() (fuzzcheck.Checker, error) {
				return fuzzcheck.NewBijectorHarness(fuzzcheck.BijectorTarget{
					Name: e.Name + "/" + dt.String(), New: func() flowkit.Bijector { return e.New(3) },
					Event: opts.Event, Batch: 4, Cond: opts.Cond, DType: dt,
					Input:  fuzzcheck.Range{Lo: -limit, Hi: limit, Typical: 3, Specials: []float64{0, -limit, limit, -3, 3}},
					Params: params,
					Smooth: true, BackwardTol: tol, RoundTripTol: tol, LogDetTol: ldTol,
				})
			})
		}
	}
	if len(m.Names) < 20 {
		f.Fatalf("only %d registry targets: %v", len(m.Names), m.Names)
	}
	fuzzcheck.FuzzMulti(f, &m)
}
