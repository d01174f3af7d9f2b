package fuzzcheck

import (
	"fmt"
	"math"
	"sort"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BijectorTarget is a bijector to fuzz: every run sets all its trainable variables and a batch
// of inputs from the fuzz bytes.
type BijectorTarget struct {
	Name string
	// New builds the bijector (called once).
	New func() flowkit.Bijector
	// Event is the shape of one example (default [2]); Batch the examples per run (default 4);
	// Cond the size of a conditioning input drawn in Input's range (0 for none).
	Event       []int
	Batch, Cond int
	// DType is Float64 (default) or Float32.
	DType dtypes.DType
	// Input is where the forward inputs are drawn, Params where every element of every
	// trainable variable is.
	Input, Params Range
	// Domain, when set, is the interval of the data side (what Inverse accepts and Forward
	// returns; by default flowkit.InputDomain of the bijector): Forward's outputs must pass
	// flowkit.CheckDomain on it, or the flow's own samples would be rejected by Model.LogProb.
	Domain *[2]float64
	// Latent is the interval Forward's inputs are drawn from. By default it is Domain (the
	// bounded bijectors so far, piecewise-linear ones, map their interval onto itself); set it
	// to {-Inf, +Inf} for maps from the whole line into an interval (a sigmoid). When it is
	// bounded, about one example in eight gets an element outside it: it must be rejected by
	// flowkit.CheckDomain and give finite outputs.
	Latent *[2]float64
	// Smooth says the Jacobian is continuous, so log-determinants are compared.
	Smooth bool
	// Tolerances as in TransformerTarget, with the example's largest magnitudes and its
	// log-determinant standing in for each element's: the backward error is scaled by
	// 1 + max|x| + max|z|·e^{|log det|}, the round trip by the conditioning
	// 1 + max|z| + (1 + max|x|)·e^{|log det|}, and is waived where f is numerically flat.
	BackwardTol, RoundTripTol, LogDetTol float64
}

// BijectorHarness runs one BijectorTarget through a graph compiled once.
type BijectorHarness struct {
	t      BijectorTarget
	store  *model.Store
	vars   []*model.Variable
	sizes  []int
	exec   *model.Exec
	d      int
	domain *[2]float64 // data side
	latent *[2]float64 // Forward's inputs; nil when unbounded
}

// NewBijectorHarness builds the bijector, creates its variables with one forward pass, and
// compiles the check graph (forward, inverse of the output, forward at the round-trip point).
func NewBijectorHarness(t BijectorTarget) (*BijectorHarness, error) {
	tt := TransformerTarget{DType: t.DType, BackwardTol: t.BackwardTol, RoundTripTol: t.RoundTripTol, LogDetTol: t.LogDetTol}
	tt.defaults()
	t.DType, t.BackwardTol, t.RoundTripTol, t.LogDetTol = tt.DType, tt.BackwardTol, tt.RoundTripTol, tt.LogDetTol
	if len(t.Event) == 0 {
		t.Event = []int{2}
	}
	if t.Batch == 0 {
		t.Batch = 4
	}
	if t.New == nil {
		return nil, fmt.Errorf("fuzzcheck: target %q has no constructor", t.Name)
	}
	b := t.New()
	h := &BijectorHarness{t: t, store: model.NewStore(), d: 1, domain: t.Domain, latent: t.Latent}
	for _, e := range t.Event {
		h.d *= e
	}
	if h.domain == nil {
		if lo, hi, ok := flowkit.InputDomain(b); ok {
			h.domain = &[2]float64{lo, hi}
		}
	}
	if h.latent == nil {
		h.latent = h.domain
	}
	if h.latent != nil && (math.IsInf(h.latent[0], -1) && math.IsInf(h.latent[1], 1)) {
		h.latent = nil
	}
	if h.latent != nil && (t.Input.Lo < h.latent[0] || t.Input.Hi > h.latent[1]) {
		// In-domain inputs are drawn inside the interval; Check adds the out-of-domain ones.
		lo, hi := h.latent[0], h.latent[1]
		specials := []float64{lo, hi, 0.5 * (lo + hi)}
		for _, s := range t.Input.Specials {
			if s >= lo && s <= hi {
				specials = append(specials, s)
			}
		}
		h.t.Input = Range{Lo: lo, Hi: hi, Typical: 0.5 * (hi - lo), Specials: specials}
	}
	be, err := backend.Shared()
	if err != nil {
		return nil, err
	}
	condOf := func(in []*Node) *Node {
		if t.Cond > 0 {
			return in[1]
		}
		return nil
	}
	init, err := model.NewExec(be, h.store, func(s *model.Scope, in []*Node) *Node {
		x, _ := b.Forward(s, in[0], condOf(in))
		return x
	})
	if err != nil {
		return nil, err
	}
	z0 := make([]float64, t.Batch*h.d)
	if h.latent != nil {
		for i := range z0 {
			z0[i] = 0.5 * (h.latent[0] + h.latent[1])
		}
	}
	if _, err := init.Exec(h.args(z0, make([]float64, t.Batch*t.Cond))...); err != nil {
		return nil, fmt.Errorf("fuzzcheck %s: creating the variables: %w", t.Name, err)
	}
	for v := range h.store.IterVariables() {
		if v.Trainable && v.DType().IsFloat() {
			h.vars = append(h.vars, v)
		}
	}
	sort.Slice(h.vars, func(i, j int) bool { return h.vars[i].Path() < h.vars[j].Path() })
	for _, v := range h.vars {
		h.sizes = append(h.sizes, v.Shape().Size())
	}
	h.exec, err = model.NewExec(be, h.store, func(s *model.Scope, in []*Node) []*Node {
		c := condOf(in)
		x, ldF := b.Forward(s, in[0], c)
		zr, ldI := b.Inverse(s, x, c)
		x2, ldF2 := b.Forward(s, zr, c)
		xm, _ := b.Forward(s, DivScalar(Add(in[0], zr), 2), c)
		return []*Node{x, ldF, zr, ldI, x2, ldF2, xm}
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (h *BijectorHarness) tensor(v []float64, dims ...int) *tensors.Tensor {
	if h.t.DType == dtypes.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...)
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
}

func (h *BijectorHarness) args(z, c []float64) []any {
	a := []any{h.tensor(z, append([]int{h.t.Batch}, h.t.Event...)...)}
	if h.t.Cond > 0 {
		a = append(a, h.tensor(c, h.t.Batch, h.t.Cond))
	}
	return a
}

// InputLen is the number of fuzz bytes that set every value of one run.
func (h *BijectorHarness) InputLen() int {
	n := 0
	for _, s := range h.sizes {
		n += s
	}
	n += h.t.Batch * (h.d + h.t.Cond)
	return 3*n + 2*h.t.Batch
}

// NumParams is the number of trainable values the fuzzer sets.
func (h *BijectorHarness) NumParams() int {
	n := 0
	for _, s := range h.sizes {
		n += s
	}
	return n
}

// Check decodes data into variable values and inputs, runs the graph and checks the invariant.
func (h *BijectorHarness) Check(data []byte) error {
	t := h.t
	d := NewDecoder(data)
	for i, v := range h.vars {
		vals := d.Values(h.sizes[i], t.Params)
		if err := v.SetValue(h.tensor(vals, v.Shape().Dimensions...)); err != nil {
			return fmt.Errorf("%s: setting %s: %w", t.Name, v.Path(), err)
		}
	}
	B, D := t.Batch, h.d
	z := d.Values(B*D, h.t.Input)
	outside := make([]bool, B)
	if h.latent != nil {
		for n := 0; n < B; n++ {
			if d.Byte()%8 == 7 {
				outside[n] = true
				gap := math.Abs(d.Value(Range{Lo: -1e30, Hi: 1e30, Typical: 1, Specials: []float64{1e-12, 1}}))
				if gap == 0 {
					gap = 1e-9
				}
				i := n*D + int(d.Byte())%D
				z[i] = outsideBy(h.latent, gap, d.Byte()%2 == 0, t.DType)
			}
		}
	}
	c := d.Values(B*t.Cond, t.Input)
	args := h.args(z, c)
	zs := flowkit.Float64s(args[0].(*tensors.Tensor))
	outs, err := h.exec.Exec(args...)
	if err != nil {
		return fmt.Errorf("%s: running the graph: %w", t.Name, err)
	}
	vals := make([][]float64, len(outs))
	for i, o := range outs {
		vals[i] = flowkit.Float64s(o)
		o.FinalizeAll()
	}
	x, ldF, zr, ldI, x2, ldF2, xm := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	for n := 0; n < B; n++ {
		row := func(v []float64) []float64 { return v[n*D : (n+1)*D] }
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s: example %d: %s\n  z=%v\n  x=f(z)=%v log det=%v\n  z'=f⁻¹(x)=%v log det⁻¹=%v\n  f(z')=%v log det=%v\n  parameters: %s",
				t.Name, n, fmt.Sprintf(format, args...), row(zs), row(x), ldF[n], row(zr), ldI[n], row(x2), ldF2[n], h.paramSummary())
		}
		for _, v := range [][]float64{row(x), row(zr), row(x2), {ldF[n], ldI[n], ldF2[n]}} {
			for _, f := range v {
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return fail("an output is not finite")
				}
			}
		}
		if outside[n] {
			// Out of the interval: the host check must reject it; the outputs only need to be
			// finite (a coupling passes half its input through unchanged).
			rejected := false
			for _, f := range row(zs) {
				rejected = rejected || !inDomain(f, h.latent, t.DType)
			}
			if !rejected {
				return fail("flowkit.CheckDomain accepted an input outside [%g, %g]", h.latent[0], h.latent[1])
			}
			continue
		}
		if h.domain != nil {
			// Outputs must pass the host-side domain check: they are the flow's samples.
			for _, f := range row(x) {
				if !inDomain(f, h.domain, t.DType) {
					return fail("an output is outside the domain [%g, %g] (beyond rounding), so flowkit.CheckDomain rejects it",
						h.domain[0], h.domain[1])
				}
			}
		}
		maxX, maxZ := 0.0, 0.0
		for i := 0; i < D; i++ {
			maxX = math.Max(maxX, math.Abs(x[n*D+i]))
			maxZ = math.Max(maxZ, math.Abs(zs[n*D+i]))
		}
		// Per element, against the example's largest magnitudes: the backward error
		// f(f⁻¹(x)) - x, scaled by the size of the terms f adds (|x| + |z|·e^{|log det|}); the
		// round trip with the conservative conditioning of the example, unless f is numerically
		// flat between z and z' (f at the midpoint also maps to x).
		grow := math.Exp(math.Max(math.Abs(ldF[n]), math.Abs(ldI[n])))
		scale := 1 + maxX + maxZ*grow
		cond := 1 + maxZ + (1+maxX)*grow
		flat := true
		for i := 0; i < D; i++ {
			k := n*D + i
			if math.Abs(xm[k]-x[k]) > t.BackwardTol*scale {
				flat = false
			}
		}
		for i := 0; i < D; i++ {
			k := n*D + i
			if e := math.Abs(x2[k] - x[k]); e > t.BackwardTol*scale {
				return fail("element %d: backward error |f(f⁻¹(x)) - x| = %.3g > %.3g", i, e, t.BackwardTol*scale)
			}
			if e := math.Abs(zr[k] - zs[k]); e > t.RoundTripTol*cond && !flat {
				return fail("element %d: round trip |f⁻¹(f(z)) - z| = %.3g > %.3g (conditioning %.3g), and f is not flat between z and z'",
					i, e, t.RoundTripTol*cond, cond)
			}
		}
		if t.Smooth {
			if e := math.Abs(ldF2[n] + ldI[n]); e > t.LogDetTol*(1+math.Abs(ldI[n])) {
				return fail("log-det mismatch |log det f(z') + log det f⁻¹(x)| = %.3g > %.3g", e, t.LogDetTol*(1+math.Abs(ldI[n])))
			}
		}
	}
	return nil
}

// paramSummary describes the variables' values briefly for failure messages.
func (h *BijectorHarness) paramSummary() string {
	s := ""
	for _, v := range h.vars {
		val, err := v.Value()
		if err != nil {
			continue
		}
		f := flowkit.Float64s(val)
		if len(f) > 12 {
			s += fmt.Sprintf("%s=%v… ", v.Path(), f[:12])
		} else {
			s += fmt.Sprintf("%s=%v ", v.Path(), f)
		}
	}
	return s
}

// String names the target.
func (h *BijectorHarness) String() string {
	return fmt.Sprintf("fuzzcheck %s (event %v, batch %d, %d parameters)", h.t.Name, h.t.Event, h.t.Batch, h.NumParams())
}
