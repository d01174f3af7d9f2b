package coupling_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestBuilders checks what RealNVP, NICE and NSF build: alternating half masks, the right
// transformer, no mixing layers by default.
func TestBuilders(t *testing.T) {
	cases := []struct {
		chain *flowkit.Chain
		want  string
	}{
		{coupling.RealNVP(3, 4, 32), "Affine"},
		{coupling.NICE(3, 4), "Additive"},
		{coupling.NSF(3, 4, 8, 3, 16, 16), "RQSpline(K=8,B=3)"},
	}
	for _, c := range cases {
		if len(c.chain.Bijectors) != 4 {
			t.Fatalf("%s: %d bijectors, want 4 couplings", c.want, len(c.chain.Bijectors))
		}
		for i, b := range c.chain.Bijectors {
			cp, ok := b.(*coupling.Coupling)
			if !ok {
				t.Fatalf("bijector %d is %T, want a coupling", i, b)
			}
			if !strings.HasPrefix(cp.Transformer.Name(), c.want) {
				t.Fatalf("coupling %d uses %s, want %s", i, cp.Transformer.Name(), c.want)
			}
			wantKept := []bool{true, false, false} // Half(3) keeps the first feature...
			if i%2 == 1 {
				wantKept = []bool{false, true, true} // ...and its complement on odd layers
			}
			for j, k := range cp.Mask.Keep() {
				if k != wantKept[j] {
					t.Fatalf("layer %d keeps %v, want %v", i, cp.Mask.Keep(), wantKept)
				}
			}
		}
	}
}

// TestNetworkMixing: a mixing factory puts a bijector between consecutive couplings (not after
// the last), and the whole stack passes the harness with a dense Jacobian.
func TestNetworkMixing(t *testing.T) {
	n := coupling.Network{Event: []int{4}, Layers: 3, Transformer: transformer.NewAffine(),
		Conditioner: nn.MLP{Hidden: []int{8}, ZeroLast: true}, Mixing: coupling.RandomPermutations(4, 1)}
	chain := n.Chain()
	if len(chain.Bijectors) != 5 {
		t.Fatalf("%d bijectors, want 3 couplings + 2 permutations", len(chain.Bijectors))
	}
	for i, b := range chain.Bijectors {
		_, isPerm := b.(*flowkit.Permute)
		if isPerm != (i%2 == 1) {
			t.Fatalf("bijector %d is %T", i, b)
		}
	}
	r, err := check.Bijector(chain, check.Options{Event: []int{4}, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}

// TestConditionalNetwork: the conditioning input reaches every coupling's conditioner (each
// first layer has 1 kept feature + 3 conditioning inputs), and the model's density depends on it.
func TestConditionalNetwork(t *testing.T) {
	flow := coupling.Normal(coupling.RealNVP(2, 4, 8), 2)
	m, err := flowkit.NewModel(flow, flowkit.WithCond(3), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	x := [][]float64{{0.3, -1}, {2, 0.5}}
	if _, err := m.LogProb(x, [][]float64{{1, 2, 3}, {0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	vars, err := m.VariableShapes()
	if err != nil {
		t.Fatal(err)
	}
	first := 0
	for name, shape := range vars {
		if strings.HasSuffix(name, "conditioner/layer_0/weights") {
			first++
			if !shape.Equal(shapes.Make(dtypes.Float64, 4, 8)) {
				t.Fatalf("%s has shape %s, want [1 kept + 3 cond, 8]", name, shape)
			}
		}
	}
	if first != 4 {
		t.Fatalf("found %d first conditioner layers, want one per coupling (4): %v", first, vars)
	}
	// Perturb the parameters, then the density must depend on the condition.
	for v := range m.Store.IterVariables() {
		if v.Trainable {
			val, _ := v.Value()
			flat := flowkit.Float64s(val)
			for i := range flat {
				flat[i] += 0.3 * math.Sin(float64(i)+1)
			}
			if err := v.SetValue(tensorOf(flat, v.Shape().Dimensions)); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, _ := m.LogProb(x, [][]float64{{1, 2, 3}, {0, 0, 1}})
	b, _ := m.LogProb(x, [][]float64{{-1, 0, 3}, {0, 2, 1}})
	if a[0] == b[0] || a[1] == b[1] {
		t.Fatalf("LogProb does not depend on the condition: %v vs %v", a, b)
	}
}

// TestRealNVPLearnsMoons: a short maximum-likelihood run of a small RealNVP on standardized
// moons moves the NLL well below the standard normal's (the untrained flow) and its samples
// are finite.
func TestRealNVPLearnsMoons(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a flow")
	}
	data := moons(t, 4000)
	m, err := flowkit.NewModel(coupling.Normal(coupling.RealNVP(2, 4, 16, 16), 2), flowkit.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.NLL(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fit.MLE(m, data, nil, fit.Config{Steps: 150, BatchSize: 256, LearningRate: 5e-3}); err != nil {
		t.Fatal(err)
	}
	after, err := m.NLL(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NLL before %.3f, after %.3f (Bayes-optimal 1.131)", before, after)
	if after > before-0.4 {
		t.Fatalf("NLL %.3f -> %.3f: training did not learn the moons", before, after)
	}
	rows, err := m.SampleRows(100, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if math.IsNaN(r[0]) || math.IsInf(r[1], 0) {
			t.Fatalf("non-finite sample %v", r)
		}
	}
}

// TestRandomPermutationsDiffer: the permutations between layers are never the identity and
// differ from layer to layer.
func TestRandomPermutationsDiffer(t *testing.T) {
	mix := coupling.RandomPermutations(3, 1)
	seen := map[string]bool{}
	for layer := 0; layer < 6; layer++ {
		p := mix(layer).(*flowkit.Permute).Perm
		if p[0] == 0 && p[1] == 1 && p[2] == 2 {
			t.Fatalf("layer %d: identity permutation", layer)
		}
		seen[fmt.Sprint(p)] = true
	}
	if len(seen) < 3 {
		t.Fatalf("6 layers drew only %d distinct permutations", len(seen))
	}
}

// TestNetworkWithLUMixing: a learned LU-parameterised linear map (linear.LU) plugs in as the
// mixing bijector between couplings, and the stack passes the harness.
func TestNetworkWithLUMixing(t *testing.T) {
	n := coupling.Network{Event: []int{3}, Layers: 3, Transformer: transformer.NewRQSpline(4, 3),
		Conditioner: nn.MLP{Hidden: []int{8}, ZeroLast: true},
		Mixing:      func(int) flowkit.Bijector { return linear.NewLU() }}
	chain := n.Chain()
	if _, ok := chain.Bijectors[1].(*linear.LU); !ok {
		t.Fatalf("bijector 1 is %T, want *linear.LU", chain.Bijectors[1])
	}
	r, err := check.Bijector(chain, check.Options{Event: []int{3}, Batch: 4, InputScale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}
