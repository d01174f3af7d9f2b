package flowkit

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// ToTensor converts host data to a tensor of dtype with batch axis first and the given event
// shape, validating it. x may be [][]float64, [][]float32, []float64 (only for a 1-dimensional
// event: one value per example) or *tensors.Tensor. name names the argument in errors.
//
// Errors name the problem: wrong rank or event shape, an empty batch, ragged rows, NaN or Inf.
func ToTensor(name string, x any, event []int, dtype dtypes.DType) (*tensors.Tensor, error) {
	D := eventSize(event)
	var flat []float64
	var n int
	switch v := x.(type) {
	case nil:
		return nil, fmt.Errorf("flowkit: %s is nil, want a batch of shape [batch, %s]", name, dimsString(event))
	case [][]float64:
		n = len(v)
		flat = make([]float64, 0, n*D)
		for i, row := range v {
			if len(row) != D {
				return nil, fmt.Errorf("flowkit: %s[%d] has %d values, want %d (event shape %v)", name, i, len(row), D, event)
			}
			flat = append(flat, row...)
		}
	case [][]float32:
		n = len(v)
		flat = make([]float64, 0, n*D)
		for i, row := range v {
			if len(row) != D {
				return nil, fmt.Errorf("flowkit: %s[%d] has %d values, want %d (event shape %v)", name, i, len(row), D, event)
			}
			for _, f := range row {
				flat = append(flat, float64(f))
			}
		}
	case []float64:
		if D != 1 {
			return nil, fmt.Errorf("flowkit: %s is a flat []float64, which is only accepted for 1-dimensional events; "+
				"this flow's event shape is %v: pass [][]float64 rows of %d values", name, event, D)
		}
		n, flat = len(v), v
	case *tensors.Tensor:
		dims := v.Shape().Dimensions
		if len(dims) != len(event)+1 {
			return nil, fmt.Errorf("flowkit: %s has shape %v, want [batch, %s]", name, dims, dimsString(event))
		}
		for i, d := range event {
			if dims[i+1] != d {
				return nil, fmt.Errorf("flowkit: %s has shape %v, want [batch, %s]", name, dims, dimsString(event))
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
			return nil, fmt.Errorf("flowkit: %s has dtype %s, want Float32 or Float64", name, v.DType())
		}
	default:
		return nil, fmt.Errorf("flowkit: %s has type %T, want [][]float64, [][]float32 or *tensors.Tensor", name, x)
	}
	if n == 0 {
		return nil, fmt.Errorf("flowkit: %s is an empty batch (0 examples)", name)
	}
	for i, f := range flat {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("flowkit: %s holds a non-finite value %v at example %d, element %d", name, f, i/D, i%D)
		}
	}
	dims := append([]int{n}, event...)
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(flat, dims...), nil
	}
	f32 := make([]float32, len(flat))
	for i, f := range flat {
		f32[i] = float32(f)
	}
	return tensors.FromFlatDataAndDimensions(f32, dims...), nil
}

// CheckDomain returns an error naming the first value of t outside [lo, hi].
func CheckDomain(name string, t *tensors.Tensor, lo, hi float64) error {
	var flat []float64
	if t.DType() == dtypes.Float64 {
		flat = tensors.MustCopyFlatData[float64](t)
	} else {
		for _, f := range tensors.MustCopyFlatData[float32](t) {
			flat = append(flat, float64(f))
		}
	}
	D := t.Shape().Size() / t.Shape().Dimensions[0]
	for i, f := range flat {
		if f < lo || f > hi {
			return fmt.Errorf("flowkit: %s holds %v at example %d, element %d, outside the flow's domain [%g, %g]",
				name, f, i/D, i%D, lo, hi)
		}
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
// bijector sees the data first) and inversions.
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
