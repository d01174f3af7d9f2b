package registry

import (
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/planar"
)

// Planar, radial and Sylvester flows (package planar): dense Jacobians, numerical inverses for
// planar and Sylvester (exact to rounding), closed form for radial.
func init() {
	Register(Entry{Name: "planar/planar", Types: []string{"planar.Planar"},
		New: func(int) flowkit.Bijector { return planar.New() }})
	Register(Entry{Name: "planar/radial", Types: []string{"planar.Radial"},
		New: func(int) flowkit.Bijector { return planar.NewRadial() }})
	Register(Entry{Name: "planar/sylvester", Types: []string{"planar.Sylvester"},
		New: func(int) flowkit.Bijector { return planar.NewSylvester(0) }})
	// A low-rank Sylvester flow (M < D when D > 2) with fewer reflections than dimensions.
	Register(Entry{Name: "planar/sylvester-low-rank", Types: []string{"planar.Sylvester"},
		New: func(d int) flowkit.Bijector {
			return &planar.Sylvester{M: min(d, 2), Reflections: min(d, 3)}
		}})
	// Three planar layers and a radial one chained, as stacked in Rezende & Mohamed's figures.
	Register(Entry{Name: "planar/chain", Types: []string{"planar.Planar", "planar.Radial"},
		New: func(int) flowkit.Bijector {
			return flowkit.NewChain(planar.New(), planar.NewRadial(), planar.New(), planar.New())
		}})
}
