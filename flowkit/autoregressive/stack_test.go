package autoregressive_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// TestConfigOrders: ReversePermutation alternates the natural and reversed orders (the MAF
// paper's reverse permutations, done in the masks), RandomPermutation gives reproducible
// permutations, and the layers of a built chain carry those orders.
func TestConfigOrders(t *testing.T) {
	c := autoregressive.Config{Layers: 3, Hidden: []int{4}}
	if got := c.Order(0, 4); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("layer 0 order %v, want natural", got)
	}
	if got := c.Order(1, 4); !slices.Equal(got, []int{3, 2, 1, 0}) {
		t.Errorf("layer 1 order %v, want reversed", got)
	}
	chain := c.Build(4)
	if len(chain.Bijectors) != 3 {
		t.Fatalf("chain has %d bijectors, want 3 layers", len(chain.Bijectors))
	}
	if got := chain.Bijectors[1].(*autoregressive.MAFLayer).Net.Order; !slices.Equal(got, []int{3, 2, 1, 0}) {
		t.Errorf("built layer 1 has order %v", got)
	}
	r := autoregressive.Config{Layers: 3, Permutation: autoregressive.RandomPermutation, Seed: 4}
	a, b := r.Order(2, 6), r.Order(2, 6)
	if !slices.Equal(a, b) {
		t.Errorf("random orders are not reproducible: %v vs %v", a, b)
	}
	sorted := slices.Sorted(slices.Values(a))
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("random order %v is not a permutation", a)
	}
	if slices.Equal(r.Order(1, 6), r.Order(2, 6)) {
		t.Errorf("two layers drew the same random order %v", a)
	}
}

// TestConfigBetweenAndKinds: the Between factory is called once per gap and its bijectors sit
// between the layers; IAF stacks are made of IAF layers; NAF and NSF use their transformers.
func TestConfigBetweenAndKinds(t *testing.T) {
	var gaps []int
	c := autoregressive.Config{Layers: 3, Hidden: []int{4}, Inverted: true,
		Between: func(gap, d int) flowkit.Bijector {
			gaps = append(gaps, gap)
			if d != 5 {
				t.Errorf("Between got d = %d, want 5", d)
			}
			return flowkit.IdentityMap{}
		}}
	chain := c.Build(5)
	if !slices.Equal(gaps, []int{0, 1}) {
		t.Errorf("Between called for gaps %v, want [0 1]", gaps)
	}
	var kinds []string
	for _, b := range chain.Bijectors {
		kinds = append(kinds, fmt.Sprintf("%T", b))
	}
	want := []string{"*autoregressive.IAFLayer", "flowkit.IdentityMap", "*autoregressive.IAFLayer", "flowkit.IdentityMap", "*autoregressive.IAFLayer"}
	if !slices.Equal(kinds, want) {
		t.Errorf("chain %v, want %v", kinds, want)
	}
	for name, chain := range map[string]*flowkit.Chain{
		"DSF":             autoregressive.NAF(2, 2, 8),
		"RQSpline":        autoregressive.NSF(2, 2, 8),
		"PiecewiseLinear": autoregressive.PiecewiseLinearFlow(2, 1, 4, 8),
		"Affine":          autoregressive.MAF(2, 2, 8),
	} {
		if got := flowkit.NameOf(chain.Bijectors[0]); !strings.Contains(got, name) {
			t.Errorf("builder for %s made %s", name, got)
		}
	}
}

// TestConfigErrors: bad sizes panic with messages naming the problem.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { autoregressive.MAF(0, 2, 8) }, "dimension 0"},
		{func() { autoregressive.MAF(2, 0, 8) }, "Layers"},
		{func() { autoregressive.Config{Layers: 2, Permutation: 9}.Build(3) }, "Permutation"},
	} {
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			c.f()
			return "no panic"
		}()
		if !strings.Contains(msg, c.want) {
			t.Errorf("got %q, want a message containing %q", msg, c.want)
		}
	}
}

// TestPiecewiseLinearFlowDomain: the book's flow lives on [0, 1]^d, and a Model built on it
// rejects data outside that box with an error instead of returning garbage.
func TestPiecewiseLinearFlowDomain(t *testing.T) {
	flow := flowkit.NewFlow(flowkit.NewUniform(0, 1, 2), autoregressive.PiecewiseLinearFlow(2, 2, 5, 8))
	m, err := flowkit.NewModel(flow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LogProb([][]float64{{0.2, 0.7}}, nil); err != nil {
		t.Fatalf("inside the box: %v", err)
	}
	if _, err := m.LogProb([][]float64{{0.2, 1.5}}, nil); err == nil {
		t.Fatal("a point outside [0, 1]^2 was accepted")
	}
	var _ transformer.Bounded = transformer.NewPiecewiseLinear(3)
}
