package fuzzcheck

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// TransformerTarget is a scalar map to fuzz: N elements per run, each with its own input and
// raw parameters.
type TransformerTarget struct {
	Name string
	T    transformer.Transformer
	// N is the number of scalars per run (default 16).
	N int
	// DType is Float64 (default) or Float32.
	DType dtypes.DType
	// Input is where the forward input x is drawn; Params where every raw parameter is, unless
	// ParamRange is set: then raw parameter j (0 <= j < NumParams) is drawn in ParamRange(j).
	Input, Params Range
	ParamRange    func(j int) Range
	// Domain, when set, is the interval the map is defined on (piecewise-linear: [0, 1]);
	// OutOfDomain inputs are then drawn outside it for about one element in eight.
	Domain *[2]float64
	// Smooth says the derivative is continuous, so the log-determinants are checked.
	Smooth bool
	// BackwardTol bounds |f(f⁻¹(y)) - y| / (1 + |y| + |x|·f'(x)) (default 1e-12 in float64, 1e-5
	// in float32); RoundTripTol bounds the round-trip error relative to the conditioning
	// 1 + |x| + (1 + |y|)·max(1/f'(x), (f⁻¹)'(y)) (default 1e-12 / 1e-5), except across a
	// numerically flat region; LogDetTol bounds |log f'(x') + log (f⁻¹)'(y)| / (1 + |log (f⁻¹)'|)
	// (default 1e-8 / 1e-3). See checkRoundTrip.
	BackwardTol, RoundTripTol, LogDetTol float64
}

func (t *TransformerTarget) defaults() {
	if t.N == 0 {
		t.N = 16
	}
	if t.DType == dtypes.InvalidDType {
		t.DType = dtypes.Float64
	}
	f32 := t.DType == dtypes.Float32
	def := func(v *float64, d64, d32 float64) {
		if *v == 0 {
			*v = d64
			if f32 {
				*v = d32
			}
		}
	}
	def(&t.BackwardTol, 1e-12, 1e-5)
	def(&t.RoundTripTol, 1e-12, 1e-5)
	def(&t.LogDetTol, 1e-8, 1e-3)
}

// TransformerHarness runs one TransformerTarget through a graph compiled once.
type TransformerHarness struct {
	t    TransformerTarget
	exec *Exec
}

// NewTransformerHarness compiles t's check graph: forward, inverse of the output, and forward
// again at the round-trip point.
func NewTransformerHarness(t TransformerTarget) (*TransformerHarness, error) {
	t.defaults()
	if t.T == nil {
		return nil, fmt.Errorf("fuzzcheck: target %q has no transformer", t.Name)
	}
	b, err := backend.Shared()
	if err != nil {
		return nil, err
	}
	exec, err := NewExec(b, func(x, p *Node) []*Node {
		y, ldF := t.T.Forward(x, p)
		xr, ldI := t.T.Inverse(y, p)
		y2, ldF2 := t.T.Forward(xr, p)
		ym, _ := t.T.Forward(DivScalar(Add(x, xr), 2), p)
		return []*Node{y, ldF, xr, ldI, y2, ldF2, ym}
	})
	if err != nil {
		return nil, err
	}
	return &TransformerHarness{t: t, exec: exec}, nil
}

// InputLen is the number of fuzz bytes that set every value of one run.
func (h *TransformerHarness) InputLen() int {
	n := h.t.N * (1 + h.t.T.NumParams())
	if h.t.Domain != nil {
		return 3*n + h.t.N
	}
	return 3 * n
}

// Check decodes data into inputs and parameters, runs the graph and checks the invariant.
func (h *TransformerHarness) Check(data []byte) error {
	t := h.t
	N, P := t.N, t.T.NumParams()
	d := NewDecoder(data)
	x := make([]float64, N)
	outside := make([]bool, N)
	for i := range x {
		x[i] = d.Value(t.Input)
		if t.Domain != nil && d.Byte()%8 == 7 {
			// Out of the domain, by a typical or an extreme amount.
			gap := math.Abs(d.Value(Range{Lo: -1e30, Hi: 1e30, Typical: 1, Specials: []float64{1e-12, 1}}))
			if gap == 0 {
				gap = 1e-9
			}
			x[i] = outsideBy(t.Domain, gap, d.Byte()%2 == 0, t.DType)
			outside[i] = true
		}
	}
	p := make([]float64, N*P)
	for k := range p {
		r := t.Params
		if t.ParamRange != nil {
			r = t.ParamRange(k % P)
		}
		p[k] = d.Value(r)
	}
	xT, pT := h.tensor(x, N), h.tensor(p, N, P)
	outs, err := h.exec.Exec(xT, pT)
	if err != nil {
		return fmt.Errorf("%s: running the graph: %w", t.Name, err)
	}
	vals := make([][]float64, len(outs))
	for i, o := range outs {
		vals[i] = flowkit.Float64s(o)
		o.FinalizeAll()
	}
	y, ldF, xr, ldI, y2, ldF2, ym := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	// Inputs as the graph saw them (rounded to float32 for float32 targets).
	xs := flowkit.Float64s(xT)
	for i := 0; i < N; i++ {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s: element %d, x=%v, raw params %v: %s\n  y=%v log f'=%v  x'=f⁻¹(y)=%v log (f⁻¹)'=%v  f(x')=%v log f'(x')=%v",
				t.Name, i, xs[i], p[i*P:(i+1)*P], fmt.Sprintf(format, args...), y[i], ldF[i], xr[i], ldI[i], y2[i], ldF2[i])
		}
		for k, v := range []float64{y[i], ldF[i], xr[i], ldI[i], y2[i], ldF2[i]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fail("output %d (%s) is not finite", k, []string{"y", "log f'", "x'", "log (f⁻¹)'", "f(x')", "log f'(x')"}[k])
			}
		}
		if t.Domain != nil {
			// The output must pass the host-side domain check (or the flow's own samples would
			// be rejected by Model.LogProb); an out-of-domain input must fail it.
			for _, v := range []float64{y[i], xr[i], y2[i]} {
				if !inDomain(v, t.Domain, t.DType) {
					return fail("an output is outside the domain [%g, %g] (beyond rounding), so flowkit.CheckDomain rejects it",
						t.Domain[0], t.Domain[1])
				}
			}
			if outside[i] {
				if inDomain(xs[i], t.Domain, t.DType) {
					return fail("flowkit.CheckDomain accepted an input outside [%g, %g]", t.Domain[0], t.Domain[1])
				}
				continue
			}
		}
		if err := checkRoundTrip(xs[i], y[i], ldF[i], xr[i], ldI[i], y2[i], ldF2[i], ym[i], t.Smooth,
			t.BackwardTol, t.RoundTripTol, t.LogDetTol); err != "" {
			return fail("%s", err)
		}
	}
	return nil
}

// checkRoundTrip is the invariant for one scalar x of a monotone map f, given y = f(x), the
// inverse x' = f⁻¹(y), f(x') and f at the midpoint (x + x')/2, and the log-derivatives. It
// returns "" or what failed:
//
//   - backward error: |f(x') - y| <= backTol·(1 + |y| + |x|·f'(x)), the rounding f itself
//     makes at x (its terms can be much larger than y, as in y = x·e^s + t with x·e^s ≈ -t);
//   - round trip: |x' - x| <= rtTol·(1 + |x| + (1 + |y|)·max(1/f'(x), (f⁻¹)'(y))), unless f is
//     numerically flat between x and x' (both are preimages of y; a bin of a spline can have
//     a mass of 1e-140): then f at the midpoint must lie between y and f(x') (monotonicity);
//   - log-dets (smooth maps only): |log f'(x') + log (f⁻¹)'(y)| <= ldTol·(1 + |log (f⁻¹)'(y)|).
func checkRoundTrip(x, y, ldF, xr, ldI, y2, ldF2, ym float64, smooth bool, backTol, rtTol, ldTol float64) string {
	scale := 1 + math.Abs(y) + math.Abs(x)*math.Exp(ldF)
	if e := math.Abs(y2 - y); e > backTol*scale {
		return fmt.Sprintf("backward error |f(f⁻¹(y)) - y| = %.3g > %.3g", e, backTol*scale)
	}
	cond := 1 + math.Abs(x) + (1+math.Abs(y))*math.Max(math.Exp(-ldF), math.Exp(ldI))
	if e := math.Abs(xr - x); e > rtTol*cond {
		lo, hi := math.Min(y, y2)-backTol*scale, math.Max(y, y2)+backTol*scale
		if ym < lo || ym > hi {
			return fmt.Sprintf("round trip |f⁻¹(f(x)) - x| = %.3g > %.3g (conditioning %.3g), and f((x+x')/2) = %v is not "+
				"between f(x) and f(x'): not a flat region", e, rtTol*cond, cond, ym)
		}
	}
	if smooth {
		if e := math.Abs(ldF2 + ldI); e > ldTol*(1+math.Abs(ldI)) {
			return fmt.Sprintf("log-det mismatch |log f'(x') + log (f⁻¹)'(y)| = %.3g > %.3g", e, ldTol*(1+math.Abs(ldI)))
		}
	}
	return ""
}

// outsideBy returns a value gap below the domain (or above it), and at least a rounding
// tolerance (flowkit.DomainSlack units in the last place of dt) away, so it is out of the
// domain for flowkit.CheckDomain also after rounding to dt.
func outsideBy(domain *[2]float64, gap float64, below bool, dt dtypes.DType) float64 {
	eps := 0x1p-52
	if dt == dtypes.Float32 {
		eps = 0x1p-23
	}
	bound := domain[1]
	if below {
		bound = domain[0]
	}
	gap = math.Max(gap, 2*(flowkit.DomainSlack+1)*eps*math.Max(1, math.Abs(bound)))
	if below {
		return bound - gap
	}
	return bound + gap
}

// inDomain reports whether v passes flowkit.CheckDomain for the domain, in dtype dt.
func inDomain(v float64, domain *[2]float64, dt dtypes.DType) bool {
	var t *tensors.Tensor
	if dt == dtypes.Float32 {
		t = tensors.FromFlatDataAndDimensions([]float32{float32(v)}, 1, 1)
	} else {
		t = tensors.FromFlatDataAndDimensions([]float64{v}, 1, 1)
	}
	return flowkit.CheckDomain("v", t, domain[0], domain[1]) == nil
}

func (h *TransformerHarness) tensor(v []float64, dims ...int) *tensors.Tensor {
	if h.t.DType == dtypes.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...)
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
}

// String names the target.
func (h *TransformerHarness) String() string {
	return fmt.Sprintf("fuzzcheck %s (%s, %s, N=%d)", h.t.Name, h.t.T.Name(), strings.ToLower(h.t.DType.String()), h.t.N)
}
