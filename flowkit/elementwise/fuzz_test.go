package elementwise_test

import (
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/fuzzcheck"
	"github.com/flowkit/flowkit/flowkit/registry"
	"github.com/gomlx/compute/dtypes"
)

// fuzzFamilies are the registry entries with closed-form inverses this fuzz target covers:
// the elementwise family and the core bijectors composed with it. A new family adds its own
// fuzz_test.go the same way, with its prefixes and parameter ranges.
var fuzzFamilies = []string{"elementwise/", "identity", "permute/", "chain"}

// entryRange gives each entry's supported raw-parameter range and whether its Jacobian is
// continuous (log-determinants compared). See flowkit/transformer/fuzz_test.go for why each
// range ends where it does.
func entryRange(name string, dt dtypes.DType) (fuzzcheck.Range, bool) {
	r := func(limit float64) fuzzcheck.Range {
		return fuzzcheck.Range{Lo: -limit, Hi: limit, Typical: 3, Specials: []float64{0, -limit, limit}}
	}
	switch {
	case strings.Contains(name, "leaky-relu") && dt == dtypes.Float32:
		return r(20), true // e^20·1e25 stays in float32
	case strings.Contains(name, "leaky-relu"):
		return r(50), true // e^50·1e250 stays in float64
	case strings.Contains(name, "piecewise-linear") && dt == dtypes.Float32:
		// PiecewiseLinear has no minimum bin mass: a raw spread beyond ~88 underflows a
		// float32 softmax mass to 0 (log-det -Inf, NaN inverse; found by this target at ±300).
		return r(40), false
	case strings.Contains(name, "piecewise-linear"):
		return r(300), false // float64 underflows beyond a spread of ~745
	case name == "chain" && dt == dtypes.Float32:
		// The chain samples through Invert(RQSpline): in float32, knot derivatives near their
		// minimum (1e-3) next to the narrowest bins give the spline inverse slopes of 1e4-1e5,
		// which amplify rounding so much that a sample's log-det and the one recomputed at
		// f(f⁻¹(x)) differ by 3 nats (raw ±20; crasher 04f713deecc1f9ee, kept). Raw ±5 keeps
		// the slopes within ~1e2.
		return r(5), true
	case strings.Contains(name, "rqspline") || name == "chain":
		if dt == dtypes.Float32 {
			return r(20), true
		}
		return r(1e3), true
	}
	if dt == dtypes.Float32 {
		return r(1e30), true
	}
	return r(1e300), true
}

// FuzzElementwise fuzzes the round trip of every registered elementwise bijector (and the core
// ones) with all their variables set from the fuzz bytes, on batches of 4 examples of 3
// values, in float64 and float32: the first byte picks the entry and dtype.
func FuzzElementwise(f *testing.F) {
	var m fuzzcheck.Multi
	for _, e := range registry.All() {
		covered := false
		for _, p := range fuzzFamilies {
			covered = covered || strings.HasPrefix(e.Name, p)
		}
		if !covered {
			continue
		}
		for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
			e, dt := e, dt
			params, smooth := entryRange(e.Name, dt)
			limit := 1e250
			tol, ldTol := 1e-9, 1e-6
			if dt == dtypes.Float32 {
				limit, tol, ldTol = 1e25, 1e-3, 0.25
			}
			m.Add(e.Name+"/"+dt.String(), func() (fuzzcheck.Checker, error) {
				return fuzzcheck.NewBijectorHarness(fuzzcheck.BijectorTarget{
					Name: e.Name + "/" + dt.String(), New: func() flowkit.Bijector { return e.New(3) },
					Event: []int{3}, Batch: 4, DType: dt,
					Input:  fuzzcheck.Range{Lo: -limit, Hi: limit, Typical: 3, Specials: []float64{0, -limit, limit, -2, 2, 3, -3}},
					Params: params, Smooth: smooth, BackwardTol: tol, RoundTripTol: tol, LogDetTol: ldTol,
				})
			})
		}
	}
	if len(m.Names) < 10 {
		f.Fatalf("only %d registry targets: %v", len(m.Names), m.Names)
	}
	fuzzcheck.FuzzMulti(f, &m)
}
