package multiscale

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Level is one scale of a Network, described in the normalizing direction (data → latent):
// the level's input [h, w, c] goes through Pre, is squeezed to [h/2, w/2, 4c] (when Squeeze),
// goes through Post, and then (when Split) half of its channels leave to the latent while the
// other half goes on to the next level. Without Split, the next level (if any) receives the
// whole tensor.
type Level struct {
	// Pre are the bijectors applied before the squeeze, on the level's input shape, in the
	// order the normalizing direction applies them (RealNVP's checkerboard couplings).
	Pre []flowkit.Bijector
	// Squeeze squeezes 2×2 blocks into channels after Pre.
	Squeeze bool
	// Post are the bijectors applied after the squeeze, on the squeezed shape, in the order the
	// normalizing direction applies them (Glow's steps, RealNVP's channel couplings).
	Post []flowkit.Bijector
	// Split factors out the first half of the channels after Post (see Split).
	Split bool
	// Prior is the learned conditional prior of the factored-out half (nil: N(0, 1)); used
	// only with Split.
	Prior coupling.Conditioner
	// PriorLogScaleBound bounds the prior's log σ softly (see Split.LogScaleBound).
	PriorLogScaleBound float64
}

// Network is a multi-scale flow (figure 16.10): Levels applied from the finest scale
// (Levels[0], on the data) to the coarsest, each factoring out part of its channels. It is a
// flowkit.Bijector on image events [batch, H, W, C] that keeps the shape: the total latent is
// one tensor [H, W, C] holding every level's latent at fixed places (see the package
// documentation), so a StandardNormal(H, W, C) base makes it a flowkit.Flow, and Latents /
// Assemble convert between that tensor and the list of per-level latents.
//
// The cost of both directions is the sum of the levels' steps; the factored-out parts skip the
// deeper levels, which is what makes multi-scale flows cheaper than keeping every dimension to
// the end. Variables live under the scopes of the chain Chain returns.
type Network struct {
	// Event is the input image shape [H, W, C].
	Event  []int
	Levels []Level
}

// LevelShape describes the shapes of one level, for architecture tables.
type LevelShape struct {
	Level int
	// Input is the level's input [h, w, c]; Squeezed its shape after the squeeze (Input when
	// the level does not squeeze).
	Input, Squeezed []int
	// Steps is the number of bijectors of the level (Pre and Post).
	Steps int
	// Latent is the shape factored out to the latent at this level (nil when nothing is);
	// Continues the shape passed to the next level (nil after the last level).
	Latent, Continues []int
	// Prior tells whether the factored-out part has a learned conditional prior.
	Prior bool
}

// Shapes returns the shapes of every level, or an error naming the level whose shapes do not
// work (odd sides to squeeze, a single channel to split, no levels).
func (n *Network) Shapes() ([]LevelShape, error) {
	if len(n.Event) != 3 {
		return nil, fmt.Errorf("multiscale.Network: event %v is not an image [H, W, C]", n.Event)
	}
	for _, d := range n.Event {
		if d <= 0 {
			return nil, fmt.Errorf("multiscale.Network: event %v has a non-positive dimension", n.Event)
		}
	}
	if len(n.Levels) == 0 {
		return nil, fmt.Errorf("multiscale.Network: no levels")
	}
	var out []LevelShape
	in := slices.Clone(n.Event)
	for i, l := range n.Levels {
		ls := LevelShape{Level: i + 1, Input: slices.Clone(in), Squeezed: slices.Clone(in), Steps: len(l.Pre) + len(l.Post)}
		if l.Squeeze {
			sq, err := SqueezedShape(in)
			if err != nil {
				return nil, fmt.Errorf("multiscale.Network: level %d: %w", i+1, err)
			}
			ls.Squeezed = sq
		}
		next := slices.Clone(ls.Squeezed)
		if l.Split {
			c := ls.Squeezed[2]
			if c < 2 {
				return nil, fmt.Errorf("multiscale.Network: level %d splits an image of shape %v with %d channel: want at least 2 (squeeze first)",
					i+1, ls.Squeezed, c)
			}
			ls.Latent = []int{ls.Squeezed[0], ls.Squeezed[1], c / 2}
			next = []int{ls.Squeezed[0], ls.Squeezed[1], c - c/2}
			ls.Prior = l.Prior != nil
		} else if i == len(n.Levels)-1 {
			ls.Latent = slices.Clone(ls.Squeezed)
		}
		if i < len(n.Levels)-1 {
			ls.Continues = next
		}
		out = append(out, ls)
		in = next
	}
	return out, nil
}

// Name implements flowkit.Named.
func (n *Network) Name() string {
	steps := 0
	for _, l := range n.Levels {
		steps += len(l.Pre) + len(l.Post)
	}
	return fmt.Sprintf("MultiScale(%d levels,%d steps)", len(n.Levels), steps)
}

// Variable scopes: level i (1-based) lives under "level<i>" of the network's scope, with its
// bijectors under "pre<j>" and "step<j>" (0-based, two digits) and the split prior under
// "split/prior". The names do not depend on the bijectors' names, so checkpoints stay valid
// when a bijector's description changes.
func levelScope(s *model.Scope, i int) *model.Scope { return s.At("level%d", i+1) }

func (n *Network) check(v *graph.Node) {
	if _, err := n.Shapes(); err != nil {
		panic(err)
	}
	want := append([]int{v.Shape().Dimensions[0]}, n.Event...)
	if v.Rank() != 4 || !slices.Equal(v.Shape().Dimensions, want) {
		panic(fmt.Errorf("multiscale.Network: input shape %v does not match the network's event %v: want [batch, %s]",
			v.Shape().Dimensions, n.Event, strings.Trim(fmt.Sprint(n.Event), "[]")))
	}
}

// Forward implements flowkit.Bijector: latent [batch, H, W, C] → image, coarsest level first.
func (n *Network) Forward(s *model.Scope, z, cond *graph.Node) (x, logDet *graph.Node) {
	n.check(z)
	return n.forward(s, 0, z, cond)
}

// Inverse implements flowkit.Bijector: image [batch, H, W, C] → latent of the same shape.
func (n *Network) Inverse(s *model.Scope, x, cond *graph.Node) (z, logDet *graph.Node) {
	n.check(x)
	return n.inverse(s, 0, x, cond)
}

// inverse runs levels i, i+1, ... on level i's input x in the normalizing direction.
func (n *Network) inverse(s *model.Scope, i int, x, cond *graph.Node) (*graph.Node, *graph.Node) {
	l := n.Levels[i]
	ls := levelScope(s, i)
	logDet := flowkit.ZeroLogDet(x)
	add := func(ld *graph.Node) { logDet = graph.Add(logDet, ld) }
	var ld *graph.Node
	for j, b := range l.Pre {
		x, ld = b.Inverse(ls.At("pre%02d", j), x, cond)
		add(ld)
	}
	if l.Squeeze {
		x = SpaceToDepth(x)
	}
	for j, b := range l.Post {
		x, ld = b.Inverse(ls.At("step%02d", j), x, cond)
		add(ld)
	}
	var inner innerFn
	if i+1 < len(n.Levels) {
		inner = func(v *graph.Node) (*graph.Node, *graph.Node) { return n.inverse(s, i+1, v, cond) }
	}
	switch {
	case l.Split:
		x, ld = (&Split{Prior: l.Prior, LogScaleBound: l.PriorLogScaleBound}).inverse(ls.At("split"), x, cond, inner)
		add(ld)
	case inner != nil:
		x, ld = inner(x)
		add(ld)
	}
	if l.Squeeze {
		x = DepthToSpace(x)
	}
	return x, logDet
}

// forward runs levels i, i+1, ... in the generative direction on level i's part of the latent.
func (n *Network) forward(s *model.Scope, i int, z, cond *graph.Node) (*graph.Node, *graph.Node) {
	l := n.Levels[i]
	ls := levelScope(s, i)
	logDet := flowkit.ZeroLogDet(z)
	add := func(ld *graph.Node) { logDet = graph.Add(logDet, ld) }
	var ld *graph.Node
	if l.Squeeze {
		z = SpaceToDepth(z)
	}
	var inner innerFn
	if i+1 < len(n.Levels) {
		inner = func(v *graph.Node) (*graph.Node, *graph.Node) { return n.forward(s, i+1, v, cond) }
	}
	switch {
	case l.Split:
		z, ld = (&Split{Prior: l.Prior, LogScaleBound: l.PriorLogScaleBound}).forward(ls.At("split"), z, cond, inner)
		add(ld)
	case inner != nil:
		z, ld = inner(z)
		add(ld)
	}
	for j := len(l.Post) - 1; j >= 0; j-- {
		z, ld = l.Post[j].Forward(ls.At("step%02d", j), z, cond)
		add(ld)
	}
	if l.Squeeze {
		z = DepthToSpace(z)
	}
	for j := len(l.Pre) - 1; j >= 0; j-- {
		z, ld = l.Pre[j].Forward(ls.At("pre%02d", j), z, cond)
		add(ld)
	}
	return z, logDet
}

// Latents cuts a total latent z [batch, H, W, C] into the per-level latents, finest level
// first: for Glow on [28, 28, 1] with 2 levels, z₁ [batch, 14, 14, 2] and z₂ [batch, 7, 7, 8].
// It only rearranges values (Assemble undoes it).
func (n *Network) Latents(z *graph.Node) []*graph.Node {
	n.check(z)
	var out []*graph.Node
	v := z
	for i, l := range n.Levels {
		if l.Squeeze {
			v = SpaceToDepth(v)
		}
		switch {
		case l.Split:
			part, rest := halves(v)
			out = append(out, part)
			v = rest
		case i == len(n.Levels)-1:
			out = append(out, v)
		}
	}
	if !n.Levels[len(n.Levels)-1].Split {
		return out
	}
	return append(out, v) // a last level that splits leaves the rest as one more latent
}

// Assemble is the inverse of Latents: it puts per-level latents (the shapes LatentShapes
// gives, with a batch axis) back into one latent [batch, H, W, C].
func (n *Network) Assemble(parts []*graph.Node) *graph.Node {
	want := n.LatentShapes()
	if len(parts) != len(want) {
		panic(fmt.Errorf("multiscale.Network.Assemble: %d latents, the network has %d (shapes %v)", len(parts), len(want), want))
	}
	for i, p := range parts {
		if p.Rank() != 4 || !slices.Equal(p.Shape().Dimensions[1:], want[i]) {
			panic(fmt.Errorf("multiscale.Network.Assemble: latent %d has shape %v, want [batch, %v]", i, p.Shape().Dimensions, want[i]))
		}
	}
	// The last part is the coarsest level's latent (or, when the last level splits too, what
	// it keeps); the parts before it are the factored-out halves, consumed from the coarsest.
	v := parts[len(parts)-1]
	k := len(parts) - 2
	for i := len(n.Levels) - 1; i >= 0; i-- {
		l := n.Levels[i]
		if l.Split {
			v = graph.Concatenate([]*graph.Node{parts[k], v}, -1)
			k--
		}
		if l.Squeeze {
			v = DepthToSpace(v)
		}
	}
	return v
}

// LatentShapes returns the shape of each per-level latent Latents returns, finest first.
func (n *Network) LatentShapes() [][]int {
	ls, err := n.Shapes()
	if err != nil {
		panic(err)
	}
	var out [][]int
	for _, l := range ls {
		if l.Latent != nil {
			out = append(out, l.Latent)
		}
	}
	if last := ls[len(ls)-1]; n.Levels[len(n.Levels)-1].Split {
		out = append(out, []int{last.Squeezed[0], last.Squeezed[1], last.Squeezed[2] - last.Squeezed[2]/2})
	}
	return out
}

// LatentsFlat is Latents on host data: one example's total latent [H, W, C] flattened
// row-major, cut into the per-level latents, each flattened.
func (n *Network) LatentsFlat(z []float32) [][]float32 {
	shapes, err := n.Shapes()
	if err != nil {
		panic(err)
	}
	if size := n.Event[0] * n.Event[1] * n.Event[2]; len(z) != size {
		panic(fmt.Errorf("multiscale.Network.LatentsFlat: %d values, want %d for event %v", len(z), size, n.Event))
	}
	var out [][]float32
	v := z
	for i, l := range n.Levels {
		sh := shapes[i]
		if l.Squeeze {
			v = SqueezeFlat(v, sh.Input[0], sh.Input[1], sh.Input[2])
		}
		if l.Split {
			h, w, c := sh.Squeezed[0], sh.Squeezed[1], sh.Squeezed[2]
			k := c / 2
			part := make([]float32, 0, h*w*k)
			rest := make([]float32, 0, h*w*(c-k))
			for p := 0; p < h*w; p++ {
				part = append(part, v[p*c:p*c+k]...)
				rest = append(rest, v[p*c+k:(p+1)*c]...)
			}
			out = append(out, part)
			v = rest
		} else if i == len(n.Levels)-1 {
			out = append(out, v)
		}
	}
	if n.Levels[len(n.Levels)-1].Split {
		out = append(out, v)
	}
	return out
}

var _ flowkit.Bijector = (*Network)(nil)

// AssembleFlat is the inverse of LatentsFlat: it puts one example's per-level latents (each
// flattened, with the sizes of LatentShapes) back into its total latent [H, W, C], flattened.
func (n *Network) AssembleFlat(parts [][]float32) []float32 {
	shapes, err := n.Shapes()
	if err != nil {
		panic(err)
	}
	want := n.LatentShapes()
	if len(parts) != len(want) {
		panic(fmt.Errorf("multiscale.Network.AssembleFlat: %d latents, the network has %d (shapes %v)", len(parts), len(want), want))
	}
	for i, p := range parts {
		if len(p) != want[i][0]*want[i][1]*want[i][2] {
			panic(fmt.Errorf("multiscale.Network.AssembleFlat: latent %d has %d values, want %v", i, len(p), want[i]))
		}
	}
	v := parts[len(parts)-1]
	k := len(parts) - 2
	for i := len(n.Levels) - 1; i >= 0; i-- {
		l, sh := n.Levels[i], shapes[i]
		if l.Split {
			h, w, c := sh.Squeezed[0], sh.Squeezed[1], sh.Squeezed[2]
			half := c / 2
			joined := make([]float32, 0, h*w*c)
			for p := 0; p < h*w; p++ {
				joined = append(joined, parts[k][p*half:(p+1)*half]...)
				joined = append(joined, v[p*(c-half):(p+1)*(c-half)]...)
			}
			v = joined
			k--
		}
		if l.Squeeze {
			v = UnsqueezeFlat(v, sh.Squeezed[0], sh.Squeezed[1], sh.Squeezed[2])
		}
	}
	return v
}
