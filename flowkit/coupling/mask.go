package coupling

import (
	"fmt"
	"slices"
	"strings"
)

// Mask splits an event into the part a coupling copies, h₁ (kept: the conditioner's input), and
// the part it transforms, h₂ (eq. 16.13). It is a boolean pattern over the event shape, true
// where an element is kept.
//
// How a coupling realises the split depends on the pattern, cheapest first:
//
//   - a contiguous block at the start or end of the last axis (Half, KeepFirst, Channels, and their
//     Swap): static slices and one concatenation; the conditioner sees only h₁ and the
//     transformer runs only on h₂;
//   - any other pattern on a vector event [D] (Alternating, NewMask): one constant permutation
//     brings the kept elements first, then as above;
//   - any other pattern on an image event [H, W, C] (Checkerboard): the conditioner sees the
//     whole event with h₂ zeroed, as in RealNVP, and a select keeps h₁ unchanged.
type Mask struct {
	name  string
	event []int
	keep  []bool
}

// NewMask returns the mask keeping the elements of event where keep (flattened row-major) is
// true.
func NewMask(event []int, keep []bool) (Mask, error) {
	n := 1
	for _, d := range event {
		if d <= 0 {
			return Mask{}, fmt.Errorf("coupling.NewMask: event %v has a non-positive dimension", event)
		}
		n *= d
	}
	if len(event) == 0 {
		return Mask{}, fmt.Errorf("coupling.NewMask: empty event shape")
	}
	if len(keep) != n {
		return Mask{}, fmt.Errorf("coupling.NewMask: %d mask entries for event %v of %d elements", len(keep), event, n)
	}
	return Mask{name: "mask", event: slices.Clone(event), keep: slices.Clone(keep)}, nil
}

func mustMask(name string, event []int, keep func(i int, idx []int) bool) Mask {
	n := 1
	for _, d := range event {
		if d <= 0 {
			panic(fmt.Errorf("coupling: %s mask on event %v: non-positive dimension", name, event))
		}
		n *= d
	}
	k := make([]bool, n)
	idx := make([]int, len(event))
	for i := range k {
		rem := i
		for a := len(event) - 1; a >= 0; a-- {
			idx[a] = rem % event[a]
			rem /= event[a]
		}
		k[i] = keep(i, idx)
	}
	return Mask{name: name, event: slices.Clone(event), keep: k}
}

// KeepFirst keeps the first k of d features and transforms the other d-k (0 <= k <= d).
func KeepFirst(d, k int) Mask {
	if k < 0 || k > d {
		panic(fmt.Errorf("coupling.KeepFirst: keeping %d of %d features", k, d))
	}
	return mustMask(fmt.Sprintf("split(%d|%d)", k, d-k), []int{d}, func(i int, _ []int) bool { return i < k })
}

// Half keeps the first ⌊d/2⌋ features and transforms the rest: the split of NICE and RealNVP on
// vectors. Half(d).Swap() keeps the last ⌈d/2⌉. With d = 1 nothing is kept: the single feature is
// transformed with parameters that depend only on the conditioning input (or are learned
// constants).
func Half(d int) Mask { m := KeepFirst(d, d/2); m.name = "half"; return m }

// Alternating keeps the features whose index has the given parity (0: even, 1: odd).
func Alternating(d, parity int) Mask {
	return mustMask(fmt.Sprintf("alternating(%d)", parity&1), []int{d}, func(i int, _ []int) bool { return i%2 == parity&1 })
}

// Checkerboard keeps the pixels (all their channels) of an image event [h, w, c] where
// (row + column) has the given parity: RealNVP's spatial checkerboard mask.
func Checkerboard(h, w, c, parity int) Mask {
	return mustMask(fmt.Sprintf("checkerboard(%d)", parity&1), []int{h, w, c},
		func(_ int, idx []int) bool { return (idx[0]+idx[1])%2 == parity&1 })
}

// Channels keeps, at every pixel of an image event [h, w, c], the first ⌊c/2⌋ channels
// (parity 0) or the last ⌈c/2⌉ (parity 1): the channel-wise mask of RealNVP and Glow.
func Channels(h, w, c, parity int) Mask {
	return mustMask(fmt.Sprintf("channels(%d)", parity&1), []int{h, w, c}, func(_ int, idx []int) bool {
		if parity&1 == 0 {
			return idx[2] < c/2
		}
		return idx[2] >= c/2
	})
}

// Swap returns the complementary mask: kept and transformed exchange roles.
func (m Mask) Swap() Mask {
	k := make([]bool, len(m.keep))
	for i, v := range m.keep {
		k[i] = !v
	}
	name := m.name + "'"
	if strings.HasSuffix(m.name, "'") {
		name = strings.TrimSuffix(m.name, "'")
	}
	return Mask{name: name, event: m.event, keep: k}
}

// Event returns the event shape the mask applies to.
func (m Mask) Event() []int { return slices.Clone(m.event) }

// Keep returns the flattened pattern, true for kept elements.
func (m Mask) Keep() []bool { return slices.Clone(m.keep) }

// Size is the number of elements of the event.
func (m Mask) Size() int { return len(m.keep) }

// Kept is the number of kept elements (the size of h₁).
func (m Mask) Kept() int {
	n := 0
	for _, k := range m.keep {
		if k {
			n++
		}
	}
	return n
}

// String describes the mask, e.g. "half[2]: 1 kept, 1 transformed".
func (m Mask) String() string {
	return fmt.Sprintf("%s%v: %d kept, %d transformed", m.name, m.event, m.Kept(), m.Size()-m.Kept())
}

// Pattern is the Jacobian ∂x/∂z's structural pattern of a coupling with this mask, for
// check.Options.Pattern: a kept element depends only on itself (identity rows), a transformed
// one on itself and the kept elements. d must be the mask's size.
func (m Mask) Pattern(d int) [][]bool {
	if d != len(m.keep) {
		panic(fmt.Errorf("coupling.Mask.Pattern: the mask has %d elements, asked for %d", len(m.keep), d))
	}
	p := make([][]bool, d)
	for i := range p {
		p[i] = make([]bool, d)
		for j := range p[i] {
			p[i][j] = i == j || (!m.keep[i] && m.keep[j])
		}
	}
	return p
}

// strategy is how a coupling realises a mask.
type strategy int

const (
	// bySlice: the kept elements are a contiguous block at the start (prefix) or end of the
	// last axis, the same at every position of the leading event axes.
	bySlice strategy = iota
	// byPermutation: a vector event; a constant permutation brings the kept elements first.
	byPermutation
	// bySelect: any pattern; the conditioner sees the event with h₂ zeroed.
	bySelect
)

// layout describes how to split along the last axis: k kept of n, kept first or last.
type layout struct {
	strategy    strategy
	n, k        int   // last-axis size and kept count (bySlice, byPermutation)
	keptFirst   bool  // bySlice: the kept block is at the start
	permutation []int // byPermutation: perm[i] = source index of position i (kept first)
}

func (m Mask) layout() layout {
	last := m.event[len(m.event)-1]
	// A block at the start or end of the last axis, identical at every leading position?
	row := m.keep[:last]
	k := 0
	for _, v := range row {
		if v {
			k++
		}
	}
	prefix, suffix := true, true
	for i, v := range row {
		if v != (i < k) {
			prefix = false
		}
		if v != (i >= last-k) {
			suffix = false
		}
	}
	same := true
	for p := last; p < len(m.keep); p += last {
		if !slices.Equal(m.keep[p:p+last], row) {
			same = false
			break
		}
	}
	if same && (prefix || suffix) {
		return layout{strategy: bySlice, n: last, k: k, keptFirst: prefix}
	}
	if len(m.event) == 1 {
		perm := make([]int, 0, last)
		for i, v := range m.keep {
			if v {
				perm = append(perm, i)
			}
		}
		k := len(perm)
		for i, v := range m.keep {
			if !v {
				perm = append(perm, i)
			}
		}
		return layout{strategy: byPermutation, n: last, k: k, keptFirst: true, permutation: perm}
	}
	return layout{strategy: bySelect, n: len(m.keep), k: m.Kept()}
}
