package multiscale

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Squeeze is the 2×2 space-to-depth reshaping of multi-scale flows (RealNVP, Glow): every 2×2
// block of pixels of an image [batch, h, w, c] becomes one pixel with 4c channels,
//
//	x[b, i, j, (2·dy + dx)·c + k] = z[b, 2i + dy, 2j + dx, k],   dy, dx ∈ {0, 1},
//
// giving [batch, h/2, w/2, 4c]. It only moves values, so its Jacobian is a permutation matrix
// and log|det| = 0 in both directions. Forward squeezes, Inverse unsqueezes (depth-to-space);
// both cost one transpose. h and w must be even.
//
// Squeeze changes the event shape, so it is used inside a Network (which keeps the image's
// shape overall), not on its own in a flowkit.Flow.
type Squeeze struct{}

// Name implements flowkit.Named.
func (Squeeze) Name() string { return "Squeeze" }

// Forward implements flowkit.Bijector: [batch, h, w, c] → [batch, h/2, w/2, 4c].
func (Squeeze) Forward(_ *model.Scope, z, _ *graph.Node) (x, logDet *graph.Node) {
	return SpaceToDepth(z), flowkit.ZeroLogDet(z)
}

// Inverse implements flowkit.Bijector: [batch, h, w, c] → [batch, 2h, 2w, c/4].
func (Squeeze) Inverse(_ *model.Scope, x, _ *graph.Node) (z, logDet *graph.Node) {
	return DepthToSpace(x), flowkit.ZeroLogDet(x)
}

// SpaceToDepth is Squeeze's map on a graph node: [batch, h, w, c] → [batch, h/2, w/2, 4c], with
// channel (2·dy + dx)·c + k of the output holding channel k of the pixel at offset (dy, dx) of
// the 2×2 block. It panics with a readable message on a non-image input or an odd side.
func SpaceToDepth(v *graph.Node) *graph.Node {
	b, h, w, c := imageDims("multiscale.Squeeze", v)
	if h%2 != 0 || w%2 != 0 {
		panic(fmt.Errorf("multiscale.Squeeze: image of %d×%d pixels: both sides must be even to squeeze 2×2 blocks", h, w))
	}
	v = graph.Reshape(v, b, h/2, 2, w/2, 2, c)
	v = graph.TransposeAllAxes(v, 0, 1, 3, 2, 4, 5) // [b, h/2, w/2, dy, dx, c]
	return graph.Reshape(v, b, h/2, w/2, 4*c)
}

// DepthToSpace is the inverse of SpaceToDepth: [batch, h, w, c] → [batch, 2h, 2w, c/4]. c must
// be a multiple of 4.
func DepthToSpace(v *graph.Node) *graph.Node {
	b, h, w, c := imageDims("multiscale.Squeeze (unsqueeze)", v)
	if c%4 != 0 {
		panic(fmt.Errorf("multiscale.Squeeze: unsqueezing an image with %d channels: want a multiple of 4", c))
	}
	v = graph.Reshape(v, b, h, w, 2, 2, c/4)
	v = graph.TransposeAllAxes(v, 0, 1, 3, 2, 4, 5) // [b, h, dy, w, dx, c/4]
	return graph.Reshape(v, b, 2*h, 2*w, c/4)
}

// SqueezedShape returns the event shape after a squeeze: [h/2, w/2, 4c]. It returns an error for
// an event that is not [h, w, c] with even h and w.
func SqueezedShape(event []int) ([]int, error) {
	if len(event) != 3 {
		return nil, fmt.Errorf("multiscale: event %v is not an image [h, w, c]", event)
	}
	h, w, c := event[0], event[1], event[2]
	if h <= 0 || w <= 0 || c <= 0 {
		return nil, fmt.Errorf("multiscale: event %v has a non-positive dimension", event)
	}
	if h%2 != 0 || w%2 != 0 {
		return nil, fmt.Errorf("multiscale: cannot squeeze an image of %d×%d pixels: both sides must be even", h, w)
	}
	return []int{h / 2, w / 2, 4 * c}, nil
}

// SqueezeFlat is SpaceToDepth on host data: one image [h, w, c] flattened row-major, returned
// as [h/2, w/2, 4c] flattened. It panics on odd sides or a wrong length.
func SqueezeFlat[T any](img []T, h, w, c int) []T {
	if h%2 != 0 || w%2 != 0 || len(img) != h*w*c {
		panic(fmt.Errorf("multiscale.SqueezeFlat: %d values for an image %d×%d×%d (even sides needed)", len(img), h, w, c))
	}
	out := make([]T, len(img))
	for i := 0; i < h/2; i++ {
		for j := 0; j < w/2; j++ {
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					for k := 0; k < c; k++ {
						out[((i*(w/2)+j)*4+2*dy+dx)*c+k] = img[((2*i+dy)*w+2*j+dx)*c+k]
					}
				}
			}
		}
	}
	return out
}

// UnsqueezeFlat is the inverse of SqueezeFlat: img is [h, w, c] flattened (c a multiple of 4);
// the result is [2h, 2w, c/4] flattened.
func UnsqueezeFlat[T any](img []T, h, w, c int) []T {
	if c%4 != 0 || len(img) != h*w*c {
		panic(fmt.Errorf("multiscale.UnsqueezeFlat: %d values for an image %d×%d×%d (channels a multiple of 4 needed)", len(img), h, w, c))
	}
	out := make([]T, len(img))
	c4 := c / 4
	W := 2 * w
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					for k := 0; k < c4; k++ {
						out[((2*i+dy)*W+2*j+dx)*c4+k] = img[((i*w+j)*4+2*dy+dx)*c4+k]
					}
				}
			}
		}
	}
	return out
}

// SqueezePattern is the structural pattern of Squeeze's Jacobian ∂x/∂z on an event [h, w, c]
// (for check.Options.Pattern): a permutation matrix, output i depending only on the input it was
// moved from. d must be h·w·c.
func SqueezePattern(h, w, c int) func(d int) [][]bool {
	return func(d int) [][]bool {
		if d != h*w*c {
			panic(fmt.Errorf("multiscale.SqueezePattern: %d dimensions for an event %d×%d×%d", d, h, w, c))
		}
		src := make([]int, d)
		for i := range src {
			src[i] = i
		}
		src = SqueezeFlat(src, h, w, c)
		p := make([][]bool, d)
		for i := range p {
			p[i] = make([]bool, d)
			p[i][src[i]] = true
		}
		return p
	}
}

// imageDims returns the dimensions of an image node [batch, h, w, c], panicking with a message
// naming who when v is not rank 4.
func imageDims(who string, v *graph.Node) (b, h, w, c int) {
	if v.Rank() != 4 {
		panic(fmt.Errorf("%s: input shape %v: want an image batch [batch, h, w, c]", who, v.Shape().Dimensions))
	}
	d := v.Shape().Dimensions
	return d[0], d[1], d[2], d[3]
}

var _ flowkit.Bijector = Squeeze{}
