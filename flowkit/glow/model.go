package glow

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/coupling"
	"github.com/flowkit/flowkit/flowkit/linear"
	"github.com/flowkit/flowkit/flowkit/multiscale"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/gomlx/ml/model"
)

// Config describes a multi-scale image flow: Glow (the default) or the RealNVP model with
// checkerboard and channel masks. It is saved next to checkpoints (config.json) so a model can
// be rebuilt from them (Load).
type Config struct {
	// Arch is "glow" (default) or "realnvp".
	Arch string `json:"arch"`
	// Event is the image shape [H, W, C], e.g. [28, 28, 1] for MNIST.
	Event []int `json:"event"`
	// Levels is the number of scales L (default 2). Every level but the last squeezes and
	// factors out half of its channels; the sides must stay even for every squeeze.
	Levels int `json:"levels"`
	// Steps is the number of steps of flow K per level (default 4). Glow: K Glow steps after
	// each squeeze. RealNVP: K checkerboard couplings before each squeeze and K channel
	// couplings after it, K+1 checkerboard couplings at the last level (RealNVP used K = 3).
	Steps int `json:"steps"`
	// Hidden is the channel count of the CNN conditioners (default 64).
	Hidden int `json:"hidden"`
	// Kernels are the kernel sizes of the conditioners' three convolutions (default Glow's
	// [3, 1, 3]; [5, 1, 1] has the same receptive field and moves less data; see ConvNet).
	Kernels []int `json:"kernels,omitempty"`
	// NoSplitPrior turns off Glow's learned conditional prior of the factored-out halves (they
	// are then evaluated under N(0, 1)). RealNVP never uses it.
	NoSplitPrior bool `json:"no_split_prior,omitempty"`
	// NoTopPrior leaves the last level's latent under N(0, 1). By default Glow's model gets
	// Glow's learned top prior N(μ, σ²), one mean and one scale per element of the last
	// level's latent (TopPrior, at the end of the last level, initialised from the data).
	// Without it only ActNorm's per-channel scales can concentrate density at the coarsest
	// level, and MNIST's empty border, the same in every image, is modelled slowly.
	NoTopPrior bool `json:"no_top_prior,omitempty"`
	// PriorLogScaleBound bounds the split priors' log σ softly (default 10: σ ≥ e^-10; the
	// dequantization noise of a background pixel needs about e^-6 after ActNorm).
	PriorLogScaleBound float64 `json:"prior_log_scale_bound,omitempty"`
	// LogitAlpha > 0 puts the logit pre-processing multiscale.Logit{Alpha} on the data side
	// (RealNVP's and MAF's choice; on MNIST they use α = 10⁻⁶); 0 feeds the dequantized pixels
	// in [0, 1] directly (Glow's choice: the first ActNorm centres and scales them). On MNIST the
	// logit matters: most pixels are 0, so the data has a spike of width 1/256 at 0 that the
	// logit with α = 10⁻⁶ spreads over [-13.8, -5.5], with its Jacobian in the log-det. Measured
	// with cmd/glowtrain -quick (14×14 digits) after 100 steps: 2.66 bits/dim on test images
	// with α = 10⁻⁶, 6.08 without.
	LogitAlpha float64 `json:"logit_alpha,omitempty"`
	// Scale is the couplings' affine scale: "sigmoid" (Glow's default: SigmoidAffine, a
	// contraction in the normalizing direction) or "exp" (RealNVP's default:
	// transformer.Affine, exp of a soft-bounded log-scale).
	Scale string `json:"scale"`
	// LogScaleBound bounds the "exp" scale's log softly (0: the default of transformer.Affine).
	LogScaleBound float64 `json:"log_scale_bound,omitempty"`
	// NoDataInit builds the ActNorm layers without their data-dependent initialisation (they
	// start at the identity): for the verification harness, which runs the generative
	// direction first.
	NoDataInit bool `json:"no_data_init,omitempty"`
}

// withDefaults returns c with zero fields set to their defaults, or an error naming a bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Arch == "" {
		c.Arch = "glow"
	}
	if c.Arch != "glow" && c.Arch != "realnvp" {
		return c, fmt.Errorf("glow: Config.Arch is %q, want \"glow\" or \"realnvp\"", c.Arch)
	}
	if c.Scale == "" {
		c.Scale = "sigmoid"
		if c.Arch == "realnvp" {
			c.Scale = "exp"
		}
	}
	if c.Scale != "sigmoid" && c.Scale != "exp" {
		return c, fmt.Errorf("glow: Config.Scale is %q, want \"sigmoid\" or \"exp\"", c.Scale)
	}
	if c.PriorLogScaleBound == 0 {
		c.PriorLogScaleBound = 10
	}
	if c.Levels == 0 {
		c.Levels = 2
	}
	if c.Steps == 0 {
		c.Steps = 4
	}
	if c.Hidden == 0 {
		c.Hidden = DefaultHidden
	}
	if c.Kernels == nil {
		c.Kernels = []int{3, 1, 3}
	}
	if len(c.Kernels) != 3 || c.Kernels[0]%2 == 0 || c.Kernels[1]%2 == 0 || c.Kernels[2]%2 == 0 ||
		c.Kernels[0] < 1 || c.Kernels[1] < 1 || c.Kernels[2] < 1 {
		return c, fmt.Errorf("glow: Config.Kernels is %v, want three positive odd kernel sizes", c.Kernels)
	}
	if c.Levels < 1 || c.Steps < 1 || c.Hidden < 1 {
		return c, fmt.Errorf("glow: Config has Levels = %d, Steps = %d, Hidden = %d; want positive values", c.Levels, c.Steps, c.Hidden)
	}
	if !(c.LogitAlpha >= 0 && c.LogitAlpha < 0.5) {
		return c, fmt.Errorf("glow: Config.LogitAlpha is %v, want 0 (no logit) or a value in (0, 0.5)", c.LogitAlpha)
	}
	if len(c.Event) != 3 || c.Event[0] <= 0 || c.Event[1] <= 0 || c.Event[2] <= 0 {
		return c, fmt.Errorf("glow: Config.Event is %v, want an image shape [H, W, C]", c.Event)
	}
	return c, nil
}

// transformer returns the couplings' transformer the configuration asks for.
func (c Config) transformer() transformer.Transformer {
	if c.Scale == "sigmoid" {
		return SigmoidAffine{}
	}
	if c.LogScaleBound != 0 {
		return &transformer.Affine{LogScaleBound: c.LogScaleBound}
	}
	return transformer.NewAffine()
}

// Network builds the multi-scale network the configuration describes, or returns an error
// naming what does not fit (e.g. an odd side to squeeze).
func (c Config) Network() (*multiscale.Network, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	var net *multiscale.Network
	if c.Arch == "realnvp" {
		net, err = realNVPNetwork(c)
	} else {
		net, err = glowNetwork(c)
	}
	if err != nil {
		return nil, err
	}
	if _, err := net.Shapes(); err != nil {
		return nil, fmt.Errorf("glow: %d levels on %v: %w", c.Levels, c.Event, err)
	}
	return net, nil
}

// glowNetwork: L levels of squeeze, K Glow steps, split (with the learned prior); the last
// level squeezes and runs K steps without a split.
func glowNetwork(c Config) (*multiscale.Network, error) {
	net := &multiscale.Network{Event: slices.Clone(c.Event)}
	in := slices.Clone(c.Event)
	for l := 0; l < c.Levels; l++ {
		sq, err := multiscale.SqueezedShape(in)
		if err != nil {
			return nil, fmt.Errorf("glow: level %d of %d on %v: %w", l+1, c.Levels, c.Event, err)
		}
		lv := multiscale.Level{Squeeze: true}
		for k := 0; k < c.Steps; k++ {
			lv.Post = append(lv.Post, &Step{Event: sq, Hidden: c.Hidden, Kernels: c.Kernels, Parity: k % 2,
				Transformer: c.transformer(), NoDataInit: c.NoDataInit})
		}
		if l < c.Levels-1 {
			lv.Split = true
			if !c.NoSplitPrior {
				lv.Prior, lv.PriorLogScaleBound = multiscale.DefaultPrior(), c.PriorLogScaleBound
			}
			in = []int{sq[0], sq[1], sq[2] - sq[2]/2}
		} else if !c.NoTopPrior {
			lv.Post = append(lv.Post, &TopPrior{NoDataInit: c.NoDataInit})
		}
		net.Levels = append(net.Levels, lv)
	}
	return net, nil
}

// realNVPNetwork: RealNVP's multi-scale architecture (Dinh et al. 2016), with ActNorm in place of
// batch normalisation: every level but the last runs K affine couplings with alternating
// checkerboard masks, squeezes, runs K couplings with alternating channel masks and factors out
// half of the channels; the last level runs K+1 checkerboard couplings.
func realNVPNetwork(c Config) (*multiscale.Network, error) {
	net := &multiscale.Network{Event: slices.Clone(c.Event)}
	in := slices.Clone(c.Event)
	aff := c.transformer()
	couple := func(m coupling.Mask) []flowkit.Bijector {
		return []flowkit.Bijector{&linear.ActNorm{NoDataInit: c.NoDataInit}, coupling.New(m, aff, ConvNet{Hidden: []int{c.Hidden, c.Hidden}, Kernels: c.Kernels, ZeroLast: true})}
	}
	for l := 0; l < c.Levels; l++ {
		var lv multiscale.Level
		n := c.Steps
		if l == c.Levels-1 {
			n++
		}
		for k := 0; k < n; k++ {
			lv.Pre = append(lv.Pre, couple(coupling.Checkerboard(in[0], in[1], in[2], k%2))...)
		}
		if l < c.Levels-1 {
			sq, err := multiscale.SqueezedShape(in)
			if err != nil {
				return nil, fmt.Errorf("glow: RealNVP level %d of %d on %v: %w", l+1, c.Levels, c.Event, err)
			}
			lv.Squeeze = true
			for k := 0; k < c.Steps; k++ {
				lv.Post = append(lv.Post, couple(coupling.Channels(sq[0], sq[1], sq[2], k%2))...)
			}
			lv.Split = true
			in = []int{sq[0], sq[1], sq[2] - sq[2]/2}
		}
		net.Levels = append(net.Levels, lv)
	}
	return net, nil
}

// Model is a multi-scale image flow bound to a backend and a store: a flowkit.Model (LogProb,
// NLL, Latent, SampleWithTemperature, …) with its configuration and network, plus the image
// helpers of this package (Decode, Reconstruct, Interpolate, Samples, Evaluate).
type Model struct {
	*flowkit.Model
	Config Config
	Net    *multiscale.Network
	decode *model.Exec
}

// New builds the model cfg describes with a StandardNormal base over the image shape (the
// multi-scale latent keeps that shape; see package multiscale). opts are flowkit's (backend,
// dtype, seed, store).
func New(cfg Config, opts ...flowkit.ModelOption) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	net, err := cfg.Network()
	if err != nil {
		return nil, err
	}
	var transform flowkit.Bijector = net
	if cfg.LogitAlpha > 0 {
		// Generative order: the network, then the logit's inverse (sigmoid) to pixels; the
		// normalizing direction meets the Logit first.
		transform = flowkit.NewChain(net, multiscale.Logit{Alpha: cfg.LogitAlpha})
	}
	fm, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(cfg.Event...), transform), opts...)
	if err != nil {
		return nil, err
	}
	return &Model{Model: fm, Config: cfg, Net: net}, nil
}

// Architecture returns the shapes of every level (figure 16.10 as a table).
func (m *Model) Architecture() []multiscale.LevelShape {
	ls, err := m.Net.Shapes()
	if err != nil {
		panic(err) // New checked the shapes.
	}
	return ls
}

// ArchitectureTable renders Architecture as a plain-text table, one row per level, with the
// data and the latents' sizes.
func (m *Model) ArchitectureTable() string {
	var sb strings.Builder
	c := m.Config
	fmt.Fprintf(&sb, "%s, %d levels × %d steps, conditioners of %d channels (kernels %v), %s-scale couplings",
		strings.ToUpper(c.Arch), c.Levels, c.Steps, c.Hidden, c.Kernels, c.Scale)
	if c.LogitAlpha > 0 {
		fmt.Fprintf(&sb, ", logit pre-processing (α = %g)", c.LogitAlpha)
	}
	fmt.Fprintf(&sb, "\n%-6s %-12s %-12s %-6s %-16s %-12s %s\n", "level", "input", "squeezed", "steps", "factored out", "continues", "prior")
	size := func(s []int) int { return s[0] * s[1] * s[2] }
	total := 0
	arch := m.Architecture()
	for _, l := range arch {
		lat, cont, prior := "-", "-", "-"
		if l.Latent != nil {
			lat = fmt.Sprintf("%v (%d)", l.Latent, size(l.Latent))
			total += size(l.Latent)
			prior = "N(0,1)"
			switch {
			case l.Prior:
				prior = "learned N(μ(h),σ(h)²)"
			case l.Level == len(arch) && c.Arch == "glow" && !c.NoTopPrior:
				prior = "learned N(μ,σ²) per element"
			}
		}
		if l.Continues != nil {
			cont = fmt.Sprint(l.Continues)
		}
		steps := c.Steps // Glow: K steps per level (plus the top prior's layer at the last level)
		if c.Arch == "realnvp" {
			steps = l.Steps / 2 // an ActNorm and a coupling per step
		}
		fmt.Fprintf(&sb, "%-6d %-12s %-12s %-6d %-16s %-12s %s\n", l.Level, fmt.Sprint(l.Input), fmt.Sprint(l.Squeezed), steps, lat, cont, prior)
	}
	fmt.Fprintf(&sb, "data %v = %d values; latents hold %d values\n", c.Event, size(c.Event), total)
	return sb.String()
}
