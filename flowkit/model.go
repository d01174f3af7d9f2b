package flowkit

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model binds a Flow to a backend and a store of variables, and offers its operations on host
// data with validated inputs: the entry point for Go programs and notebooks. Methods return
// errors naming the bad argument (shape, dimension, NaN/Inf, out of domain, empty batch,
// non-positive counts or temperatures; see ArgError) rather than panicking, and a panic while
// building or running a graph comes back as an error too. The flow's variables live under the
// scope "flow" of Store. A Model is not safe for concurrent use.
type Model struct {
	Flow    *Flow
	Store   *model.Store
	Backend compute.Backend
	// DType is the dtype the model computes in: Float32 (default) or Float64.
	DType dtypes.DType
	// CondDim is the size of the conditioning input, 0 for an unconditional flow.
	CondDim int

	logProb, latent, generate, tempered, trace *model.Exec
	traceNames                                 [][2]string // scope, name of each traced layer
}

// MaxSampleElements bounds n × (values per example) in one Sample call (2²⁸ values, 1 GiB in
// float32), so a mistyped count gives an error instead of exhausting memory.
const MaxSampleElements = 1 << 28

// ModelOption configures NewModel.
type ModelOption func(*Model) error

// WithBackend runs the model on b instead of backend.Shared().
func WithBackend(b compute.Backend) ModelOption {
	return func(m *Model) error {
		if b == nil {
			return argErr("backend", "a compute.Backend", "nil", "WithBackend: backend is nil, want a compute.Backend (or omit the option)")
		}
		m.Backend = b
		return nil
	}
}

// WithDType sets the computation dtype (dtypes.Float32 or dtypes.Float64).
func WithDType(dt dtypes.DType) ModelOption {
	return func(m *Model) error {
		if dt != dtypes.Float32 && dt != dtypes.Float64 {
			return argErr("dtype", "Float32 or Float64", dt.String(),
				"WithDType: dtype %s is not supported, want Float32 or Float64", dt)
		}
		m.DType = dt
		return nil
	}
}

// WithCond declares a conditional flow whose conditioning input has dim features.
func WithCond(dim int) ModelOption {
	return func(m *Model) error {
		if dim < 0 {
			return argErr("cond dim", ">= 0", fmt.Sprint(dim), "WithCond: cond dim (the conditioning size) is %d, want >= 0", dim)
		}
		m.CondDim = dim
		return nil
	}
}

// WithStore uses an existing store (e.g. one loaded from a checkpoint).
func WithStore(s *model.Store) ModelOption {
	return func(m *Model) error {
		if s == nil {
			return argErr("store", "a *model.Store", "nil", "WithStore: store is nil, want a *model.Store (or omit the option)")
		}
		m.Store = s
		return nil
	}
}

// WithSeed seeds the model's random number generator (sampling, initialisation).
func WithSeed(seed int64) ModelOption {
	return func(m *Model) error { return m.Seed(seed) }
}

// NewModel returns a Model for flow f. By default it runs on backend.Shared() in float32 with a
// new store seeded with 42.
func NewModel(f *Flow, opts ...ModelOption) (*Model, error) {
	if f == nil || f.Base == nil || f.Transform == nil {
		return nil, argErr("flow", "a base distribution and a transform", "nil parts",
			"the flow needs a base distribution and a transform, got nil parts")
	}
	event := f.EventShape()
	if len(event) == 0 {
		return nil, argErr("flow", "at least one axis", "[]",
			"the flow's base distribution %s has an empty event shape []; want at least one axis, e.g. StandardNormal(2)", NameOf(f.Base))
	}
	for _, d := range event {
		if d <= 0 {
			return nil, argErr("flow", "positive dimensions", fmt.Sprint(event),
				"the flow's event shape %v has a non-positive dimension; want positive dimensions", event)
		}
	}
	m := &Model{Flow: f, DType: dtypes.Float32, Store: model.NewStore()}
	if err := m.Store.SetRNGStateFromSeed(42); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(m); err != nil {
			return nil, inFunc("NewModel", err)
		}
	}
	if m.Backend == nil {
		b, err := backend.Shared()
		if err != nil {
			return nil, err
		}
		m.Backend = b
	}
	return m, nil
}

// Seed resets the model's random number generator.
func (m *Model) Seed(seed int64) error { return m.Store.SetRNGStateFromSeed(seed) }

// Scope returns the scope the flow's variables live in.
func (m *Model) Scope() *model.Scope { return m.Store.RootScope().At("flow") }

// FlowScope returns, for a graph-building function given the root scope s, the scope of the flow.
func FlowScope(s *model.Scope) *model.Scope { return s.At("flow") }

// EventShape is the shape of one example.
func (m *Model) EventShape() []int { return m.Flow.EventShape() }

// Dims is the number of dimensions of one example.
func (m *Model) Dims() int { return eventSize(m.EventShape()) }

// guard turns a panic in an entry point into an error naming the entry point.
func guard(fn string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("flowkit: %s: %v", fn, r)
	}
}

// check reports a Model that was not built by NewModel (or lost its parts).
func (m *Model) check(fn string) error {
	if m == nil || m.Flow == nil || m.Flow.Base == nil || m.Flow.Transform == nil || m.Store == nil || m.Backend == nil {
		return &ArgError{Func: fn, Arg: "model", Want: "a Model from NewModel", Got: "nil or incomplete",
			Msg: "model is nil or incomplete (flow, store or backend missing), want a Model from NewModel"}
	}
	return nil
}

// Input converts and validates x as this model's data: shape, finiteness and, for flows on a
// bounded domain, the domain. name names the argument in errors.
func (m *Model) Input(name string, x any) (t *tensors.Tensor, err error) {
	defer guard("Model.Input", &err)
	if err := m.check("Model.Input"); err != nil {
		return nil, err
	}
	return m.input("Model.Input", name, x)
}

func (m *Model) input(fn, name string, x any) (*tensors.Tensor, error) {
	t, err := ToTensor(name, x, m.EventShape(), m.DType)
	if err != nil {
		return nil, inFunc(fn, err)
	}
	if lo, hi, ok := InputDomain(m.Flow.Transform); ok {
		if err := CheckDomain(name, t, lo, hi); err != nil {
			return nil, inFunc(fn, err)
		}
	}
	return t, nil
}

// Cond converts and validates a conditioning input for a batch of n examples: nil (or a nil
// slice) for an unconditional model, n rows of CondDim finite values otherwise.
func (m *Model) Cond(cond any, n int) (c *tensors.Tensor, err error) {
	defer guard("Model.Cond", &err)
	if err := m.check("Model.Cond"); err != nil {
		return nil, err
	}
	return m.cond("Model.Cond", cond, n)
}

func (m *Model) cond(fn string, cond any, n int) (*tensors.Tensor, error) {
	if m.CondDim == 0 {
		if !isAbsent(cond) {
			return nil, &ArgError{Func: fn, Arg: "cond", Want: "nil", Got: fmt.Sprintf("a %T", cond),
				Msg: fmt.Sprintf("cond given (a %T), but the model is unconditional: want nil (or build the model WithCond)", cond)}
		}
		return nil, nil
	}
	if isAbsent(cond) {
		return nil, &ArgError{Func: fn, Arg: "cond", Want: fmt.Sprintf("[%d, %d]", n, m.CondDim), Got: "nil",
			Msg: fmt.Sprintf("cond is missing: the model is conditional on %d features; want cond of shape [%d, %d], got nil", m.CondDim, n, m.CondDim)}
	}
	c, err := ToTensor("cond", cond, []int{m.CondDim}, m.DType)
	if err != nil {
		return nil, inFunc(fn, err)
	}
	if c.Shape().Dimensions[0] != n {
		return nil, &ArgError{Func: fn, Arg: "cond", Want: fmt.Sprintf("one per example (%d)", n), Got: fmt.Sprintf("%d rows", c.Shape().Dimensions[0]),
			Msg: fmt.Sprintf("cond has %d rows, want one per example (%d)", c.Shape().Dimensions[0], n)}
	}
	return c, nil
}

// inputs validates data x and its conditioning input together.
func (m *Model) inputs(fn string, x, cond any) (xt, ct *tensors.Tensor, err error) {
	if err := m.check(fn); err != nil {
		return nil, nil, err
	}
	if xt, err = m.input(fn, "x", x); err != nil {
		return nil, nil, err
	}
	if ct, err = m.cond(fn, cond, xt.Shape().Dimensions[0]); err != nil {
		return nil, nil, err
	}
	return xt, ct, nil
}

func (m *Model) args(x, c *tensors.Tensor) []any {
	if c == nil {
		return []any{x}
	}
	return []any{x, c}
}

func condOf(inputs []*Node, i int) *Node {
	if len(inputs) > i {
		return inputs[i]
	}
	return nil
}

// LogProb returns log p(x) in nats for each example of x (eq. 16.3). cond is the conditioning
// input for conditional models and must be nil otherwise.
func (m *Model) LogProb(x any, cond any) (lp []float64, err error) {
	defer guard("Model.LogProb", &err)
	xt, ct, err := m.inputs("Model.LogProb", x, cond)
	if err != nil {
		return nil, err
	}
	if m.logProb == nil {
		m.logProb, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) *Node {
			return m.Flow.LogProb(FlowScope(s), inputs[0], condOf(inputs, 1))
		})
		if err != nil {
			return nil, err
		}
	}
	out, err := m.logProb.Exec(m.args(xt, ct)...)
	if err != nil {
		return nil, fmt.Errorf("flowkit: Model.LogProb: %w", err)
	}
	return Float64s(out[0]), nil
}

// NLL returns the mean negative log-likelihood of x in nats per example.
func (m *Model) NLL(x any, cond any) (float64, error) {
	lp, err := m.LogProb(x, cond)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for _, v := range lp {
		sum -= v
	}
	return sum / float64(len(lp)), nil
}

// sampleArgs validates a sample count and the conditioning input.
func (m *Model) sampleArgs(fn string, n int, cond any) (*tensors.Tensor, error) {
	if err := m.check(fn); err != nil {
		return nil, err
	}
	if err := CheckCount("n", n, MaxSampleElements/max(1, m.Dims())); err != nil {
		return nil, inFunc(fn, err)
	}
	return m.cond(fn, cond, n)
}

// Sample draws n examples, returned as a tensor [n, event...], and their log-densities.
func (m *Model) Sample(n int, cond any) (x *tensors.Tensor, logProb []float64, err error) {
	defer guard("Model.Sample", &err)
	ct, err := m.sampleArgs("Model.Sample", n, cond)
	if err != nil {
		return nil, nil, err
	}
	if m.generate == nil {
		m.generate, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) []*Node {
			// inputs[0] is a dummy [n] vector that carries the sample count as a shape.
			g := inputs[0].Graph()
			x, lp := m.Flow.SampleAndLogProb(FlowScope(s), g, m.DType, inputs[0].Shape().Dimensions[0], condOf(inputs, 1))
			return []*Node{x, lp}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	dummy := tensors.FromShape(shapesOf(m.DType, n))
	out, err := m.generate.Exec(m.args(dummy, ct)...)
	if err != nil {
		return nil, nil, fmt.Errorf("flowkit: Model.Sample: %w", err)
	}
	return out[0], Float64s(out[1]), nil
}

// SampleWithTemperature draws n examples at temperature T > 0: the latent is drawn from the
// Gaussian base with its standard deviation multiplied by T (z = μ + T·σ·ε), which is the base
// density raised to the power 1/T² and renormalised, then pushed through the generative
// direction. T = 1 is Sample; T < 1 gives the cleaner, less diverse samples of Glow's
// "reduced temperature". The returned log-densities are those of the model itself
// (untempered), log p(x), at the drawn x. The base must be Normal or DiagNormal.
func (m *Model) SampleWithTemperature(n int, T float64, cond any) (x *tensors.Tensor, logProb []float64, err error) {
	const fn = "Model.SampleWithTemperature"
	defer guard(fn, &err)
	if err := CheckTemperature(T); err != nil {
		return nil, nil, inFunc(fn, err)
	}
	ct, err := m.sampleArgs(fn, n, cond)
	if err != nil {
		return nil, nil, err
	}
	switch m.Flow.Base.(type) {
	case *Normal, *DiagNormal:
	default:
		return nil, nil, &ArgError{Func: fn, Arg: "temperature", Want: "a Normal or DiagNormal base", Got: NameOf(m.Flow.Base),
			Msg: fmt.Sprintf("temperature is defined for a Gaussian base: want a Normal or DiagNormal base, got %s", NameOf(m.Flow.Base))}
	}
	if m.tempered == nil {
		m.tempered, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) []*Node {
			g := inputs[0].Graph()
			temp := inputs[1]
			fs := FlowScope(s)
			z := m.Flow.Base.Sample(m.Flow.baseScope(fs), g, m.DType, inputs[0].Shape().Dimensions[0], condOf(inputs, 2))
			switch b := m.Flow.Base.(type) {
			case *Normal:
				z = Mul(z, temp)
			case *DiagNormal:
				loc, _ := b.params(m.Flow.baseScope(fs), g, m.DType)
				z = Add(loc, Mul(Sub(z, loc), temp))
			}
			x, lp := m.Flow.Generate(fs, z, condOf(inputs, 2))
			return []*Node{x, lp}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	dummy := tensors.FromShape(shapesOf(m.DType, n))
	var tt *tensors.Tensor
	if m.DType == dtypes.Float64 {
		tt = tensors.FromScalar(T)
	} else {
		tt = tensors.FromScalar(float32(T))
	}
	args := []any{dummy, tt}
	if ct != nil {
		args = append(args, ct)
	}
	out, err := m.tempered.Exec(args...)
	if err != nil {
		return nil, nil, fmt.Errorf("flowkit: %s: %w", fn, err)
	}
	return out[0], Float64s(out[1]), nil
}

// SampleRows is Sample for vector flows, returning the samples as rows of float64.
func (m *Model) SampleRows(n int, cond any) (rows [][]float64, err error) {
	defer guard("Model.SampleRows", &err)
	x, _, err := m.Sample(n, cond)
	if err != nil {
		return nil, err
	}
	return Rows(x), nil
}

// Latent returns z = f⁻¹(x), the normalizing direction, as a tensor [batch, event...].
func (m *Model) Latent(x any, cond any) (z *tensors.Tensor, err error) {
	defer guard("Model.Latent", &err)
	xt, ct, err := m.inputs("Model.Latent", x, cond)
	if err != nil {
		return nil, err
	}
	if m.latent == nil {
		m.latent, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) *Node {
			z, _ := m.Flow.Latent(FlowScope(s), inputs[0], condOf(inputs, 1))
			return z
		})
		if err != nil {
			return nil, err
		}
	}
	out, err := m.latent.Exec(m.args(xt, ct)...)
	if err != nil {
		return nil, fmt.Errorf("flowkit: Model.Latent: %w", err)
	}
	return out[0], nil
}

// LayerTrace describes one stage of the normalizing pass x → z → log p(x) run by Model.Trace.
type LayerTrace struct {
	// Stage is 0 for the data, then 1, 2, … for each bijector in the order the inverse applies
	// them (the last bijector of a chain first), then one more for the base log-density.
	Stage int
	// Scope is the variable scope of the stage's bijector, e.g.
	// "/flow/transform/02_Elementwise_Affine_bound=5__": the scope of its variables. "data" for
	// the first stage, the base distribution's scope ("/flow/base") for the last.
	Scope string
	// Name is the bijector's name (NameOf), "data" or "base log-density".
	Name string
	// NonFinite counts NaN or ±Inf values in the stage's output; NonFiniteLogDet those in its
	// log-determinant [batch].
	NonFinite, NonFiniteLogDet int
	// MaxAbs is the largest finite |value| of the output.
	MaxAbs float64
}

// OK reports whether the stage's output and log-determinant are finite.
func (l LayerTrace) OK() bool { return l.NonFinite == 0 && l.NonFiniteLogDet == 0 }

// String describes the stage in one line.
func (l LayerTrace) String() string {
	return fmt.Sprintf("stage %d %s (%s): %d non-finite outputs, %d non-finite log-dets, max |value| %.3g",
		l.Stage, l.Scope, l.Name, l.NonFinite, l.NonFiniteLogDet, l.MaxAbs)
}

// FirstNonFinite returns the first stage of a trace whose output or log-determinant is not
// finite: the layer where the numbers broke.
func FirstNonFinite(trace []LayerTrace) (LayerTrace, bool) {
	for _, l := range trace {
		if !l.OK() {
			return l, true
		}
	}
	return LayerTrace{}, false
}

type tracedNode struct {
	scope, name string
	out, ld     *Node
}

// traceDirection applies b (its inverse when inverse is set) to x, walking into chains and
// inversions, and records every leaf bijector's output and log-determinant.
func traceDirection(s *model.Scope, b Bijector, x, cond *Node, inverse bool, out *[]tracedNode) *Node {
	switch v := b.(type) {
	case *Chain:
		n := len(v.Bijectors)
		for k := 0; k < n; k++ {
			i := k
			if inverse {
				i = n - 1 - k
			}
			x = traceDirection(v.Scope(s, i), v.Bijectors[i], x, cond, inverse, out)
		}
		return x
	case *inverted:
		return traceDirection(s, v.b, x, cond, !inverse, out)
	}
	var y, ld *Node
	if inverse {
		y, ld = b.Inverse(s, x, cond)
	} else {
		y, ld = b.Forward(s, x, cond)
	}
	*out = append(*out, tracedNode{scope: s.Scope(), name: NameOf(b), out: y, ld: ld})
	return y
}

// Trace runs the normalizing direction on x one bijector at a time (looking into chains and
// inversions) and reports, per stage, how many outputs and log-determinants are not finite and
// the largest finite magnitude. FirstNonFinite on the result names the layer where a NaN or Inf
// first appears: the diagnosis fit.MLE prints when a training step goes non-finite.
func (m *Model) Trace(x any, cond any) (trace []LayerTrace, err error) {
	const fn = "Model.Trace"
	defer guard(fn, &err)
	xt, ct, err := m.inputs(fn, x, cond)
	if err != nil {
		return nil, err
	}
	if m.trace == nil {
		m.trace, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) *Node {
			x, c := inputs[0], condOf(inputs, 1)
			fs := FlowScope(s)
			var items []tracedNode
			z := traceDirection(m.Flow.transformScope(fs), m.Flow.Transform, x, c, true, &items)
			bs := m.Flow.baseScope(fs)
			items = append([]tracedNode{{scope: "data", name: "data", out: x}}, items...)
			items = append(items, tracedNode{scope: bs.Scope(), name: "base log-density", out: m.Flow.Base.LogProb(bs, z, c)})
			names := make([][2]string, len(items))
			var stats []*Node
			f64 := dtypes.Float64
			for i, it := range items {
				names[i] = [2]string{it.scope, it.name}
				stats = append(stats, countNonFinite(it.out))
				if it.ld != nil {
					stats = append(stats, countNonFinite(it.ld))
				} else {
					stats = append(stats, ScalarZero(x.Graph(), f64))
				}
				fin := IsFinite(it.out)
				stats = append(stats, ConvertDType(ReduceAllMax(Where(fin, Abs(it.out), ZerosLike(it.out))), f64))
			}
			m.traceNames = names
			return Stack(stats, 0)
		})
		if err != nil {
			return nil, err
		}
	}
	out, err := m.trace.Exec(m.args(xt, ct)...)
	if err != nil {
		return nil, fmt.Errorf("flowkit: %s: %w", fn, err)
	}
	v := tensors.MustCopyFlatData[float64](out[0])
	trace = make([]LayerTrace, len(m.traceNames))
	for i, nm := range m.traceNames {
		trace[i] = LayerTrace{Stage: i, Scope: nm[0], Name: nm[1],
			NonFinite: int(v[3*i]), NonFiniteLogDet: int(v[3*i+1]), MaxAbs: v[3*i+2]}
	}
	return trace, nil
}

func countNonFinite(v *Node) *Node {
	return ReduceAllSum(ConvertDType(LogicalNot(IsFinite(v)), dtypes.Float64))
}

// VariableShapes returns the path and shape of every variable the flow creates (its parameters
// and those of a learnable base, under "/flow/"), found by building the density graph on a
// scratch store: what a checkpoint for this model must hold. The model's own store is not
// touched.
func (m *Model) VariableShapes() (vars map[string]shapes.Shape, err error) {
	const fn = "Model.VariableShapes"
	defer guard(fn, &err)
	if err := m.check(fn); err != nil {
		return nil, err
	}
	scratch := model.NewStore()
	exec, err := model.NewExec(m.Backend, scratch, func(s *model.Scope, inputs []*Node) *Node {
		return m.Flow.LogProb(FlowScope(s), inputs[0], condOf(inputs, 1))
	})
	if err != nil {
		return nil, err
	}
	in := []shapes.Shape{shapes.Make(m.DType, append([]int{1}, m.EventShape()...)...)}
	if m.CondDim > 0 {
		in = append(in, shapes.Make(m.DType, 1, m.CondDim))
	}
	if _, err := exec.Compile(in...); err != nil {
		return nil, fmt.Errorf("flowkit: %s: %w", fn, err)
	}
	vars = map[string]shapes.Shape{}
	for v := range scratch.IterVariables() {
		vars[v.Path()] = v.Shape()
	}
	exec.Finalize()
	scratch.Finalize()
	return vars, nil
}

// Rows converts a tensor [n, event...] to n rows of float64 (the event flattened).
func Rows(t *tensors.Tensor) [][]float64 {
	flat := Float64s(t)
	n := t.Shape().Dimensions[0]
	if n == 0 {
		return [][]float64{}
	}
	D := len(flat) / n
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[i*D : (i+1)*D : (i+1)*D]
	}
	return rows
}

// Float64s returns a Float32 or Float64 tensor's values as float64, flattened.
func Float64s(t *tensors.Tensor) []float64 {
	if t.DType() == dtypes.Float64 {
		return tensors.MustCopyFlatData[float64](t)
	}
	f32 := tensors.MustCopyFlatData[float32](t)
	out := make([]float64, len(f32))
	for i, f := range f32 {
		out[i] = float64(f)
	}
	return out
}
