package target

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

const log2Pi = 1.8378770664093453 // ln 2π

// Banana is the normalised 2D "banana" density: x₁ ~ N(0, Sigma²) and
// x₂ | x₁ ~ N(Curvature·(x₁² - Sigma²), 1), i.e. a Gaussian bent along a parabola:
//
//	log q(x) = log N(x₁; 0, Sigma²) + log N(x₂ - Curvature·(x₁² - Sigma²); 0, 1)
//
// Its log Z is exactly 0 (the bending has unit Jacobian).
type Banana struct{ Sigma, Curvature float64 }

// NewBanana returns the banana with Sigma = 1.5 and Curvature = 0.5.
func NewBanana() *Banana { return &Banana{Sigma: 1.5, Curvature: 0.5} }

// Name implements flowkit.Named.
func (b *Banana) Name() string { return "banana" }

// Dims implements Density: 2.
func (b *Banana) Dims() int { return 2 }

// ExactLogZ implements Normalised: 0.
func (b *Banana) ExactLogZ() float64 { return 0 }

// Box implements Boxed: x₁ within ±5.5 Sigma, x₂ within the parabola's range ± 6.
func (b *Banana) Box() Box {
	s := 5.5 * b.Sigma
	lo, hi := -b.Curvature*b.Sigma*b.Sigma, b.Curvature*(s*s-b.Sigma*b.Sigma)
	if lo > hi {
		lo, hi = hi, lo
	}
	return Box{-s, s, lo - 6, hi + 6}
}

// LogDensity implements Density.
func (b *Banana) LogDensity(_ *model.Scope, x *Node) *Node {
	checkInput(b, x)
	x1, x2 := columns(x)
	u := Sub(x2, MulScalar(AddScalar(Square(x1), -b.Sigma*b.Sigma), b.Curvature))
	return AddScalar(Add(gauss(x1, b.Sigma), gauss(u, 1)), -log2Pi-math.Log(b.Sigma))
}

// Funnel is Neal's funnel in D dimensions, normalised: v = x₁ ~ N(0, Scale²) and
// x₂..x_D ~ N(0, e^v) independently given v:
//
//	log q(x) = log N(v; 0, Scale²) + Σ_{i≥2} log N(x_i; 0, e^v)
//
// Its neck (v ≪ 0) is very narrow and its mouth very wide: a hard target for reverse KL, which
// typically misses part of the neck. log Z is exactly 0.
type Funnel struct {
	D     int
	Scale float64
}

// NewFunnel returns Neal's funnel in d dimensions with Scale 3.
func NewFunnel(d int) *Funnel { return &Funnel{D: d, Scale: 3} }

// Name implements flowkit.Named.
func (f *Funnel) Name() string { return fmt.Sprintf("funnel(D=%d)", f.D) }

// Dims implements Density.
func (f *Funnel) Dims() int { return f.D }

// ExactLogZ implements Normalised: 0.
func (f *Funnel) ExactLogZ() float64 { return 0 }

// Box implements Boxed (a plotting window for D = 2): v within ±2.5 Scale, x₂ within
// ±3 e^{Scale}. Much of the mass is too thin to be resolved by a grid at Scale 3; use
// ExactLogZ.
func (f *Funnel) Box() Box {
	return Box{-2.5 * f.Scale, 2.5 * f.Scale, -3 * math.Exp(f.Scale), 3 * math.Exp(f.Scale)}
}

// LogDensity implements Density.
func (f *Funnel) LogDensity(_ *model.Scope, x *Node) *Node {
	checkInput(f, x)
	n := x.Shape().Dimensions[0]
	v := Reshape(Slice(x, AxisRange(), AxisElem(0)), n)
	lq := AddScalar(gauss(v, f.Scale), -0.5*log2Pi-math.Log(f.Scale))
	if f.D == 1 {
		return lq
	}
	rest := Slice(x, AxisRange(), AxisRangeToEnd(1))                      // [n, D-1]
	sq := ReduceSum(Square(rest), 1)                                      // Σ x_i²
	k := float64(f.D - 1)                                                 // number of x_i
	ll := Sub(MulScalar(Mul(sq, Exp(Neg(v))), -0.5), MulScalar(v, 0.5*k)) // -½Σx²e^{-v} - ½kv
	return Add(lq, AddScalar(ll, -0.5*k*log2Pi))
}

// Mixture is a normalised mixture of isotropic Gaussians N(Means[k], Std²·I) with Weights
// (summing to 1). Two well-separated components make the bimodal target on which reverse KL
// shows its mode seeking.
type Mixture struct {
	Means   [][]float64
	Std     float64
	Weights []float64
}

// NewMixture returns the mixture with the given means, common standard deviation and weights
// (nil for equal weights). It panics on inconsistent sizes.
func NewMixture(means [][]float64, std float64, weights []float64) *Mixture {
	if len(means) == 0 || std <= 0 {
		panic(fmt.Errorf("target.NewMixture: need at least one mean and a positive std, got %d means, std %v", len(means), std))
	}
	for _, m := range means {
		if len(m) != len(means[0]) {
			panic(fmt.Errorf("target.NewMixture: means of different dimensions %d and %d", len(m), len(means[0])))
		}
	}
	if weights == nil {
		weights = make([]float64, len(means))
		for i := range weights {
			weights[i] = 1 / float64(len(means))
		}
	}
	if len(weights) != len(means) {
		panic(fmt.Errorf("target.NewMixture: %d weights for %d means", len(weights), len(means)))
	}
	return &Mixture{Means: means, Std: std, Weights: weights}
}

// TwoModes is the bimodal 2D target used to show mode seeking: equal Gaussians of standard
// deviation 0.5 at (±2.5, 0).
func TwoModes() *Mixture { return NewMixture([][]float64{{-2.5, 0}, {2.5, 0}}, 0.5, nil) }

// Name implements flowkit.Named.
func (m *Mixture) Name() string { return fmt.Sprintf("mixture(%d)", len(m.Means)) }

// Dims implements Density.
func (m *Mixture) Dims() int { return len(m.Means[0]) }

// ExactLogZ implements Normalised: 0.
func (m *Mixture) ExactLogZ() float64 { return 0 }

// Box implements Boxed: the means' range ± 7 Std.
func (m *Mixture) Box() Box {
	b := Box{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, mu := range m.Means {
		b.XMin, b.XMax = math.Min(b.XMin, mu[0]), math.Max(b.XMax, mu[0])
		if len(mu) > 1 {
			b.YMin, b.YMax = math.Min(b.YMin, mu[1]), math.Max(b.YMax, mu[1])
		}
	}
	d := 7 * m.Std
	return Box{b.XMin - d, b.XMax + d, b.YMin - d, b.YMax + d}
}

// LogDensity implements Density: log Σ_k w_k N(x; μ_k, Std² I).
func (m *Mixture) LogDensity(_ *model.Scope, x *Node) *Node {
	checkInput(m, x)
	g := x.Graph()
	D := float64(m.Dims())
	comps := make([]*Node, len(m.Means))
	for k, mu := range m.Means {
		d := Sub(x, InsertAxes(ConvertDType(Const(g, mu), x.DType()), 0))
		comps[k] = InsertAxes(AddScalar(MulScalar(ReduceSum(Square(d), 1), -0.5/(m.Std*m.Std)),
			math.Log(m.Weights[k])-D*math.Log(m.Std)-0.5*D*log2Pi), 1)
	}
	all := Concatenate(comps, 1) // [batch, K]
	mx := StopGradient(ReduceMax(all, 1))
	return Add(mx, Log(ReduceSum(Exp(Sub(all, InsertAxes(mx, 1))), 1)))
}
