package target

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // the graph package is written dot-imported, as in GoMLX.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Density is an unnormalised density q̃ on R^D, q̃(x) = Z·q(x) for an unknown Z > 0.
//
// LogDensity takes x [batch, D] (float32 or float64) and returns log q̃(x) [batch]. s is the
// scope the target's variables (if any) live under; trainers pass root.At(Scope).
type Density interface {
	Dims() int
	LogDensity(s *model.Scope, x *Node) *Node
}

// Scope is the variable scope under which trainers and Eval place a target: a target with
// variables (a teacher flow) finds them under "/target/...".
const Scope = "target"

// Installer is implemented by targets that carry variables (a trained flow as teacher): Install
// copies them, non-trainable and converted to dtype, into store under "/"+Scope, so that the
// target can be evaluated in graphs built on that store (the student's).
type Installer interface {
	Install(store *model.Store, dtype dtypes.DType) error
}

// Boxed is implemented by 2D targets whose mass lies, up to a negligible tail, in the box
// [XMin, XMax] × [YMin, YMax]: LogZGrid integrates over it and notebooks plot it.
type Boxed interface {
	Box() Box
}

// Box is an axis-aligned rectangle in 2D.
type Box struct{ XMin, XMax, YMin, YMax float64 }

// Normalised is implemented by targets whose log Z is known exactly (0 for a normalised density).
type Normalised interface {
	ExactLogZ() float64
}

// NameOf returns d's name when it has one (a Name() string method), its Go type otherwise.
func NameOf(d Density) string { return flowkit.NameOf(d) }

// Func is a user-supplied unnormalised log-density: Fn maps x [batch, D] to log q̃(x) [batch].
type Func struct {
	D     int
	Label string
	Fn    func(x *Node) *Node
	// Bounds, when set, is the box LogZGrid integrates over (2D only).
	Bounds *Box
}

// FromFunc wraps fn, a GoMLX function from x [batch, dims] to log q̃(x) [batch], as a target.
func FromFunc(dims int, name string, fn func(x *Node) *Node) *Func {
	return &Func{D: dims, Label: name, Fn: fn}
}

// Name implements flowkit.Named.
func (f *Func) Name() string { return f.Label }

// Dims implements Density.
func (f *Func) Dims() int { return f.D }

// LogDensity implements Density.
func (f *Func) LogDensity(_ *model.Scope, x *Node) *Node {
	checkInput(f, x)
	out := f.Fn(x)
	if out.Rank() != 1 || out.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
		panic(fmt.Errorf("target %s: the function must return one log-density per example, [%d], got %s",
			f.Label, x.Shape().Dimensions[0], out.Shape()))
	}
	return out
}

// Box implements Boxed (the zero box when Bounds is not set).
func (f *Func) Box() Box {
	if f.Bounds == nil {
		return Box{}
	}
	return *f.Bounds
}

// ScaledDensity is a target multiplied by a constant K = exp(LogK): log q̃_K = log q̃ + log K.
// Reverse-KL training is invariant to it (problem 16.11): log K only shifts the loss.
type ScaledDensity struct {
	Density
	LogK float64
}

// Scaled returns d multiplied by the constant exp(logK).
func Scaled(d Density, logK float64) *ScaledDensity { return &ScaledDensity{Density: d, LogK: logK} }

// Name implements flowkit.Named.
func (d *ScaledDensity) Name() string { return fmt.Sprintf("%s·e^%.4g", NameOf(d.Density), d.LogK) }

// LogDensity implements Density.
func (d *ScaledDensity) LogDensity(s *model.Scope, x *Node) *Node {
	return AddScalar(d.Density.LogDensity(s, x), d.LogK)
}

// Install implements Installer when the wrapped target does.
func (d *ScaledDensity) Install(store *model.Store, dtype dtypes.DType) error {
	if in, ok := d.Density.(Installer); ok {
		return in.Install(store, dtype)
	}
	return nil
}

// Box implements Boxed when the wrapped target does.
func (d *ScaledDensity) Box() Box {
	if b, ok := d.Density.(Boxed); ok {
		return b.Box()
	}
	return Box{}
}

// checkInput panics with a readable message when x is not [batch, D] of a float dtype.
func checkInput(d Density, x *Node) {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != d.Dims() {
		panic(fmt.Errorf("target %s: x must be [batch, %d], got %s", NameOf(d), d.Dims(), x.Shape()))
	}
	if !x.DType().IsFloat() {
		panic(fmt.Errorf("target %s: x must be float32 or float64, got %s", NameOf(d), x.DType()))
	}
}

// evalChunk is the number of points Eval sends to the backend at a time.
const evalChunk = 1 << 16

// Eval returns log q̃ at each row of points (each of length d.Dims()), computed in float64.
func Eval(d Density, points [][]float64) ([]float64, error) {
	D := d.Dims()
	for i, p := range points {
		if len(p) != D {
			return nil, fmt.Errorf("target.Eval %s: point %d has %d coordinates, want %d", NameOf(d), i, len(p), D)
		}
	}
	flat := make([]float64, 0, len(points)*D)
	for _, p := range points {
		flat = append(flat, p...)
	}
	return EvalFlat(d, flat)
}

// EvalFlat is Eval on points given as one flat slice, row after row.
func EvalFlat(d Density, flat []float64) ([]float64, error) {
	D := d.Dims()
	if D <= 0 || len(flat)%D != 0 {
		return nil, fmt.Errorf("target.Eval %s: %d values are not rows of %d", NameOf(d), len(flat), D)
	}
	b, err := backend.Shared()
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if in, ok := d.(Installer); ok {
		if err := in.Install(store, dtypes.Float64); err != nil {
			return nil, err
		}
	}
	exec, err := model.NewExec(b, store, func(s *model.Scope, x *Node) *Node {
		return d.LogDensity(s.At(Scope), x)
	})
	if err != nil {
		return nil, err
	}
	n := len(flat) / D
	out := make([]float64, 0, n)
	for start := 0; start < n; start += evalChunk {
		end := min(n, start+evalChunk)
		res, err := exec.Exec(tensors.FromFlatDataAndDimensions(flat[start*D:end*D], end-start, D))
		if err != nil {
			return nil, fmt.Errorf("target.Eval %s: %w", NameOf(d), err)
		}
		out = append(out, tensors.MustCopyFlatData[float64](res[0])...)
		res[0].FinalizeAll()
	}
	return out, nil
}

// LogZGrid integrates q̃ over box on an n×n grid by the midpoint rule and returns log Z. For
// the smooth targets of this package the rule converges fast: with each target's Box, n = 300
// already gives log Z to about 1e-8 (TestLogZGridConverges measures it). Mass outside the box
// is ignored.
func LogZGrid(d Density, box Box, n int) (float64, error) {
	if d.Dims() != 2 {
		return 0, fmt.Errorf("target.LogZGrid %s: grid integration is for 2D targets, this one has %d dims", NameOf(d), d.Dims())
	}
	if !(box.XMax > box.XMin && box.YMax > box.YMin) {
		return 0, fmt.Errorf("target.LogZGrid %s: empty box %+v", NameOf(d), box)
	}
	if n < 2 {
		return 0, fmt.Errorf("target.LogZGrid %s: n = %d grid points per axis, want at least 2", NameOf(d), n)
	}
	hx, hy := (box.XMax-box.XMin)/float64(n), (box.YMax-box.YMin)/float64(n)
	flat := make([]float64, 0, 2*n*n)
	for j := 0; j < n; j++ {
		y := box.YMin + (float64(j)+0.5)*hy
		for i := 0; i < n; i++ {
			flat = append(flat, box.XMin+(float64(i)+0.5)*hx, y)
		}
	}
	lq, err := EvalFlat(d, flat)
	if err != nil {
		return 0, err
	}
	return LogSumExp(lq) + math.Log(hx*hy), nil
}

// LogSumExp returns log Σ exp(v_i), stably; -Inf for an empty slice or all -Inf.
func LogSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	if math.IsInf(m, -1) || math.IsNaN(m) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
