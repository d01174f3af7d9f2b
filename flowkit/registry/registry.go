// Package registry lists every bijector in flowkit with a factory and the options the
// verification harness checks it under. The conformance test runs check.Bijector over all of
// them and fails when a bijector type in the library is missing from the list; the command
// line's `flowkit check` uses it to find bijectors by name.
package registry

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// Entry is one registered bijector configuration.
type Entry struct {
	// Name is unique, e.g. "elementwise/rqspline".
	Name string
	// Types lists the Go types ("package.Type") this entry exercises, so the conformance test
	// can tell which bijector types are covered.
	Types []string
	// New builds the bijector for a flattened event of size d (entries that need a particular
	// size ignore d and set Options.Event themselves).
	New func(d int) flowkit.Bijector
	// Options are the check options; Event defaults to [d].
	Options func(d int) check.Options
}

var entries = map[string]Entry{}

// Register adds an entry; it panics on a duplicate name (a programming error at init time).
func Register(e Entry) {
	if _, dup := entries[e.Name]; dup {
		panic(fmt.Sprintf("registry: duplicate bijector name %q", e.Name))
	}
	entries[e.Name] = e
}

// All returns the entries sorted by name.
func All() []Entry {
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the entry named name.
func Get(name string) (Entry, error) {
	e, ok := entries[name]
	if !ok {
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		return Entry{}, fmt.Errorf("registry: no bijector named %q; known: %v", name, names)
	}
	return e, nil
}

// OptionsFor returns e's check options for event size d, with Event filled in.
func (e Entry) OptionsFor(d int) check.Options {
	var o check.Options
	if e.Options != nil {
		o = e.Options(d)
	}
	if len(o.Event) == 0 {
		o.Event = []int{d}
	}
	return o
}

func diag(d int) check.Options { return check.Options{Pattern: check.DiagonalPattern} }

func init() {
	ew := func(name string, t func() transformer.Transformer, opts func(int) check.Options) {
		Register(Entry{Name: "elementwise/" + name, Types: []string{"elementwise.Flow"},
			New: func(int) flowkit.Bijector { return elementwise.New(t()) }, Options: opts})
	}
	ew("affine", func() transformer.Transformer { return transformer.NewAffine() }, diag)
	ew("additive", func() transformer.Transformer { return transformer.Additive{} }, diag)
	ew("leaky-relu", func() transformer.Transformer { return transformer.LeakyReLU{} }, diag)
	ew("piecewise-linear", func() transformer.Transformer { return transformer.NewPiecewiseLinear(6) },
		func(int) check.Options {
			return check.Options{Pattern: check.DiagonalPattern, Input: func(r *rand.Rand) float64 { return 0.01 + 0.98*r.Float64() }}
		})
	ew("rqspline", func() transformer.Transformer { return transformer.NewRQSpline(8, 3) },
		func(int) check.Options {
			return check.Options{Pattern: check.DiagonalPattern, InputScale: 3}
		})
	Register(Entry{Name: "elementwise/shared-affine", Types: []string{"elementwise.Flow"},
		New: func(int) flowkit.Bijector {
			return &elementwise.Flow{Transformer: transformer.NewAffine(), Shared: true}
		}, Options: diag})
	Register(Entry{Name: "identity", Types: []string{"flowkit.IdentityMap"},
		New: func(int) flowkit.Bijector { return flowkit.IdentityMap{} }, Options: diag})
	Register(Entry{Name: "permute/random", Types: []string{"flowkit.Permute"},
		New: func(d int) flowkit.Bijector { return flowkit.RandomPermute(d, 3) }})
	Register(Entry{Name: "chain", Types: []string{"flowkit.Chain", "flowkit.inverted"},
		New: func(d int) flowkit.Bijector {
			return flowkit.NewChain(
				elementwise.New(transformer.NewAffine()),
				flowkit.ReversePermute(d),
				flowkit.Invert(elementwise.New(transformer.NewRQSpline(4, 2))),
			)
		}})
}
