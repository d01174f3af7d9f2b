package multiscale

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/nn"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// steps returns n steps for a squeezed event [h, w, c]: a 1×1 convolution and an affine coupling
// on channels with a small CNN conditioner, alternating the kept half.
func steps(n int, ev []int) []flowkit.Bijector {
	var bs []flowkit.Bijector
	for i := 0; i < n; i++ {
		bs = append(bs, flowkit.NewChain(
			coupling.New(coupling.Channels(ev[0], ev[1], ev[2], i%2), transformer.NewAffine(), nn.CNN{Hidden: []int{4}, ZeroLast: true}),
			linear.NewConv1x1(),
		))
	}
	return bs
}

// twoLevels is a Glow-like network on [h, w, c]: squeeze, steps, split with a prior; squeeze,
// steps.
func twoLevels(h, w, c, k int) *Network {
	s1 := []int{h / 2, w / 2, 4 * c}
	s2 := []int{h / 4, w / 4, 8 * c}
	return &Network{Event: []int{h, w, c}, Levels: []Level{
		{Squeeze: true, Post: steps(k, s1), Split: true, Prior: nn.CNN{ZeroLast: true}},
		{Squeeze: true, Post: steps(k, s2)},
	}}
}

// TestNetworkShapes: the shapes of each level of a two-level network on [8, 8, 2], the latent
// shapes, and that the latents hold as many values as the image (figure 16.10's bookkeeping).
func TestNetworkShapes(t *testing.T) {
	n := twoLevels(8, 8, 2, 1)
	ls, err := n.Shapes()
	if err != nil {
		t.Fatal(err)
	}
	want := []LevelShape{
		{Level: 1, Input: []int{8, 8, 2}, Squeezed: []int{4, 4, 8}, Steps: 1, Latent: []int{4, 4, 4}, Continues: []int{4, 4, 4}, Prior: true},
		{Level: 2, Input: []int{4, 4, 4}, Squeezed: []int{2, 2, 16}, Steps: 1, Latent: []int{2, 2, 16}},
	}
	if fmt.Sprint(ls) != fmt.Sprint(want) {
		t.Fatalf("shapes\n%v\nwant\n%v", ls, want)
	}
	total := 0
	for _, s := range n.LatentShapes() {
		total += s[0] * s[1] * s[2]
	}
	if total != 8*8*2 {
		t.Fatalf("the latents hold %d values, the image %d", total, 8*8*2)
	}
	for _, bad := range []*Network{
		{Event: []int{6, 6, 1}, Levels: []Level{{Squeeze: true, Split: true}, {Squeeze: true}}},
		{Event: []int{4, 4, 1}, Levels: []Level{{Split: true}}},
		{Event: []int{4, 4}, Levels: []Level{{}}},
		{Event: []int{4, 4, 1}},
	} {
		if _, err := bad.Shapes(); err == nil {
			t.Errorf("Shapes of %+v: no error", bad)
		}
	}
}

// TestNetworkLatentsRoundTrip: Latents cuts the total latent into the per-level latents (the
// graph and host versions agree), Assemble and AssembleFlat put them back exactly, and the
// arrangement is a permutation of the values.
func TestNetworkLatentsRoundTrip(t *testing.T) {
	for _, n := range []*Network{
		twoLevels(8, 8, 2, 0),
		// A last level that splits too, and a level that squeezes without splitting.
		{Event: []int{8, 4, 1}, Levels: []Level{{Squeeze: true}, {Squeeze: true, Split: true}}},
	} {
		const B = 2
		H, W, C := n.Event[0], n.Event[1], n.Event[2]
		z := randn(B*H*W*C, 7)
		shapes := n.LatentShapes()
		out := run(t, nil, func(s *model.Scope, in []*graph.Node) []*graph.Node {
			parts := n.Latents(in[0])
			return append(parts, n.Assemble(parts))
		}, tensor64(z, B, H, W, C))
		if len(out) != len(shapes)+1 {
			t.Fatalf("%d latents, LatentShapes says %d", len(out)-1, len(shapes))
		}
		for i, sh := range shapes {
			if got := out[i].Shape().Dimensions[1:]; !slices.Equal(got, sh) {
				t.Fatalf("latent %d has shape %v, want %v", i, got, sh)
			}
		}
		if !slices.Equal(flowkit.Float64s(out[len(out)-1]), z) {
			t.Fatal("Assemble(Latents(z)) != z")
		}
		f32 := make([]float32, H*W*C)
		for i := range f32 {
			f32[i] = float32(z[i])
		}
		host := n.LatentsFlat(f32)
		var all []float64
		for i, part := range host {
			g := flowkit.Float64s(out[i])[:len(part)]
			for j, v := range part {
				if float32(g[j]) != v {
					t.Fatalf("latent %d value %d: host %v, graph %v", i, j, v, g[j])
				}
				all = append(all, float64(v))
			}
		}
		if back := n.AssembleFlat(host); !slices.Equal(back, f32) {
			t.Fatal("AssembleFlat(LatentsFlat(z)) != z")
		}
		sorted := make([]float64, H*W*C)
		for i, v := range f32 {
			sorted[i] = float64(v)
		}
		sort.Float64s(sorted)
		sort.Float64s(all)
		if !slices.Equal(all, sorted) {
			t.Fatal("the per-level latents are not a rearrangement of z")
		}
	}
}

// TestNetworkHarness runs the verification harness over a two-level network on [4, 4, 2] with a
// learned split prior: round trip, log-det against the exact 32×32 Jacobian, gradients.
func TestNetworkHarness(t *testing.T) {
	// Parameter noise of 0.1 (the harness's default 0.3 on every weight of eight stacked
	// layers makes the map so ill-conditioned that float64 round trips lose digits).
	r, err := check.Bijector(twoLevels(4, 4, 2, 2), check.Options{Event: []int{4, 4, 2}, ParamNoise: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}

// TestNetworkFloat32Reconstruction: with random (non-identity) parameters, decoding the encoding
// of an image batch reconstructs it to within 1e-4 in float32, and the forward log-det is minus
// the inverse one.
func TestNetworkFloat32Reconstruction(t *testing.T) {
	n := twoLevels(16, 16, 1, 3)
	const B = 4
	vals := randn(B*16*16, 9)
	f32 := make([]float32, len(vals))
	for i, v := range vals {
		f32[i] = float32(0.5 + 0.25*v)
	}
	x := tensors.FromFlatDataAndDimensions(f32, B, 16, 16, 1)
	store := model.NewStore()
	fn := func(s *model.Scope, in []*graph.Node) []*graph.Node {
		z, ldI := n.Inverse(s, in[0], nil)
		back, ldF := n.Forward(s, z, nil)
		return []*graph.Node{z, ldI, back, ldF}
	}
	exec, err := model.NewExec(testBackend(t), store, fn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec(x); err != nil {
		t.Fatal(err)
	}
	if perturbAll(t, store, 0.05, 3) == 0 {
		t.Fatal("no variables to perturb")
	}
	out, err := exec.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DType() != dtypes.Float32 {
		t.Fatalf("latent dtype %s, want float32", out[0].DType())
	}
	recon := maxAbsDiff(flowkit.Float64s(out[2]), flowkit.Float64s(x))
	moved := maxAbsDiff(flowkit.Float64s(out[0]), flowkit.Float64s(x))
	t.Logf("max |f(f⁻¹(x)) - x| = %.3g; the latent differs from x by up to %.3g", recon, moved)
	if moved < 0.1 {
		t.Fatalf("the network barely moves its input (%.3g): the parameters are not random", moved)
	}
	if recon >= 1e-4 {
		t.Fatalf("reconstruction error %.3g ≥ 1e-4", recon)
	}
	ldI, ldF := flowkit.Float64s(out[1]), flowkit.Float64s(out[3])
	for i := range ldI {
		if d := math.Abs(ldI[i] + ldF[i]); d > 1e-3*math.Max(1, math.Abs(ldI[i])) {
			t.Fatalf("example %d: inverse log-det %.6g, forward %.6g", i, ldI[i], ldF[i])
		}
	}
}
