package residual_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/residual"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// perturb adds N(0, std²) noise to every trainable variable of the model (a fresh coupling is
// the identity: its networks' last layers start at zero).
func perturb(t *testing.T, m *flowkit.Model, std float64, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	for v := range m.Store.IterVariables() {
		if !v.Trainable {
			continue
		}
		vals := tensors.MustCopyFlatData[float64](v.MustValue())
		for i := range vals {
			vals[i] += std * r.NormFloat64()
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEq16_18IRevNet checks the structure of eq. 16.18-16.19 on D = 5 (h₁ has 2 features, h₂ 3):
// shifting h₁ by δ shifts h₁' by exactly δ (h₁' = h₁ + f₁(h₂)); the normalizing direction undoes the
// generative one; and both log-determinants are exactly 0 (the additive form).
func TestEq16_18IRevNet(t *testing.T) {
	const D = 5
	b := residual.NewIRevNet(16, 16)
	m := newModel(t, b, D, dtypes.Float64, 1)
	z := randRows(8, D, 3, 1)
	if _, err := m.LogProb(z, nil); err != nil {
		t.Fatal(err)
	}
	perturb(t, m, 0.5, 2)
	zs := make([][]float64, len(z))
	delta := []float64{0.37, -1.2}
	for i, row := range z {
		zs[i] = append([]float64(nil), row...)
		zs[i][0] += delta[0]
		zs[i][1] += delta[1]
	}
	fwd := func(zz [][]float64) (x, ldF, back, ldI [][]float64) {
		zt, err := flowkit.ToTensor("z", zz, []int{D}, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		out := execOn(t, m, func(s *model.Scope, in []*Node) []*Node {
			ts := flowkit.FlowScope(s).At("transform")
			x, ldF := b.Forward(ts, in[0], nil)
			zb, ldI := b.Inverse(ts, x, nil)
			return []*Node{x, ldF, zb, ldI}
		}, zt)
		rows := func(v []float64, w int) [][]float64 {
			r := make([][]float64, len(v)/w)
			for i := range r {
				r[i] = v[i*w : (i+1)*w]
			}
			return r
		}
		return rows(out[0], D), rows(out[1], 1), rows(out[2], D), rows(out[3], 1)
	}
	x, ldF, back, ldI := fwd(z)
	xs, _, _, _ := fwd(zs)
	moved := 0.0
	for i := range z {
		for j := 0; j < 2; j++ {
			if d := xs[i][j] - x[i][j] - delta[j]; math.Abs(d) > 1e-12 {
				t.Fatalf("example %d: h₁'[%d] moved by %.6f, want δ = %.6f", i, j, xs[i][j]-x[i][j], delta[j])
			}
		}
		for j := 0; j < D; j++ {
			moved = math.Max(moved, math.Abs(x[i][j]-z[i][j]))
			if math.Abs(back[i][j]-z[i][j]) > 1e-12 {
				t.Fatalf("example %d: round trip error %.3g", i, back[i][j]-z[i][j])
			}
		}
		if ldF[i][0] != 0 || ldI[i][0] != 0 {
			t.Fatalf("log-dets %g, %g, want exactly 0", ldF[i][0], ldI[i][0])
		}
	}
	if moved < 0.1 {
		t.Fatalf("the perturbed coupling barely moves its input (%.3g): the test checks nothing", moved)
	}
}

// TestIRevNetNeedsTwoFeatures: one feature cannot be split; the error says so.
func TestIRevNetNeedsTwoFeatures(t *testing.T) {
	m := newModel(t, residual.NewIRevNet(4), 1, dtypes.Float64, 1)
	_, err := m.LogProb([]float64{0.5, 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "at least 2 features") {
		t.Fatalf("got %v, want an error about needing 2 features", err)
	}
}
