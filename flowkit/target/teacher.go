package target

import (
	"fmt"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Teacher is a trained flow used as a target: log q̃(x) = log p_teacher(x), normalised (log Z
// = 0). Reverse KL against it is distillation (Parallel WaveNet, section 16.3.5): a student
// whose sampling is fast (IAF) learns to match a teacher whose density is fast (MAF). Each
// evaluation runs the teacher's normalizing direction, Flow.LogProb.
//
// The teacher's variables are copied (Install) into the student's store under "/target/flow",
// as non-trainable variables: training the student never changes the teacher. Install again
// after training the teacher further.
type Teacher struct {
	Model *flowkit.Model
}

// FromModel returns the trained flow m as a target.
func FromModel(m *flowkit.Model) *Teacher { return &Teacher{Model: m} }

// Name implements flowkit.Named.
func (t *Teacher) Name() string { return "teacher(" + flowkit.NameOf(t.Model.Flow.Transform) + ")" }

// Dims implements Density.
func (t *Teacher) Dims() int { return t.Model.Dims() }

// ExactLogZ implements Normalised: 0.
func (t *Teacher) ExactLogZ() float64 { return 0 }

// LogDensity implements Density: the teacher's log p(x), with its variables under s.At("flow").
func (t *Teacher) LogDensity(s *model.Scope, x *Node) *Node {
	checkInput(t, x)
	return t.Model.Flow.LogProb(flowkit.FlowScope(s), x, nil)
}

// Install implements Installer: it copies the teacher's flow variables into store under
// "/target/flow/...", non-trainable, converted to dtype.
func (t *Teacher) Install(store *model.Store, dtype dtypes.DType) error {
	if t.Model.CondDim > 0 {
		return fmt.Errorf("target.Teacher: conditional teachers are not supported (cond size %d)", t.Model.CondDim)
	}
	n := 0
	for v := range t.Model.Store.IterVariables() {
		path := v.Path()
		if !strings.HasPrefix(path, "/flow/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return fmt.Errorf("target.Teacher: reading %s: %w", path, err)
		}
		if val.DType() != dtype && val.DType().IsFloat() {
			val = convertTensor(val, dtype)
		}
		dst := "/" + Scope + path
		if old := store.GetVariable(dst); old != nil {
			if err := old.SetValue(val); err != nil {
				return fmt.Errorf("target.Teacher: updating %s: %w", dst, err)
			}
			old.Trainable = false
		} else {
			nv, err := store.CreateVariable(dst, val)
			if err != nil {
				return fmt.Errorf("target.Teacher: installing %s: %w", dst, err)
			}
			nv.Trainable = false
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("target.Teacher: the teacher has no variables yet: train it (or run it once) first")
	}
	return nil
}

func convertTensor(t *tensors.Tensor, dt dtypes.DType) *tensors.Tensor {
	vals := flowkit.Float64s(t)
	dims := t.Shape().Dimensions
	if dt == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(vals, dims...)
	}
	f := make([]float32, len(vals))
	for i, v := range vals {
		f[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}
