package autoregressive_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestMADEAutoregressiveProperty perturbs one input at a time and checks which outputs move:
// the outputs of dimension d may change only when the perturbed input comes before d in the
// order, and (with random weights) do change for at least the immediate predecessor.
func TestMADEAutoregressiveProperty(t *testing.T) {
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			const D, P = 5, 3
			made := &autoregressive.MADE{Order: order, Hidden: []int{16, 16}, Params: P}
			store := model.NewStore()
			fn := func(s *model.Scope, in []*Node) []*Node { return []*Node{made.Apply(s, in[0], nil)} }
			const N = 16
			x := normal(N, D, 1)
			run(t, store, fn, x) // create the variables
			perturb(t, store, 0.5, 3)
			base := run(t, store, fn, x)[0]
			xs := tensors.MustCopyFlatData[float64](x)
			for j := 0; j < D; j++ {
				moved := append([]float64(nil), xs...)
				for n := 0; n < N; n++ {
					moved[n*D+j] += 1
				}
				out := run(t, store, fn, tensors.FromFlatDataAndDimensions(moved, N, D))[0]
				for d := 0; d < D; d++ {
					changed := false
					for n := 0; n < N; n++ {
						at := (n*D + d) * P
						changed = changed || maxAbsDiff(out[at:at+P], base[at:at+P]) > 0
					}
					allowed := order[j] < order[d]
					if changed && !allowed {
						t.Errorf("outputs of dimension %d (order %d) depend on input %d (order %d)", d, order[d], j, order[j])
					}
					if !changed && order[j] == order[d]-1 {
						t.Errorf("outputs of dimension %d do not depend on their immediate predecessor %d", d, j)
					}
				}
			}
		})
	}
}

// TestMADEMasks checks the mask rules of Germain et al. on a small network: connectivity from the
// inputs through the masks reaches output d exactly from the inputs before d.
func TestMADEMasks(t *testing.T) {
	made := &autoregressive.MADE{Order: []int{1, 2, 0}, Hidden: []int{4, 5}, Params: 2}
	masks := made.Masks(3, false)
	if len(masks) != 3 || len(masks[0]) != 3 || len(masks[0][0]) != 4 || len(masks[2][0]) != 6 {
		t.Fatalf("mask shapes wrong: %d layers", len(masks))
	}
	// reach[i][k]: input i reaches unit k of the current layer.
	reach := make([][]bool, 3)
	for i := range reach {
		reach[i] = []bool{i == 0, i == 1, i == 2}
	}
	for _, m := range masks {
		next := make([][]bool, 3)
		for i := range next {
			next[i] = make([]bool, len(m[0]))
			for j := range m {
				for k := range m[j] {
					if reach[i][j] && m[j][k] {
						next[i][k] = true
					}
				}
			}
		}
		reach = next
	}
	order := []int{1, 2, 0}
	for i := 0; i < 3; i++ {
		for d := 0; d < 3; d++ {
			for p := 0; p < 2; p++ {
				if got, want := reach[i][d*2+p], order[i] < order[d]; got != want {
					t.Errorf("input %d reaches output (%d, %d): %v, want %v", i, d, p, got, want)
				}
			}
		}
	}
}

// TestMADEConditionAndInit: a fresh MADE outputs OutputBias (zero output weights), and cond
// reaches every output, even the first dimension's (which sees no input). The check failed
// once in CI with unseeded initial weights and only the first example looked at; a likely
// cause is that every hidden unit feeding that example's first dimension was a dead ReLU, so
// the weights are now seeded and every example is looked at.
func TestMADEConditionAndInit(t *testing.T) {
	made := &autoregressive.MADE{Hidden: []int{8}, Params: 2, OutputBias: []float64{0.5, -1}}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(7))
	fn := func(s *model.Scope, in []*Node) []*Node { return []*Node{made.Apply(s, in[0], in[1])} }
	x := normal(4, 3, 1)
	fresh := run(t, store, fn, x, normal(4, 2, 2))[0]
	for i, v := range fresh {
		if want := []float64{0.5, -1}[i%2]; v != want {
			t.Fatalf("fresh output %d = %g, want the bias %g", i, v, want)
		}
	}
	perturb(t, store, 0.5, 4)
	a := run(t, store, fn, x, normal(4, 2, 2))[0]
	b := run(t, store, fn, x, normal(4, 2, 3))[0]
	// Outputs are [batch 4, D 3, params 2]: the first dimension's are a[6i], a[6i+1].
	moved := 0.0
	for i := 0; i < 4; i++ {
		moved = math.Max(moved, maxAbsDiff(a[6*i:6*i+2], b[6*i:6*i+2]))
	}
	if moved == 0 {
		t.Fatal("the first dimension's outputs do not depend on the conditioning input")
	}
	if v := store.GetVariable("/layer_0/cond_weights"); v == nil || v.Shape().Dimensions[0] != 2 {
		t.Fatalf("cond_weights variable missing or misshapen: %v", v)
	}
}

// TestMADEBadInput: shape errors panic at graph-build time with a message naming the problem.
func TestMADEBadInput(t *testing.T) {
	for _, c := range []struct {
		made *autoregressive.MADE
		dims []int
		want string
	}{
		{&autoregressive.MADE{Hidden: []int{4}, Params: 2}, []int{2, 3, 1}, "want [batch, D]"},
		{&autoregressive.MADE{Order: []int{0, 1}, Hidden: []int{4}, Params: 2}, []int{2, 3}, "Order"},
		{&autoregressive.MADE{Order: []int{0, 0, 1}, Hidden: []int{4}, Params: 2}, []int{2, 3}, "not a permutation"},
		{&autoregressive.MADE{Hidden: []int{4}}, []int{2, 3}, "Params"},
	} {
		e, err := model.NewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, x *Node) *Node {
			return c.made.Apply(s, x, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Exec(tensors.FromShape(shapes.Make(dtypes.Float64, c.dims...)))
		msg := fmt.Sprint(err)
		if !strings.Contains(msg, c.want) {
			t.Errorf("input %v: got %q, want a message containing %q", c.dims, msg, c.want)
		}
	}
}
