package flowkit_test

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

func affineModel(t *testing.T, d int, opts ...flowkit.ModelOption) *flowkit.Model {
	t.Helper()
	f := flowkit.NewFlow(flowkit.StandardNormal(d), elementwise.WithParams(transformer.NewAffine(), []float64{1, 0.5}))
	m, err := flowkit.NewModel(f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEq16_3ChangeOfVariables checks LogProb of x = exp(s) z + t against the closed form.
func TestEq16_3ChangeOfVariables(t *testing.T) {
	m := affineModel(t, 2, flowkit.WithDType(dtypes.Float64))
	s := 5 * math.Tanh(0.5/5) // the affine transformer's soft-bounded log-scale
	x := [][]float64{{0, 1}, {2, -3}, {1, 1}}
	lp, err := m.LogProb(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range x {
		want := 0.0
		for _, v := range row {
			z := (v - 1) / math.Exp(s)
			want += -0.5*z*z - 0.5*math.Log(2*math.Pi) - s
		}
		if math.Abs(lp[i]-want) > 1e-12 {
			t.Errorf("log p(%v) = %.15f, want %.15f", row, lp[i], want)
		}
	}
}

func TestSampleAndLogProbAgree(t *testing.T) {
	m := affineModel(t, 3, flowkit.WithDType(dtypes.Float64))
	x, lp, err := m.Sample(100, nil)
	if err != nil {
		t.Fatal(err)
	}
	lp2, err := m.LogProb(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		if math.Abs(lp[i]-lp2[i]) > 1e-10 {
			t.Fatalf("sample %d: SampleAndLogProb %v vs LogProb %v", i, lp[i], lp2[i])
		}
	}
}

func TestSampleIsReproducibleWithSeed(t *testing.T) {
	a, _ := affineModel(t, 2, flowkit.WithSeed(7)).SampleRows(5, nil)
	b, _ := affineModel(t, 2, flowkit.WithSeed(7)).SampleRows(5, nil)
	c, _ := affineModel(t, 2, flowkit.WithSeed(8)).SampleRows(5, nil)
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatal("same seed, different samples")
			}
		}
	}
	if a[0][0] == c[0][0] {
		t.Fatal("different seeds gave the same first sample")
	}
}

func TestBadInputsGiveClearErrors(t *testing.T) {
	m := affineModel(t, 2)
	pl := flowkit.NewFlow(flowkit.NewUniform(0, 1, 2), elementwise.New(transformer.NewPiecewiseLinear(4)))
	mp, err := flowkit.NewModel(pl)
	if err != nil {
		t.Fatal(err)
	}
	mc := affineModel(t, 2, flowkit.WithCond(3))
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"wrong dimension", func() error { _, err := m.LogProb([][]float64{{1, 2, 3}}, nil); return err }, "has 3 values, want 2"},
		{"ragged rows", func() error { _, err := m.LogProb([][]float64{{1, 2}, {1}}, nil); return err }, "x[1] has 1 values"},
		{"NaN", func() error { _, err := m.LogProb([][]float64{{1, math.NaN()}}, nil); return err }, "non-finite value NaN at example 0, element 1"},
		{"Inf", func() error { _, err := m.LogProb([][]float64{{1, 2}, {math.Inf(1), 0}}, nil); return err }, "non-finite value +Inf at example 1"},
		{"empty batch", func() error { _, err := m.LogProb([][]float64{}, nil); return err }, "empty batch"},
		{"nil data", func() error { _, err := m.LogProb(nil, nil); return err }, "x is nil"},
		{"wrong type", func() error { _, err := m.LogProb("data", nil); return err }, "has type string"},
		{"flat slice for 2D", func() error { _, err := m.LogProb([]float64{1, 2}, nil); return err }, "only accepted for 1-dimensional events"},
		{"tensor rank", func() error {
			_, err := m.LogProb(tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2), nil)
			return err
		}, "has shape [2], want [batch, 2]"},
		{"tensor dtype", func() error {
			_, err := m.LogProb(tensors.FromFlatDataAndDimensions([]int32{1, 2}, 1, 2), nil)
			return err
		}, "dtype Int32"},
		{"out of domain", func() error { _, err := mp.LogProb([][]float64{{0.5, 1.5}}, nil); return err }, "outside the flow's domain [0, 1]"},
		{"zero samples", func() error { _, _, err := m.Sample(0, nil); return err }, "must be positive, got 0"},
		{"negative samples", func() error { _, _, err := m.Sample(-3, nil); return err }, "must be positive, got -3"},
		{"cond on unconditional", func() error { _, err := m.LogProb([][]float64{{1, 2}}, [][]float64{{1}}); return err }, "model is unconditional"},
		{"missing cond", func() error { _, err := mc.LogProb([][]float64{{1, 2}}, nil); return err }, "cond is missing"},
		{"cond width", func() error { _, err := mc.LogProb([][]float64{{1, 2}}, [][]float64{{1, 2}}); return err }, "cond[0] has 2 values, want 3"},
		{"cond rows", func() error {
			_, err := mc.LogProb([][]float64{{1, 2}, {3, 4}}, [][]float64{{1, 2, 3}})
			return err
		}, "cond has 1 rows, want one per example (2)"},
		{"bad dtype option", func() error {
			_, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.IdentityMap{}), flowkit.WithDType(dtypes.Int8))
			return err
		}, "not supported"},
		{"nil flow", func() error { _, err := flowkit.NewModel(nil); return err }, "needs a base distribution"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

func TestBitsPerDim(t *testing.T) {
	// A uniform density on [0,1]^D has NLL 0 nats: exactly 8 bits per dimension.
	if got := flowkit.BitsPerDim(0, 784); math.Abs(got-8) > 1e-12 {
		t.Fatalf("BitsPerDim(0, 784) = %v, want 8", got)
	}
	// Doubling the density everywhere lowers the NLL by D ln 2: one bit per dimension less.
	if got := flowkit.BitsPerDim(-784*math.Ln2, 784); math.Abs(got-7) > 1e-12 {
		t.Fatalf("got %v, want 7", got)
	}
	if got := flowkit.NatsFromBitsPerDim(flowkit.BitsPerDim(1234.5, 784), 784); math.Abs(got-1234.5) > 1e-9 {
		t.Fatalf("round trip gave %v", got)
	}
}

func TestPermuteRejectsNonPermutation(t *testing.T) {
	if _, err := flowkit.NewPermute([]int{0, 0, 1}); err == nil {
		t.Fatal("accepted a repeated index")
	}
	if _, err := flowkit.NewPermute([]int{0, 3}); err == nil {
		t.Fatal("accepted an out-of-range index")
	}
}
