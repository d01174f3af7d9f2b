package backend_test

import (
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// TestVariableUpdatesPersist pins a GoMLX contract every flowkit trainer relies on: a variable
// given a new value in a graph (Variable.SetNodeValue) keeps it for the next execution, whether
// it was created from a value (Scope.VariableWithValue, as GoMLX's optimizers create their
// global step counter) or from a shape and an initializer (flowkit's weights). GoMLX v0.28.16
// (compute v0.1.14) breaks the first kind: the counter reads 1, 1, 1 instead of 1, 2, 3
// (scripts/gomlx-next.sh runs this test and the rest of the suite against that version).
func TestVariableUpdatesPersist(t *testing.T) {
	be := backend.MustShared()
	for _, kind := range []string{"VariableWithValue", "VariableWithShape"} {
		t.Run(kind, func(t *testing.T) {
			store := model.NewStore()
			e, err := model.NewExec(be, store, func(s *model.Scope, x *Node) *Node {
				var v *model.Variable
				if kind == "VariableWithValue" {
					v = s.VariableWithValue("counter", float32(0))
				} else {
					v = s.WithInitializer(initializer.Zero).VariableWithShape("counter", shapes.Make(dtypes.Float32))
				}
				next := Add(v.NodeValue(x.Graph()), x)
				v.SetNodeValue(next)
				return next
			})
			if err != nil {
				t.Fatal(err)
			}
			for want := float32(1); want <= 3; want++ {
				out, err := e.Exec(float32(1))
				if err != nil {
					t.Fatal(err)
				}
				if got := tensors.ToScalar[float32](out[0]); got != want {
					t.Fatalf("execution %v: counter %v, want %v: the variable lost its update", want, got, want)
				}
			}
			v := store.GetVariable("/counter")
			if v == nil {
				t.Fatal("variable /counter not in the store")
			}
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			if got := tensors.ToScalar[float32](val); got != 3 {
				t.Fatalf("stored counter %v after 3 executions, want 3", got)
			}
		})
	}
}
