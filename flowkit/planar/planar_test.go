package planar_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/planar"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func softplus(a float64) float64 { return math.Log1p(math.Exp(-math.Abs(a))) + math.Max(a, 0) }

// TestPlanarInverseConverges: on random inputs and random parameters, including parameters
// where the invertibility constraint is what keeps the map invertible (wᵀu ≪ -1, so without û
// the map would fold; with it wᵀû = -1 + softplus(wᵀu) is just above -1), the numerical inverse
// recovers z to 1e-6 and Forward(Inverse(x)) = x to 1e-6.
func TestPlanarInverseConverges(t *testing.T) {
	const N, D = 2000, 4
	rng := rand.New(rand.NewPCG(7, 8))
	p := planar.New()
	r := newRunner(t, p, D, 3)
	for trial := 0; trial < 6; trial++ {
		w := normals(rng, D, 1.5)
		u := normals(rng, D, 3)
		switch trial {
		case 0: // constraint in force: wᵀu very negative, wᵀû ≈ -0.9999
			for i := range u {
				u[i] = -9 * w[i] / dot(w, w)
			}
		case 1: // strong expansion along w
			for i := range u {
				u[i] = 25 * w[i] / dot(w, w)
			}
		}
		b := 2 * rng.NormFloat64()
		r.set("w", w...)
		r.set("u", u...)
		r.set("b", b)
		wu := dot(w, u)
		if m := -1 + softplus(wu); m <= -1 {
			t.Fatalf("trial %d: wᵀû = %v must exceed -1", trial, m)
		}
		z := normals(rng, N*D, 3)
		x, zBack, ldF, ldI := r.roundTrip(z, N, D)
		t.Logf("trial %d: wᵀû = %.6g, max |f⁻¹(f(z)) - z| = %.3g", trial, -1+softplus(wu), maxAbsDiff(zBack, z))
		if e := maxAbsDiff(zBack, z); e > 1e-6 {
			t.Errorf("trial %d (wᵀu = %.3g): max |f⁻¹(f(z)) - z| = %.3g > 1e-6", trial, wu, e)
		}
		for i := range ldF {
			if e := math.Abs(ldF[i] + ldI[i]); e > 1e-6 {
				t.Fatalf("trial %d: inverse log-det %v is not minus forward %v", trial, ldI[i], ldF[i])
			}
		}
		// Forward of the recovered latent reproduces x.
		out := r.run(func(s *model.Scope, in []*Node) []*Node {
			z, _ := p.Inverse(s, in[0], nil)
			xx, _ := p.Forward(s, z, nil)
			return []*Node{xx}
		}, tensors.FromFlatDataAndDimensions(x, N, D))
		if e := maxAbsDiff(out[0], x); e > 1e-6 {
			t.Errorf("trial %d: max |f(f⁻¹(x)) - x| = %.3g > 1e-6", trial, e)
		}
	}
}

// TestPlanarConstraint: with raw parameters that would make the plain map non-invertible
// (wᵀu < -1), the Jacobian determinant 1 + h'·wᵀû stays positive everywhere, so the log-det is
// finite for inputs on the hyperplane wᵀz + b = 0 where h' = 1.
func TestPlanarConstraint(t *testing.T) {
	const D = 3
	r := newRunner(t, planar.New(), D, 1)
	w := []float64{1, 0.5, -0.25}
	u := []float64{-4, -2, 1} // wᵀu = -5.25
	r.set("w", w...)
	r.set("u", u...)
	r.set("b", 0)
	_, _, ldF, _ := r.roundTrip(make([]float64, D), 1, D)
	want := math.Log(softplus(dot(w, u))) // log(1 + 1·(-1 + softplus(wᵀu)))
	if math.Abs(ldF[0]-want) > 1e-12 {
		t.Fatalf("log-det on the hyperplane = %v, want log softplus(wᵀu) = %v", ldF[0], want)
	}
}

// TestPlanarInverseGradient: gradients through the numerical inverse are the implicit-function
// gradients: ∂(Σz)/∂b by autodiff matches central finite differences.
func TestPlanarInverseGradient(t *testing.T) {
	const N, D = 16, 3
	rng := rand.New(rand.NewPCG(1, 2))
	p := planar.New()
	r := newRunner(t, p, D, 5)
	r.set("b", 0.4)
	x := normals(rng, N*D, 2)
	xt := tensors.FromFlatDataAndDimensions(x, N, D)
	f := func(s *model.Scope, in []*Node) *Node {
		z, ld := p.Inverse(s, in[0], nil)
		return Add(ReduceAllSum(Mul(z, z)), ReduceAllSum(ld))
	}
	grad := r.run(func(s *model.Scope, in []*Node) []*Node {
		loss := f(s, in)
		gs := s.BuildTrainableVariablesGradientsGraph(loss)
		out := []*Node{loss}
		return append(out, gs...)
	}, xt)
	var gb float64
	found := false
	for _, g := range grad[1:] {
		if len(g) == 1 { // b is the only scalar variable
			gb, found = g[0], true
		}
	}
	if !found {
		t.Fatal("no gradient for b")
	}
	const eps = 1e-6
	val := func(b float64) float64 {
		r.set("b", b)
		return r.run(func(s *model.Scope, in []*Node) []*Node { return []*Node{f(s, in)} }, xt)[0][0]
	}
	fd := (val(0.4+eps) - val(0.4-eps)) / (2 * eps)
	if math.Abs(fd-gb) > 1e-5*math.Max(1, math.Abs(fd)) {
		t.Fatalf("∂loss/∂b: autodiff through the inverse %v, finite differences %v", gb, fd)
	}
}

// TestSolveTanhRootWorstCase: the solver converges where plain Newton cycles or crawls (u·w
// close to -1, where g'(a) nearly vanishes; |u| up to 1100, where Newton jumps across tanh's
// steep region), on 5000 random problems, to a relative residual below 1e-12 in float64.
func TestSolveTanhRootWorstCase(t *testing.T) {
	const n = 5000
	rng := rand.New(rand.NewPCG(11, 12))
	us, ws, bs, cs := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range us {
		sign := func() float64 { return float64(1 - 2*rng.IntN(2)) }
		us[i] = sign() * math.Exp(-3+10*rng.Float64())
		ws[i] = sign() * math.Exp(-3+6*rng.Float64())
		if us[i]*ws[i] <= -1 { // keep the constraint u·w > -1, often very close to it
			us[i] = -(1 - math.Exp(-14*rng.Float64())) / ws[i]
		}
		bs[i] = 3 * rng.NormFloat64()
		cs[i] = 1.5*math.Abs(us[i])*rng.NormFloat64() + 3*rng.NormFloat64()
	}
	r := newRunner(t, planar.New(), 1, 1)
	out := r.run(func(s *model.Scope, in []*Node) []*Node {
		return []*Node{planar.SolveTanhRoot(in[0], in[1], in[2], in[3], 0)}
	}, tensors.FromFlatDataAndDimensions(us, n), tensors.FromFlatDataAndDimensions(ws, n),
		tensors.FromFlatDataAndDimensions(bs, n), tensors.FromFlatDataAndDimensions(cs, n))
	worst, at := 0.0, 0
	for i, a := range out[0] {
		res := math.Abs(a+us[i]*math.Tanh(ws[i]*a+bs[i])-cs[i]) / (1 + math.Abs(cs[i]))
		if !(res <= worst) {
			worst, at = res, i
		}
	}
	if worst > 1e-12 {
		t.Fatalf("worst relative residual %.3g (u=%v w=%v b=%v c=%v)", worst, us[at], ws[at], bs[at], cs[at])
	}
}

// TestPlanarCheckReport runs the verification harness on a planar flow over an image-shaped
// event (the flow acts on the flattened event).
func TestPlanarCheckReport(t *testing.T) {
	rep, err := check.Bijector(planar.New(), check.Options{Event: []int{2, 3}, InputScale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	rt, _ := rep.Get(check.RoundTrip)
	if rt.Worst > 1e-9 {
		t.Fatalf("float64 round trip %v, want rounding-level", rt.Worst)
	}
}

// TestPlanarBadInput: a rank-1 input is a readable error naming the expected shape.
func TestPlanarBadInput(t *testing.T) {
	store := model.NewStore()
	exec, err := model.NewExec(backend.MustShared(), store, func(s *model.Scope, in []*Node) []*Node {
		x, _ := planar.New().Forward(s, in[0], nil)
		return []*Node{x}
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = exec.Exec(tensors.FromFlatDataAndDimensions([]float64{1, 2, 3}, 3))
	if err == nil || !strings.Contains(err.Error(), "[batch, event...]") {
		t.Fatalf("want an error naming the expected shape [batch, event...], got %v", err)
	}
}

// TestPlanarFloat32: in float32 (the training dtype) a chain of 8 planar layers still inverts to
// float32 rounding: log p from sampling and from the numerical inverse agree to 1e-3 nats.
func TestPlanarFloat32(t *testing.T) {
	layers := make([]flowkit.Bijector, 8)
	for i := range layers {
		layers[i] = planar.New()
	}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(layers...)), flowkit.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	x, lpS, err := m.Sample(2000, nil)
	if err != nil {
		t.Fatal(err)
	}
	lpD, err := m.LogProb(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbsDiff(lpS, lpD); e > 1e-3 {
		t.Fatalf("float32: max |log p(sample) - log p(inverse)| = %.3g", e)
	} else {
		t.Logf("float32: max |log p(sample) - log p(inverse)| = %.3g", e)
	}
}
