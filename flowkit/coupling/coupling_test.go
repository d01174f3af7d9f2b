package coupling_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// transformers are the four transformers a coupling is used with, and a matching input draw
// (the piecewise-linear one lives on [0, 1]).
var transformers = []struct {
	name  string
	t     transformer.Transformer
	input func(r *rand.Rand) float64
}{
	{"affine", transformer.NewAffine(), nil},
	{"additive", transformer.Additive{}, nil},
	{"rqspline", transformer.NewRQSpline(5, 3), func(r *rand.Rand) float64 { return 2 * r.NormFloat64() }},
	{"piecewise-linear", transformer.NewPiecewiseLinear(5), func(r *rand.Rand) float64 { return 0.01 + 0.98*r.Float64() }},
}

// TestEq16_13And16_14 runs the verification harness on couplings with every transformer and
// every kind of mask (contiguous, permuted, image channels, image checkerboard), with random
// parameters: round trip (eq. 16.14 inverts eq. 16.13), log-determinant against the exact
// Jacobian, and the block-triangular zero pattern (kept elements have identity rows,
// transformed ones depend only on themselves and the kept ones).
func TestEq16_13And16_14(t *testing.T) {
	cnn := nn.CNN{Hidden: []int{6}, ZeroLast: true}
	masks := []struct {
		name string
		mask coupling.Mask
		cond coupling.Conditioner
		c    int
	}{
		{"half", coupling.Half(5), nil, 0},
		{"half-swapped", coupling.Half(5).Swap(), nil, 0},
		{"alternating", coupling.Alternating(5, 1), nn.MLP{Hidden: []int{8}, ZeroLast: true}, 2},
		{"half-of-1", coupling.Half(1), nil, 0},
		{"channels", coupling.Channels(3, 2, 3, 1), cnn, 0},
		{"checkerboard", coupling.Checkerboard(3, 2, 2, 0), cnn, 2},
	}
	for _, tr := range transformers {
		for _, mk := range masks {
			t.Run(tr.name+"/"+mk.name, func(t *testing.T) {
				c := coupling.New(mk.mask, tr.t, mk.cond)
				r, err := check.Bijector(c, check.Options{Event: mk.mask.Event(), Cond: mk.c, Input: tr.input,
					Pattern: mk.mask.Pattern, Batch: 4})
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Err(); err != nil {
					t.Fatalf("%v\n%s", err, r)
				}
				if _, ok := r.Get(check.JacobianZeroPattern); !ok {
					t.Fatal("the zero pattern was not checked")
				}
			})
		}
	}
}

// run evaluates fn on the shared backend in float64.
func run[F model.ExecGraphFn](t testing.TB, store *model.Store, fn F, args ...any) []*tensors.Tensor {
	t.Helper()
	e, err := model.NewExec(backend.MustShared(), store, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randomInput(seed uint64, n int, event ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	size := n
	for _, d := range event {
		size *= d
	}
	v := make([]float64, size)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return tensors.FromFlatDataAndDimensions(v, append([]int{n}, event...)...)
}

// TestIdentityInitialisation: with the conditioner's last layer at zero, a fresh coupling is
// the identity map with log-determinant 0, for every transformer, including the spline whose
// identity needs nonzero raw parameters (folded into the output bias).
func TestIdentityInitialisation(t *testing.T) {
	for _, tr := range transformers {
		t.Run(tr.name, func(t *testing.T) {
			c := coupling.New(coupling.Half(4), tr.t, nil)
			z := randomInput(1, 6, 4)
			if tr.name == "piecewise-linear" {
				flat := tensors.MustCopyFlatData[float64](z)
				for i := range flat {
					flat[i] = 1 / (1 + math.Exp(-flat[i]))
				}
				z = tensors.FromFlatDataAndDimensions(flat, 6, 4)
			}
			out := run(t, model.NewStore(), func(s *model.Scope, z *Node) []*Node {
				x, ld := c.Forward(s, z, nil)
				zb, ldi := c.Inverse(s, z, nil)
				return []*Node{x, ld, zb, ldi}
			}, z)
			want := tensors.MustCopyFlatData[float64](z)
			for k, name := range []string{"Forward", "Inverse"} {
				got := tensors.MustCopyFlatData[float64](out[2*k])
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-12 {
						t.Fatalf("%s[%d] = %v, want the input %v", name, i, got[i], want[i])
					}
				}
				for i, ld := range tensors.MustCopyFlatData[float64](out[2*k+1]) {
					if math.Abs(ld) > 1e-12 {
						t.Fatalf("%s log-det[%d] = %v, want 0", name, i, ld)
					}
				}
			}
		})
	}
}

// perturbed returns a store whose variables (created by one pass of c) carry noise, so the
// coupling is far from the identity.
func perturbed(t *testing.T, b flowkit.Bijector, z *tensors.Tensor, cond *tensors.Tensor) *model.Store {
	t.Helper()
	store := model.NewStore()
	args := []any{z}
	if cond != nil {
		args = append(args, cond)
	}
	run(t, store, func(s *model.Scope, in []*Node) *Node {
		var c *Node
		if len(in) > 1 {
			c = in[1]
		}
		x, _ := b.Forward(s, in[0], c)
		return x
	}, args...)
	r := rand.New(rand.NewPCG(3, 3))
	for v := range store.IterVariables() {
		if !v.Trainable || v.DType() != dtypes.Float64 {
			continue
		}
		val, _ := v.Value()
		flat := tensors.MustCopyFlatData[float64](val)
		for i := range flat {
			flat[i] += 0.5 * r.NormFloat64()
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(flat, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// TestEq16_13KeptPartCopiedAndConditioning: h₁' = h₁ exactly, h₂' changes when h₁ changes
// (φ depends on h₁) and when the conditioning input changes.
func TestEq16_13KeptPartCopiedAndConditioning(t *testing.T) {
	mask := coupling.Alternating(4, 0) // keeps 0 and 2
	c := coupling.New(mask, transformer.NewAffine(), nn.MLP{Hidden: []int{16}, ZeroLast: true})
	z := randomInput(2, 5, 4)
	cond := randomInput(3, 5, 2)
	store := perturbed(t, c, z, cond)
	fwd := func(z, cond *tensors.Tensor) []float64 {
		out := run(t, store, func(s *model.Scope, z, c *Node) *Node {
			x, _ := coupling.New(mask, transformer.NewAffine(), nn.MLP{Hidden: []int{16}, ZeroLast: true}).Forward(s, z, c)
			return x
		}, z, cond)
		return tensors.MustCopyFlatData[float64](out[0])
	}
	x := fwd(z, cond)
	zf := tensors.MustCopyFlatData[float64](z)
	for i := range zf {
		kept := i%4 == 0 || i%4 == 2
		if kept && x[i] != zf[i] {
			t.Fatalf("kept element %d changed: %v -> %v", i, zf[i], x[i])
		}
		if !kept && x[i] == zf[i] {
			t.Fatalf("transformed element %d unchanged (%v): the perturbed coupling should move it", i, x[i])
		}
	}
	// Change the kept element 0 of example 0: the transformed elements of example 0 move, the
	// other examples do not.
	z2 := tensors.MustCopyFlatData[float64](z)
	z2[0] += 0.5
	x2 := fwd(tensors.FromFlatDataAndDimensions(z2, 5, 4), cond)
	if x2[1] == x[1] && x2[3] == x[3] {
		t.Fatal("the transformed half does not depend on the kept half")
	}
	for i := 4; i < len(x); i++ {
		if x2[i] != x[i] {
			t.Fatalf("changing example 0 changed example %d", i/4)
		}
	}
	// Change the condition.
	c2 := tensors.MustCopyFlatData[float64](cond)
	c2[0] += 1
	x3 := fwd(z, tensors.FromFlatDataAndDimensions(c2, 5, 2))
	if x3[1] == x[1] && x3[3] == x[3] {
		t.Fatal("the conditioning input does not reach the conditioner")
	}
	if x3[0] != x[0] || x3[2] != x[2] {
		t.Fatal("the conditioning input changed the kept half")
	}
}

// TestCouplingBadInputs: shapes that do not fit give readable errors through flowkit.Model.
func TestCouplingBadInputs(t *testing.T) {
	flow := coupling.Normal(coupling.New(coupling.Half(3), transformer.NewAffine(), nil), 4) // mask for 3, base for 4
	m, err := flowkit.NewModel(flow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.LogProb([][]float64{{1, 2, 3, 4}}, nil)
	if err == nil || !strings.Contains(err.Error(), "mask") {
		t.Fatalf("want an error naming the mask's event, got %v", err)
	}
	img := coupling.New(coupling.Checkerboard(2, 2, 1, 0), transformer.NewAffine(), nn.MLP{})
	e, err := model.NewExec(backend.MustShared(), model.NewStore(), func(s *model.Scope, z *Node) *Node {
		x, _ := img.Forward(s, z, nil)
		return x
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(randomInput(1, 2, 2, 2, 2)); err == nil || !strings.Contains(err.Error(), "does not match the mask's event") {
		t.Fatalf("want a shape error, got %v", err)
	}
}

// TestCouplingFloat32: the coupling builds its variables in the input's dtype, so it trains in
// float32.
func TestCouplingFloat32(t *testing.T) {
	c := coupling.New(coupling.Half(2), transformer.NewRQSpline(4, 3), nil)
	store := model.NewStore()
	out := run(t, store, func(s *model.Scope, z *Node) []*Node {
		x, ld := c.Forward(s, ConvertDType(z, dtypes.Float32), nil)
		return []*Node{x, ld}
	}, randomInput(1, 3, 2))
	if out[0].DType() != dtypes.Float32 || out[1].DType() != dtypes.Float32 {
		t.Fatalf("outputs in %s and %s, want Float32", out[0].DType(), out[1].DType())
	}
	for v := range store.IterVariables() {
		if v.Trainable && v.DType() != dtypes.Float32 {
			t.Fatalf("variable %s is %s", v.String(), v.DType())
		}
	}
}

func tensorOf(flat []float64, dims []int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}
