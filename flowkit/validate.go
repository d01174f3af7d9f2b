package flowkit

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// ArgError is the error flowkit's host-side entry points (Model's methods, ToTensor, fit.MLE)
// return for a bad argument. It names the function, the argument, what was expected and what
// was given, so a notebook user sees at once what to fix:
//
//	flowkit: Model.LogProb: x[1] has 3 values, want 2 (event shape [2])
//
// Use errors.As to inspect it.
type ArgError struct {
	// Func is the entry point, e.g. "Model.LogProb" (empty when not known).
	Func string
	// Arg names the argument, e.g. "x", "cond", "n", "temperature", "Config.LearningRate".
	Arg string
	// Want describes what was expected, Got what was given; both appear in Msg.
	Want, Got string
	// Msg is the sentence shown, naming Arg, Want and Got.
	Msg string
}

// Error implements error.
func (e *ArgError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = fmt.Sprintf("%s is %s, want %s", e.Arg, e.Got, e.Want)
	}
	if e.Func != "" {
		return "flowkit: " + e.Func + ": " + msg
	}
	return "flowkit: " + msg
}

// argErr builds an ArgError whose message is the formatted text.
func argErr(arg, want, got, format string, args ...any) *ArgError {
	return &ArgError{Arg: arg, Want: want, Got: got, Msg: fmt.Sprintf(format, args...)}
}

// inFunc sets the entry point's name on an ArgError (when err is one and has none yet) and
// returns err.
func inFunc(fn string, err error) error {
	var ae *ArgError
	if errors.As(err, &ae) && ae.Func == "" {
		ae.Func = fn
	}
	return err
}

// isAbsent reports whether v is nil or a typed nil (a nil slice, pointer or map in an
// interface), which callers mean as "not given".
func isAbsent(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Pointer, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// ToTensor converts host data to a tensor of dtype with batch axis first and the given event
// shape, validating it. x may be [][]float64, [][]float32, []float64 (only for a 1-dimensional
// event: one value per example) or *tensors.Tensor. name names the argument in errors.
//
// Errors are *ArgError values naming the problem: nil data, wrong type, wrong rank or event
// shape, ragged rows, an empty batch, NaN or ±Inf, and (for a Float32 dtype) values beyond
// float32's range, which would silently become ±Inf.
func ToTensor(name string, x any, event []int, dtype dtypes.DType) (*tensors.Tensor, error) {
	D := eventSize(event)
	want := fmt.Sprintf("[batch, %s]", dimsString(event))
	var flat []float64
	var n int
	if isAbsent(x) {
		if _, isT := x.(*tensors.Tensor); !isT && x != nil && reflect.ValueOf(x).Kind() == reflect.Slice {
			// A nil slice is an empty batch.
			return nil, argErr(name, "at least 1 example", "0 examples",
				"%s is an empty batch (0 examples), want at least 1 example of shape %v", name, event)
		}
		return nil, argErr(name, "a batch of shape "+want, "nil",
			"%s is nil, want a batch of shape %s", name, want)
	}
	switch v := x.(type) {
	case [][]float64:
		n = len(v)
		flat = make([]float64, 0, n*D)
		for i, row := range v {
			if len(row) != D {
				return nil, argErr(fmt.Sprintf("%s[%d]", name, i), fmt.Sprint(D, " values"), fmt.Sprint(len(row), " values"),
					"%s[%d] has %d values, want %d values (event shape %v)", name, i, len(row), D, event)
			}
			flat = append(flat, row...)
		}
	case [][]float32:
		n = len(v)
		flat = make([]float64, 0, n*D)
		for i, row := range v {
			if len(row) != D {
				return nil, argErr(fmt.Sprintf("%s[%d]", name, i), fmt.Sprint(D, " values"), fmt.Sprint(len(row), " values"),
					"%s[%d] has %d values, want %d values (event shape %v)", name, i, len(row), D, event)
			}
			for _, f := range row {
				flat = append(flat, float64(f))
			}
		}
	case []float64:
		if D != 1 {
			return nil, argErr(name, "[][]float64 rows of "+fmt.Sprint(D)+" values", "a flat []float64",
				"%s is a flat []float64, which is only accepted for 1-dimensional events; "+
					"this flow's event shape is %v: want [][]float64 rows of %d values", name, event, D)
		}
		n, flat = len(v), v
	case []float32:
		if D != 1 {
			return nil, argErr(name, "[][]float32 rows of "+fmt.Sprint(D)+" values", "a flat []float32",
				"%s is a flat []float32, which is only accepted for 1-dimensional events; "+
					"this flow's event shape is %v: want [][]float32 rows of %d values", name, event, D)
		}
		n = len(v)
		flat = make([]float64, n)
		for i, f := range v {
			flat[i] = float64(f)
		}
	case *tensors.Tensor:
		dims := v.Shape().Dimensions
		if len(dims) != len(event)+1 {
			return nil, argErr(name, want, fmt.Sprint(dims), "%s has shape %v, want %s", name, dims, want)
		}
		for i, d := range event {
			if dims[i+1] != d {
				return nil, argErr(name, want, fmt.Sprint(dims), "%s has shape %v, want %s", name, dims, want)
			}
		}
		n = dims[0]
		switch v.DType() {
		case dtypes.Float64:
			flat = tensors.MustCopyFlatData[float64](v)
		case dtypes.Float32:
			f32 := tensors.MustCopyFlatData[float32](v)
			flat = make([]float64, len(f32))
			for i, f := range f32 {
				flat[i] = float64(f)
			}
		default:
			return nil, argErr(name, "Float32 or Float64", "dtype "+v.DType().String(),
				"%s has dtype %s, want Float32 or Float64", name, v.DType())
		}
	default:
		return nil, argErr(name, "[][]float64, [][]float32 or *tensors.Tensor", fmt.Sprintf("%T", x),
			"%s has type %T, want [][]float64, [][]float32 or *tensors.Tensor", name, x)
	}
	if n == 0 {
		return nil, argErr(name, "at least 1 example", "0 examples",
			"%s is an empty batch (0 examples), want at least 1 example of shape %v", name, event)
	}
	if err := CheckFinite(name, flat, D, dtype); err != nil {
		return nil, err
	}
	dims := append([]int{n}, event...)
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), flat...), dims...), nil
	}
	f32 := make([]float32, len(flat))
	for i, f := range flat {
		f32[i] = float32(f)
	}
	return tensors.FromFlatDataAndDimensions(f32, dims...), nil
}

// CheckFinite returns an *ArgError naming the first NaN or ±Inf of flat (examples of d values
// each), or, when dtype is Float32, the first value whose magnitude exceeds float32's range.
func CheckFinite(name string, flat []float64, d int, dtype dtypes.DType) error {
	d = max(d, 1)
	for i, f := range flat {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return argErr(name, "finite values", fmt.Sprintf("%v at example %d, element %d", f, i/d, i%d),
				"%s holds a non-finite value %v at example %d, element %d; want finite values", name, f, i/d, i%d)
		}
		if dtype == dtypes.Float32 && math.Abs(f) > math.MaxFloat32 {
			return argErr(name, fmt.Sprintf("|value| <= %g", math.MaxFloat32),
				fmt.Sprintf("%g at example %d, element %d", f, i/d, i%d),
				"%s holds %g at example %d, element %d, beyond float32's range (want |value| <= %g): "+
					"it would become Inf; rescale the data or use WithDType(dtypes.Float64)", name, f, i/d, i%d, math.MaxFloat32)
		}
	}
	return nil
}

// CheckDomain returns an *ArgError naming the first value of t outside [lo, hi]. Values within
// DomainSlack units in the last place of the bounds (in t's dtype) are accepted: a flow's own
// samples can land a rounding error past a bound (a piecewise-linear forward pass evaluates
// Σφ_k at h = 1 as 1 + 2⁻⁵²), and the graphs clamp into the domain anyway.
func CheckDomain(name string, t *tensors.Tensor, lo, hi float64) error {
	var flat []float64
	eps := 0x1p-52
	if t.DType() == dtypes.Float64 {
		flat = tensors.MustCopyFlatData[float64](t)
	} else {
		eps = 0x1p-23
		for _, f := range tensors.MustCopyFlatData[float32](t) {
			flat = append(flat, float64(f))
		}
	}
	loS := lo - DomainSlack*eps*math.Max(1, math.Abs(lo))
	hiS := hi + DomainSlack*eps*math.Max(1, math.Abs(hi))
	D := t.Shape().Size() / max(1, t.Shape().Dimensions[0])
	for i, f := range flat {
		if f < loS || f > hiS || math.IsNaN(f) {
			return argErr(name, fmt.Sprintf("values in the flow's domain [%g, %g]", lo, hi), fmt.Sprintf("%v at example %d, element %d", f, i/D, i%D),
				"%s holds %v at example %d, element %d, outside the flow's domain [%g, %g]; want values in the flow's domain [%g, %g]", name, f, i/D, i%D, lo, hi, lo, hi)
		}
	}
	return nil
}

// DomainSlack is how many units in the last place past a bound CheckDomain tolerates.
const DomainSlack = 8

// CheckCount returns an *ArgError unless 1 <= n <= limit (limit <= 0: no upper limit). what
// names the argument, e.g. "n".
func CheckCount(what string, n, limit int) error {
	if n <= 0 {
		return argErr(what, "positive", fmt.Sprint(n),
			"the number of samples %s must be positive, got %d", what, n)
	}
	if limit > 0 && n > limit {
		return argErr(what, fmt.Sprintf("at most %d", limit), fmt.Sprint(n),
			"%s = %d is too large: want at most %d (draw in several calls)", what, n, limit)
	}
	return nil
}

// CheckTemperature returns an *ArgError unless t is finite and positive.
func CheckTemperature(t float64) error {
	if !(t > 0) || math.IsInf(t, 0) {
		return argErr("temperature", "finite and positive", fmt.Sprint(t),
			"temperature must be finite and positive, got %v", t)
	}
	return nil
}

func dimsString(event []int) string {
	s := ""
	for i, d := range event {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(d)
	}
	return s
}

// Domained is implemented by bijectors whose normalizing direction accepts only inputs in an
// interval (piecewise-linear flows on [0, 1]).
type Domained interface {
	Domain() (lo, hi float64, bounded bool)
}

// InputDomain returns the interval that b's Inverse accepts, looking through chains (the last
// bijector sees the data first).
func InputDomain(b Bijector) (lo, hi float64, bounded bool) {
	switch v := b.(type) {
	case Domained:
		return v.Domain()
	case *Chain:
		if len(v.Bijectors) > 0 {
			return InputDomain(v.Bijectors[len(v.Bijectors)-1])
		}
	}
	return 0, 0, false
}
