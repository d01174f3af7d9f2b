package multiscale

import (
	"slices"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestSqueezeLayout checks Squeeze's formula element by element,
// x[b, i, j, (2·dy + dx)·c + k] = z[b, 2i + dy, 2j + dx, k], and that the host version
// SqueezeFlat gives the same numbers.
func TestSqueezeLayout(t *testing.T) {
	const B, H, W, C = 2, 4, 6, 3
	z := randn(B*H*W*C, 1)
	out := run(t, nil, func(s *model.Scope, in []*graph.Node) []*graph.Node {
		x, ld := Squeeze{}.Forward(s, in[0], nil)
		return []*graph.Node{x, ld}
	}, tensor64(z, B, H, W, C))
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{B, H / 2, W / 2, 4 * C}) {
		t.Fatalf("squeezed shape %v, want [%d %d %d %d]", got, B, H/2, W/2, 4*C)
	}
	x := flowkit.Float64s(out[0])
	for b := 0; b < B; b++ {
		for i := 0; i < H/2; i++ {
			for j := 0; j < W/2; j++ {
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						for k := 0; k < C; k++ {
							got := x[((b*(H/2)+i)*(W/2)+j)*4*C+(2*dy+dx)*C+k]
							want := z[((b*H+2*i+dy)*W+2*j+dx)*C+k]
							if got != want {
								t.Fatalf("x[%d,%d,%d,%d] = %v, want z[%d,%d,%d,%d] = %v", b, i, j, (2*dy+dx)*C+k, got, b, 2*i+dy, 2*j+dx, k, want)
							}
						}
					}
				}
			}
		}
	}
	for _, v := range flowkit.Float64s(out[1]) {
		if v != 0 {
			t.Fatalf("squeeze log-det %v, want 0", v)
		}
	}
	host := SqueezeFlat(z[:H*W*C], H, W, C)
	if !slices.Equal(host, x[:H*W*C]) {
		t.Fatal("SqueezeFlat differs from the graph's squeeze on example 0")
	}
	if back := UnsqueezeFlat(host, H/2, W/2, 4*C); !slices.Equal(back, z[:H*W*C]) {
		t.Fatal("UnsqueezeFlat(SqueezeFlat(z)) != z")
	}
}

// TestSqueezeRoundTripExact: unsqueeze(squeeze(z)) reproduces z bit for bit in float32, in both
// orders, and the inverse direction's log-det is 0.
func TestSqueezeRoundTripExact(t *testing.T) {
	const B, H, W, C = 3, 8, 4, 2
	vals := randn(B*H*W*C, 2)
	f32 := make([]float32, len(vals))
	for i, v := range vals {
		f32[i] = float32(v) * 1e3
	}
	zt := tensors.FromFlatDataAndDimensions(f32, B, H, W, C)
	out := run(t, nil, func(s *model.Scope, in []*graph.Node) []*graph.Node {
		x, _ := Squeeze{}.Forward(s, in[0], nil)
		back, ldI := Squeeze{}.Inverse(s, x, nil)
		// The other order: unsqueeze a [B, H/2, W/2, 4C] tensor, then squeeze it.
		u, _ := Squeeze{}.Inverse(s, graph.Reshape(in[0], B, H/2, W/2, 4*C), nil)
		again, _ := Squeeze{}.Forward(s, u, nil)
		return []*graph.Node{back, ldI, graph.Reshape(again, B, H, W, C)}
	}, zt)
	for k, o := range []*tensors.Tensor{out[0], out[2]} {
		got := tensors.MustCopyFlatData[float32](o)
		if !slices.Equal(got, f32) {
			t.Fatalf("round trip %d is not exact", k)
		}
	}
	for _, v := range flowkit.Float64s(out[1]) {
		if v != 0 {
			t.Fatalf("unsqueeze log-det %v, want 0", v)
		}
	}
}

// TestSqueezeHarness runs the verification harness: the Jacobian of a squeeze is a permutation
// matrix (log|det| 0, one nonzero per row).
func TestSqueezeHarness(t *testing.T) {
	r, err := check.Bijector(Squeeze{}, check.Options{Event: []int{4, 2, 3}, Pattern: SqueezePattern(4, 2, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
}

// TestSqueezeOddSide: squeezing an odd side is refused with a message naming the sides.
func TestSqueezeOddSide(t *testing.T) {
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(3, 4, 1),
		&Network{Event: []int{3, 4, 1}, Levels: []Level{{Squeeze: true}}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.LogProb([][]float64{make([]float64, 12)}, nil)
	if err == nil || !strings.Contains(err.Error(), "even") {
		t.Fatalf("LogProb on a 3×4 image with a squeeze: error %v, want one saying the sides must be even", err)
	}
	if _, err := SqueezedShape([]int{4, 5, 1}); err == nil || !strings.Contains(err.Error(), "4×5") {
		t.Fatalf("SqueezedShape([4 5 1]) error %v, want one naming 4×5", err)
	}
}
