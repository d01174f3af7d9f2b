package fuzzcheck_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fuzzcheck"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// TestDecoderCoversTheRange checks that random bytes reach typical values, extreme magnitudes
// of both signs, the special points and the bounds, and nothing outside [Lo, Hi].
func TestDecoderCoversTheRange(t *testing.T) {
	r := fuzzcheck.Range{Lo: -1e6, Hi: 1e6, Typical: 3, Specials: []float64{0, 2.5}}
	var tiny, huge, neg, special, typical int
	for _, seed := range fuzzcheck.Seeds(64, 300) {
		d := fuzzcheck.NewDecoder(seed)
		for _, v := range d.Values(100, r) {
			if v < r.Lo || v > r.Hi || math.IsNaN(v) {
				t.Fatalf("value %v outside [%g, %g]", v, r.Lo, r.Hi)
			}
			a := math.Abs(v)
			switch {
			case v == 2.5 || v == 0:
				special++
			case a < 1e-100:
				tiny++
			case a > 1e4:
				huge++
			case a <= 3:
				typical++
			}
			if v < 0 {
				neg++
			}
		}
	}
	t.Logf("typical %d, tiny %d, huge %d, special %d, negative %d of 6400", typical, tiny, huge, special, neg)
	for name, n := range map[string]int{"typical": typical, "tiny": tiny, "huge": huge, "special": special, "negative": neg} {
		if n < 50 {
			t.Errorf("only %d %s values", n, name)
		}
	}
	// Same bytes, same values; short inputs are filled deterministically.
	a := fuzzcheck.NewDecoder([]byte{1, 2}).Values(5, r)
	b := fuzzcheck.NewDecoder([]byte{1, 2}).Values(5, r)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the decoder is not deterministic")
		}
	}
}

// sloppy is an affine transformer whose inverse is off by a relative 1e-7: the harness must
// catch it in float64.
type sloppy struct{ transformer.Affine }

func (s sloppy) Name() string { return "sloppy" }
func (s sloppy) Inverse(y, p *Node) (*Node, *Node) {
	x, ld := s.Affine.Inverse(y, p)
	return MulScalar(x, 1+1e-7), ld
}

// badLogDet is an affine transformer whose inverse log-derivative has the wrong sign.
type badLogDet struct{ transformer.Affine }

func (b badLogDet) Name() string { return "bad log-det" }
func (b badLogDet) Inverse(y, p *Node) (*Node, *Node) {
	x, ld := b.Affine.Inverse(y, p)
	return x, Neg(ld)
}

// TestHarnessCatchesBrokenTransformers feeds the seed corpus to harnesses of deliberately
// broken transformers: each is caught, with a message naming the element and the property.
func TestHarnessCatchesBrokenTransformers(t *testing.T) {
	r := fuzzcheck.Range{Lo: -1e6, Hi: 1e6, Typical: 3, Specials: []float64{0}}
	cases := []struct {
		name string
		tr   transformer.Transformer
		want string
	}{
		{"inexact inverse", &sloppy{transformer.Affine{LogScaleBound: 5}}, "f⁻¹"},
		{"wrong log-det sign", &badLogDet{transformer.Affine{LogScaleBound: 5}}, "log-det mismatch"},
	}
	for _, c := range cases {
		h, err := fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{Name: c.name, T: c.tr, Input: r, Params: r, Smooth: true})
		if err != nil {
			t.Fatal(err)
		}
		caught := 0
		var msg string
		for _, s := range fuzzcheck.Seeds(16, h.InputLen()) {
			if err := h.Check(s); err != nil {
				caught++
				msg = err.Error()
			}
		}
		if caught < 8 || !strings.Contains(msg, c.want) || !strings.Contains(msg, "element") {
			t.Errorf("%s: caught by %d of 16 seeds; last message %q", c.name, caught, msg)
		}
	}
	// The correct transformer passes the same seeds.
	h, _ := fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{Name: "affine", T: transformer.NewAffine(), Input: r, Params: r, Smooth: true})
	for i, s := range fuzzcheck.Seeds(16, h.InputLen()) {
		if err := h.Check(s); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
}

// TestBijectorHarnessSetsVariablesAndChecksDomain runs the bijector harness over an elementwise
// piecewise-linear flow (bounded domain) and over a broken bijector.
func TestBijectorHarnessSetsVariablesAndChecksDomain(t *testing.T) {
	h, err := fuzzcheck.NewBijectorHarness(fuzzcheck.BijectorTarget{Name: "pl",
		New:   func() flowkit.Bijector { return elementwise.New(transformer.NewPiecewiseLinear(4)) },
		Event: []int{3}, Params: fuzzcheck.Range{Lo: -30, Hi: 30, Typical: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if h.NumParams() != 12 {
		t.Fatalf("%v: %d parameters, want 3×4", h, h.NumParams())
	}
	for i, s := range fuzzcheck.Seeds(24, h.InputLen()) {
		if err := h.Check(s); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	broken, err := fuzzcheck.NewBijectorHarness(fuzzcheck.BijectorTarget{Name: "sloppy",
		New:   func() flowkit.Bijector { return elementwise.New(&sloppy{transformer.Affine{LogScaleBound: 5}}) },
		Input: fuzzcheck.Range{Lo: -1e3, Hi: 1e3, Typical: 3}, Params: fuzzcheck.Range{Lo: -3, Hi: 3, Typical: 1}, Smooth: true})
	if err != nil {
		t.Fatal(err)
	}
	caught := 0
	for _, s := range fuzzcheck.Seeds(16, broken.InputLen()) {
		if broken.Check(s) != nil {
			caught++
		}
	}
	if caught < 8 {
		t.Fatalf("the broken bijector passed %d of 16 seeds", 16-caught)
	}
}

// Example_transformer shows the harness on its own (fuzz tests wrap it with fuzzcheck.Fuzz).
func Example_transformer() {
	h, err := fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{
		Name: "RQSpline", T: transformer.NewRQSpline(8, 3), DType: dtypes.Float64,
		Input:  fuzzcheck.Range{Lo: -1e6, Hi: 1e6, Typical: 3, Specials: []float64{-3, 0, 3}},
		Params: fuzzcheck.Range{Lo: -50, Hi: 50, Typical: 3},
		Smooth: true, BackwardTol: 1e-9, RoundTripTol: 1e-9, LogDetTol: 1e-6,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	failures := 0
	for _, input := range fuzzcheck.Seeds(8, h.InputLen()) {
		if err := h.Check(input); err != nil {
			failures++
		}
	}
	fmt.Println(h, "failures:", failures)
	// Output: fuzzcheck RQSpline (RQSpline(K=8,B=3), float64, N=16) failures: 0
}
