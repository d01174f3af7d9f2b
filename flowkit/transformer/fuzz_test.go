package transformer_test

import (
	"math"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/fuzzcheck"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// Round-trip fuzz targets of the closed-form transformers. `go test` runs their seed corpora
// (the generated seeds and testdata/fuzz/<Target>); scripts/fuzz.sh fuzzes each for FUZZTIME.
// Each range below is the region the transformer supports; the comments say where it stops.

// unbounded is an input range spanning extreme magnitudes.
func unbounded(limit, typical float64, specials ...float64) fuzzcheck.Range {
	return fuzzcheck.Range{Lo: -limit, Hi: limit, Typical: typical, Specials: append([]float64{0, -limit, limit}, specials...)}
}

func harness(f *testing.F, t fuzzcheck.TransformerTarget) *fuzzcheck.TransformerHarness {
	h, err := fuzzcheck.NewTransformerHarness(t)
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// FuzzAffine: y = x·e^s + t with the soft-bounded log-scale (any raw parameter) and with an
// unbounded one (raw log-scale within ±50, so x·e^s stays in float64 for |x| <= 1e250).
func FuzzAffine(f *testing.F) {
	var m fuzzcheck.Multi
	m.Add("affine", func() (fuzzcheck.Checker, error) {
		return fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{Name: "Affine", T: transformer.NewAffine(),
			Input: unbounded(1e300, 3), Params: unbounded(1e300, 3, 5, -5), Smooth: true})
	})
	m.Add("affine-unbounded", func() (fuzzcheck.Checker, error) {
		return fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{Name: "Affine(unbounded)", T: &transformer.Affine{},
			Input: unbounded(1e250, 3), Params: unbounded(50, 3), Smooth: true})
	})
	fuzzcheck.FuzzMulti(f, &m)
}

// FuzzAdditive: y = x + t.
func FuzzAdditive(f *testing.F) {
	fuzzcheck.Fuzz(f, harness(f, fuzzcheck.TransformerTarget{Name: "Additive", T: transformer.Additive{},
		Input: unbounded(1e300, 3), Params: unbounded(1e300, 3), Smooth: true}))
}

// FuzzLeakyReLU: slope e^α̃ on the negative half, raw α̃ within ±50.
func FuzzLeakyReLU(f *testing.F) {
	fuzzcheck.Fuzz(f, harness(f, fuzzcheck.TransformerTarget{Name: "LeakyReLU", T: transformer.LeakyReLU{},
		Input: unbounded(1e250, 3, -1e-300, 1e-300), Params: unbounded(50, 3), Smooth: true}))
}

// FuzzPiecewiseLinear: K = 5 bins on [0, 1], inputs at and near the knots and outside the
// domain. Raw masses within ±300: beyond a spread of about 745 (float64) a bin's softmax mass
// is exactly 0 and the map stops being invertible, since PiecewiseLinear has no minimum mass.
func FuzzPiecewiseLinear(f *testing.F) {
	fuzzcheck.Fuzz(f, harness(f, fuzzcheck.TransformerTarget{Name: "PiecewiseLinear", T: transformer.NewPiecewiseLinear(5),
		Input:  fuzzcheck.Range{Lo: 0, Hi: 1, Typical: 0.5, Specials: []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		Params: unbounded(300, 3), Domain: &[2]float64{0, 1}}))
}

// rqSpecials are the spline's bounds and the knots of its identity parameters.
func rqSpecials(k int, b float64) []float64 {
	s := []float64{-b, b}
	for i := 1; i < k; i++ {
		s = append(s, -b+2*b*float64(i)/float64(k))
	}
	return s
}

// FuzzRQSpline: K = 8 bins on [-3, 3] in float64, inputs up to ±1e300 (identity tails), raw
// parameters up to ±1e3 (softmax then gives all the mass to one bin and the knot derivatives
// reach 1e3). Measured limits: with knot derivatives of 1e3 next to the narrowest bins the
// inverse's backward error reaches 2.4e-8 (crasher 565ce6982e580b2a, kept in the corpus; the
// quadratic's coefficients cancel when knot derivatives dwarf the bin slopes), hence the
// tolerance of 1e-6; beyond raw ±1e4 it grows past 1e-6 and near ±1e100 it fails outright
// (errors of 0.6), since the spline bounds its knot derivatives from below only.
func FuzzRQSpline(f *testing.F) {
	fuzzcheck.Fuzz(f, harness(f, fuzzcheck.TransformerTarget{Name: "RQSpline", T: transformer.NewRQSpline(8, 3),
		Input: unbounded(1e300, 3, rqSpecials(8, 3)...), Params: unbounded(1e3, 3), Smooth: true,
		BackwardTol: 1e-6, RoundTripTol: 1e-6, LogDetTol: 1e-6}))
}

// FuzzRQSplineFloat32 is FuzzRQSpline in float32, the training dtype, where the clamp-then-select
// pitfall shows: inputs up to ±1e30, raw widths and heights up to ±1e3, raw knot derivatives
// up to ±20 (derivatives up to 20). Measured: with derivatives of 1e3 next to the narrowest bins
// the float32 inverse's backward error reaches 8e-3. Tolerances are those float32 reaches at
// extreme parameters: backward error 1e-3, and log-dets to 0.25·(1 + |log g'|), since rounding
// x' = ξ·w + x_k moves ξ by up to ε|x_k|/w ≈ 3e-5 in the narrowest bins, where log g' changes
// by up to ~1e3 per unit of ξ (a sign or formula error still shows, as 2|log g'|).
func FuzzRQSplineFloat32(f *testing.F) {
	const K = 8
	fuzzcheck.Fuzz(f, harness(f, fuzzcheck.TransformerTarget{Name: "RQSpline(float32)", T: transformer.NewRQSpline(K, 3),
		DType: dtypes.Float32, Input: unbounded(1e30, 3, rqSpecials(K, 3)...),
		ParamRange: func(j int) fuzzcheck.Range {
			if j >= 2*K {
				return unbounded(20, 3)
			}
			return unbounded(1e3, 3)
		},
		Smooth: true, BackwardTol: 1e-3, RoundTripTol: 1e-3, LogDetTol: 0.25}))
}

// TestRQSplineExtremeParamsKeepMinBinsAndDerivatives sets the raw parameters of the spline to
// patterns of ±1e4 in float64 and, in float32, ±1e3 for widths and heights and ±20 for the
// knot derivatives (softmax then gives all the mass to one bin; see the fuzz targets for the
// limits): the
// minimum bin size and derivative keep every bin's width, height and slope away from zero, so
// on a dense grid over [-B, B] the map stays finite, strictly increasing, with log-derivatives
// bounded by those minimums, and invertible.
func TestRQSplineExtremeParamsKeepMinBinsAndDerivatives(t *testing.T) {
	const K, B, N = 8, 3.0, 2001
	sp := transformer.NewRQSpline(K, B)
	P := sp.NumParams()
	// Bounds implied by the minimums: every bin is at least MinBin·2B wide and high and at most
	// 2B(1 - (K-1)·MinBin); knot derivatives are at least MinDerivative. The RQ derivative in a
	// bin lies between min(d_k, d_k+1, s_k)·(s_k/max(...))² style bounds; we check a generous
	// envelope: log g' in [log(MinDerivative·minS²)-2, log(maxD/minS²)+2].
	minS := sp.MinBin / (1 - float64(K-1)*sp.MinBin)
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		e := 1e4
		if dt == dtypes.Float32 {
			e = 1e3
		}
		de := e // the raw knot derivatives' magnitude
		if dt == dtypes.Float32 {
			de = 20
		}
		scale := func(i int, v float64) float64 {
			if i >= 2*K {
				return v * de
			}
			return v * e
		}
		sign := func(b bool) float64 {
			if b {
				return 1
			}
			return -1
		}
		patterns := map[string]func(i int) float64{
			"one wide bin":      func(i int) float64 { return scale(i, sign(i%K == 3)) },
			"alternating":       func(i int) float64 { return scale(i, sign(i%2 == 0)) },
			"all huge":          func(i int) float64 { return scale(i, 1) },
			"all tiny":          func(i int) float64 { return scale(i, -1) },
			"widths vs heights": func(i int) float64 { return scale(i, sign(i < K)) },
		}
		for name, pat := range patterns {
			raw := make([]float64, N*P)
			maxD := 1.0
			for n := 0; n < N; n++ {
				for j := 0; j < P; j++ {
					raw[n*P+j] = pat(j)
					if j >= 2*K {
						maxD = math.Max(maxD, math.Log1p(math.Exp(math.Min(pat(j), 700)))+sp.MinDerivative)
					}
				}
			}
			xs := make([]float64, N)
			for i := range xs {
				xs[i] = -B + 2*B*float64(i)/float64(N-1)
			}
			exec := MustNewExec(backend.MustShared(), func(x, p *Node) []*Node {
				y, ld := sp.Forward(x, p)
				xr, _ := sp.Inverse(y, p)
				y2, _ := sp.Forward(xr, p)
				return []*Node{y, ld, xr, y2}
			})
			conv := func(v []float64, dims ...int) *tensors.Tensor {
				if dt == dtypes.Float32 {
					f := make([]float32, len(v))
					for i := range v {
						f[i] = float32(v[i])
					}
					return tensors.FromFlatDataAndDimensions(f, dims...)
				}
				return tensors.FromFlatDataAndDimensions(v, dims...)
			}
			outs := exec.MustExec(conv(xs, N), conv(raw, N, P))
			get := func(o *tensors.Tensor) []float64 {
				if o.DType() == dtypes.Float32 {
					f := tensors.MustCopyFlatData[float32](o)
					r := make([]float64, len(f))
					for i := range f {
						r[i] = float64(f[i])
					}
					return r
				}
				return tensors.MustCopyFlatData[float64](o)
			}
			y, ld, xr, y2 := get(outs[0]), get(outs[1]), get(outs[2]), get(outs[3])
			lo := math.Log(sp.MinDerivative*minS*minS) - 2
			hi := math.Log(maxD/(minS*minS)) + 2
			tol := 1e-9 // the fuzz targets' tolerances
			if dt == dtypes.Float32 {
				tol = 1e-3
			}
			worstBack, worstRT := 0.0, 0.0
			for i := range xs {
				if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || math.IsNaN(ld[i]) || math.IsInf(ld[i], 0) {
					t.Fatalf("%s %s: x=%v gives y=%v, log g'=%v", dt, name, xs[i], y[i], ld[i])
				}
				if ld[i] < lo || ld[i] > hi {
					t.Fatalf("%s %s: x=%v: log g' = %v outside the envelope [%.1f, %.1f] the minimums imply", dt, name, xs[i], ld[i], lo, hi)
				}
				if i > 0 && y[i] < y[i-1] {
					t.Fatalf("%s %s: not increasing at x=%v: %v < %v", dt, name, xs[i], y[i], y[i-1])
				}
				worstBack = math.Max(worstBack, math.Abs(y2[i]-y[i])/(1+math.Abs(y[i])))
				worstRT = math.Max(worstRT, math.Abs(xr[i]-xs[i])/(1+math.Abs(xs[i])+(1+math.Abs(y[i]))*math.Exp(-ld[i])))
			}
			if worstBack > tol || worstRT > tol {
				t.Errorf("%s %s: worst backward error %.3g, worst round-trip error relative to the conditioning %.3g; tolerance %.3g",
					dt, name, worstBack, worstRT, tol)
			}
			if math.Abs(y[0]+B) > tol || math.Abs(y[N-1]-B) > tol {
				t.Errorf("%s %s: g(±B) = %v, %v; want ±%v", dt, name, y[0], y[N-1], B)
			}
		}
	}
}
