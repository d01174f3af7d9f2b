package flowkit

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model binds a Flow to a backend and a store of variables, and offers its operations on host
// data with validated inputs: the entry point for Go programs and notebooks. Methods return
// errors naming the bad argument (shape, dimension, NaN/Inf, out of domain, empty batch) rather
// than panicking. The flow's variables live under the scope "flow" of Store.
type Model struct {
	Flow    *Flow
	Store   *model.Store
	Backend compute.Backend
	// DType is the dtype the model computes in: Float32 (default) or Float64.
	DType dtypes.DType
	// CondDim is the size of the conditioning input, 0 for an unconditional flow.
	CondDim int

	logProb, sample, latent, generate *model.Exec
}

// ModelOption configures NewModel.
type ModelOption func(*Model) error

// WithBackend runs the model on b instead of backend.Shared().
func WithBackend(b compute.Backend) ModelOption {
	return func(m *Model) error { m.Backend = b; return nil }
}

// WithDType sets the computation dtype (dtypes.Float32 or dtypes.Float64).
func WithDType(dt dtypes.DType) ModelOption {
	return func(m *Model) error {
		if dt != dtypes.Float32 && dt != dtypes.Float64 {
			return fmt.Errorf("flowkit.WithDType: %s is not supported, use Float32 or Float64", dt)
		}
		m.DType = dt
		return nil
	}
}

// WithCond declares a conditional flow whose conditioning input has dim features.
func WithCond(dim int) ModelOption {
	return func(m *Model) error {
		if dim < 0 {
			return fmt.Errorf("flowkit.WithCond: negative conditioning size %d", dim)
		}
		m.CondDim = dim
		return nil
	}
}

// WithStore uses an existing store (e.g. one loaded from a checkpoint).
func WithStore(s *model.Store) ModelOption {
	return func(m *Model) error { m.Store = s; return nil }
}

// WithSeed seeds the model's random number generator (sampling, initialisation).
func WithSeed(seed int64) ModelOption {
	return func(m *Model) error { return m.Seed(seed) }
}

// NewModel returns a Model for flow f. By default it runs on backend.Shared() in float32 with a
// new store seeded with 42.
func NewModel(f *Flow, opts ...ModelOption) (*Model, error) {
	if f == nil || f.Base == nil || f.Transform == nil {
		return nil, fmt.Errorf("flowkit.NewModel: the flow needs a base distribution and a transform")
	}
	m := &Model{Flow: f, DType: dtypes.Float32, Store: model.NewStore()}
	if err := m.Store.SetRNGStateFromSeed(42); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
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

// Input converts and validates x as this model's data: shape, finiteness and, for flows on a
// bounded domain, the domain.
func (m *Model) Input(name string, x any) (*tensors.Tensor, error) {
	t, err := ToTensor(name, x, m.EventShape(), m.DType)
	if err != nil {
		return nil, err
	}
	if lo, hi, ok := InputDomain(m.Flow.Transform); ok {
		if err := CheckDomain(name, t, lo, hi); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Cond converts and validates a conditioning input for a batch of n examples.
func (m *Model) Cond(cond any, n int) (*tensors.Tensor, error) {
	if m.CondDim == 0 {
		if cond != nil {
			return nil, fmt.Errorf("flowkit: cond given, but the model is unconditional (use WithCond)")
		}
		return nil, nil
	}
	if cond == nil {
		return nil, fmt.Errorf("flowkit: cond is missing: the model is conditional on %d features", m.CondDim)
	}
	c, err := ToTensor("cond", cond, []int{m.CondDim}, m.DType)
	if err != nil {
		return nil, err
	}
	if c.Shape().Dimensions[0] != n {
		return nil, fmt.Errorf("flowkit: cond has %d rows, want one per example (%d)", c.Shape().Dimensions[0], n)
	}
	return c, nil
}

// inputs validates data x and its conditioning input together.
func (m *Model) inputs(x, cond any) (xt, ct *tensors.Tensor, err error) {
	if xt, err = m.Input("x", x); err != nil {
		return nil, nil, err
	}
	if ct, err = m.Cond(cond, xt.Shape().Dimensions[0]); err != nil {
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
func (m *Model) LogProb(x any, cond any) ([]float64, error) {
	xt, ct, err := m.inputs(x, cond)
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
		return nil, fmt.Errorf("flowkit: LogProb: %w", err)
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

// Sample draws n examples, returned as a tensor [n, event...], and their log-densities.
func (m *Model) Sample(n int, cond any) (x *tensors.Tensor, logProb []float64, err error) {
	if n <= 0 {
		return nil, nil, fmt.Errorf("flowkit: Sample: the number of samples must be positive, got %d", n)
	}
	ct, err := m.Cond(cond, n)
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
		return nil, nil, fmt.Errorf("flowkit: Sample: %w", err)
	}
	return out[0], Float64s(out[1]), nil
}

// SampleRows is Sample for vector flows, returning the samples as rows of float64.
func (m *Model) SampleRows(n int, cond any) ([][]float64, error) {
	x, _, err := m.Sample(n, cond)
	if err != nil {
		return nil, err
	}
	return Rows(x), nil
}

// Latent returns z = f⁻¹(x), the normalizing direction, as a tensor [batch, event...].
func (m *Model) Latent(x any, cond any) (*tensors.Tensor, error) {
	xt, ct, err := m.inputs(x, cond)
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
		return nil, fmt.Errorf("flowkit: Latent: %w", err)
	}
	return out[0], nil
}

// Rows converts a tensor [n, event...] to n rows of float64 (the event flattened).
func Rows(t *tensors.Tensor) [][]float64 {
	flat := Float64s(t)
	n := t.Shape().Dimensions[0]
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
