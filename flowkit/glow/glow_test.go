package glow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/multiscale"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/ml/model"
)

// mnistTest loads the first n MNIST test images, skipping when the module is absent.
func mnistTest(t testing.TB, n int) *datasets.Images {
	t.Helper()
	if _, err := datasets.MNISTDir(); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	im, err := datasets.LoadMNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := im.Subset(n)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// perturb adds Gaussian noise to every trainable variable of m, so a test sees a model away from
// its identity initialisation: standard deviation sd for vectors, sd/√fan-in for matrices and
// kernels (fan-in: the product of all but the last dimension), so every layer's output moves by
// about sd whatever its width.
func perturb(t testing.TB, store *model.Store, sd float64, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	n := 0
	for v := range store.IterVariables() {
		if !v.Trainable || !v.DType().IsFloat() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		vals := flowkit.Float64s(val)
		scale, dims := sd, v.Shape().Dimensions
		if len(dims) >= 2 {
			fanIn := 1
			for _, d := range dims[:len(dims)-1] {
				fanIn *= d
			}
			scale /= math.Sqrt(float64(fanIn))
		}
		for i := range vals {
			vals[i] += scale * r.NormFloat64()
		}
		if err := v.SetValue(tensorOf(vals, v.DType(), v.Shape().Dimensions)); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no trainable variables to perturb")
	}
}

func maxAbsDiff(a, b []float64) float64 {
	w := 0.0
	for i := range a {
		w = math.Max(w, math.Abs(a[i]-b[i]))
	}
	return w
}

// TestReconstructMNIST: encoding and decoding MNIST test images through the full multi-scale
// model (Glow: 2 levels × 4 steps, 64-channel conditioners, learned split prior; and RealNVP
// with logit pre-processing) in float32, with ActNorm initialised on the images and every
// parameter perturbed away from its initial value, reconstructs them to max |error| < 1e-3.
// (The perturbation moves every layer's output by about 0.1 of its scale; at 0.2 the eight
// stacked couplings of this random model amplify each other until the latents reach 1e9,
// which tests float32's range rather than the inverse.)
func TestReconstructMNIST(t *testing.T) {
	im := mnistTest(t, 16)
	x := im.Dequantize(1).Tensor()
	for _, cfg := range []Config{
		{Arch: "glow", Event: []int{28, 28, 1}, Levels: 2, Steps: 4, Hidden: 64},
		{Arch: "realnvp", Event: []int{28, 28, 1}, Levels: 2, Steps: 2, Hidden: 16, LogitAlpha: 0.05},
	} {
		t.Run(cfg.Arch, func(t *testing.T) {
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if m.DType != dtypes.Float32 {
				t.Fatalf("dtype %s, want float32", m.DType)
			}
			z0, err := m.Encode(x) // initialises ActNorm on these images
			if err != nil {
				t.Fatal(err)
			}
			perturb(t, m.Store, 0.1, 7)
			recon, worst, err := m.Reconstruct(x)
			if err != nil {
				t.Fatal(err)
			}
			z1, err := m.Encode(x)
			if err != nil {
				t.Fatal(err)
			}
			moved := maxAbsDiff(flowkit.Float64s(z0), flowkit.Float64s(z1))
			t.Logf("%s: max |f(f⁻¹(x)) - x| = %.3g over %d images; perturbing the parameters moved the latent by up to %.3g",
				cfg.Arch, worst, im.N(), moved)
			if moved < 0.05 {
				t.Fatalf("the perturbation barely changes the latent (%.3g): the parameters are still near their initial values", moved)
			}
			if !(worst < 1e-3) {
				t.Fatalf("reconstruction error %.3g ≥ 1e-3", worst)
			}
			if recon.Shape().Dimensions[0] != im.N() {
				t.Fatalf("reconstruction shape %v", recon.Shape().Dimensions)
			}
		})
	}
}

// TestEvaluateBitsPerDimByHand: for a flow whose density is known in closed form (a multi-scale
// network without steps is a permutation, so log p(y) = Σ log N(y_i; 0, 1)), Evaluate's NLL and
// bits/dim equal the hand computation bpd = (NLL + D ln 256) / (D ln 2) on the same
// dequantized images; with the logit pre-processing in front, its Jacobian is counted exactly
// once.
func TestEvaluateBitsPerDimByHand(t *testing.T) {
	const n, h, w = 7, 4, 4
	r := rand.New(rand.NewPCG(1, 2))
	pix := make([]uint8, n*h*w)
	for i := range pix {
		pix[i] = uint8(r.IntN(256))
	}
	im, err := datasets.NewImages(n, h, w, pix, nil)
	if err != nil {
		t.Fatal(err)
	}
	net := &multiscale.Network{Event: []int{h, w, 1}, Levels: []multiscale.Level{{Squeeze: true, Split: true}, {Squeeze: true}}}
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(h, w, 1), net), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	const seed = 99
	got, err := Evaluate(m, im, seed, 3) // batches of 3: a partial last batch too
	if err != nil {
		t.Fatal(err)
	}
	y := im.Dequantize(seed).Data()
	D := h * w
	nll := 0.0
	for _, v := range y {
		nll += 0.5*float64(v)*float64(v) + 0.5*math.Log(2*math.Pi)
	}
	nll /= n
	bpd := (nll + float64(D)*math.Log(256)) / (float64(D) * math.Log(2))
	t.Logf("Evaluate: %v; by hand: NLL %.6f nats, %.6f bits/dim", got, nll, bpd)
	if math.Abs(got.NLL-nll) > 1e-4 || math.Abs(got.BitsPerDim-bpd) > 1e-6 {
		t.Fatalf("Evaluate gives NLL %.8f, %.8f bits/dim; by hand %.8f, %.8f", got.NLL, got.BitsPerDim, nll, bpd)
	}
	if got.Images != n || got.Dims != D {
		t.Fatalf("Evaluate counted %d images of %d values", got.Images, got.Dims)
	}

	// With the logit pre-processing on the data side, its Jacobian enters once:
	// log p(y) = Σ log N(u; 0, 1) + Σ [log(1-2α) - log p - log(1-p)], u = logit(p), p = α + (1-2α)y.
	const alpha = 1e-3
	ml, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(h, w, 1),
		flowkit.NewChain(net, multiscale.Logit{Alpha: alpha})), flowkit.WithDType(dtypes.Float64))
	if err != nil {
		t.Fatal(err)
	}
	gotL, err := Evaluate(ml, im, seed, 4)
	if err != nil {
		t.Fatal(err)
	}
	nllL := 0.0
	for _, v := range y {
		p := alpha + (1-2*alpha)*float64(float32(v))
		u := math.Log(p / (1 - p))
		nllL -= -0.5*u*u - 0.5*math.Log(2*math.Pi) + math.Log(1-2*alpha) - math.Log(p) - math.Log(1-p)
	}
	nllL /= n
	bpdL := (nllL + float64(D)*math.Log(256)) / (float64(D) * math.Log(2))
	t.Logf("with the logit (α = %g): Evaluate %v; by hand %.6f bits/dim", alpha, gotL, bpdL)
	if math.Abs(gotL.BitsPerDim-bpdL) > 1e-6 {
		t.Fatalf("with the logit: Evaluate gives %.8f bits/dim, by hand %.8f", gotL.BitsPerDim, bpdL)
	}
}

// TestStepHarness runs the verification harness over a Glow step (ActNorm without its data
// initialisation, LU 1×1 convolution, affine coupling with a CNN), both parities.
func TestStepHarness(t *testing.T) {
	for parity := 0; parity < 2; parity++ {
		st := &Step{Event: []int{2, 2, 4}, Hidden: 8, Parity: parity, NoDataInit: true}
		r, err := check.Bijector(st, check.Options{Event: st.Event})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Fatalf("parity %d: %v\n%s", parity, err, r)
		}
	}
}

// TestArchitecture: the level shapes of Glow on MNIST (figure 16.10), and a clear error when a
// level would squeeze an odd side.
func TestArchitecture(t *testing.T) {
	m, err := New(Config{Event: []int{28, 28, 1}})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(m.Net.LatentShapes())
	if got != "[[14 14 2] [7 7 8]]" {
		t.Fatalf("latent shapes %s, want [[14 14 2] [7 7 8]]", got)
	}
	table := m.ArchitectureTable()
	for _, want := range []string{"[28 28 1]", "[14 14 4]", "[7 7 8]", "784 values", "learned"} {
		if !strings.Contains(table, want) {
			t.Errorf("architecture table lacks %q:\n%s", want, table)
		}
	}
	_, err = New(Config{Event: []int{28, 28, 1}, Levels: 3})
	if err == nil || !strings.Contains(err.Error(), "7×7") {
		t.Fatalf("3 levels on 28×28: error %v, want one naming the 7×7 image", err)
	}
	if _, err := New(Config{Event: []int{8, 8, 1}, Arch: "maf"}); err == nil {
		t.Fatal("unknown architecture: no error")
	}
}

// TestInterpolationWeights: linear weights, and spherical ones that keep the norm between two
// orthogonal latents of equal norm and reach the endpoints.
func TestInterpolationWeights(t *testing.T) {
	za, zb := []float64{3, 0, 0}, []float64{0, 3, 0}
	for _, tt := range []float64{0, 0.25, 0.5, 1} {
		wa, wb := InterpolationWeights(za, zb, tt, false)
		if wa != 1-tt || wb != tt {
			t.Fatalf("linear weights at t = %g: %g, %g", tt, wa, wb)
		}
		wa, wb = InterpolationWeights(za, zb, tt, true)
		norm := math.Hypot(3*wa, 3*wb)
		if math.Abs(norm-3) > 1e-12 {
			t.Fatalf("slerp at t = %g has norm %g, want 3", tt, norm)
		}
	}
	if wa, wb := InterpolationWeights(za, zb, 1, true); math.Abs(wa) > 1e-12 || math.Abs(wb-1) > 1e-12 {
		t.Fatalf("slerp at t = 1: %g, %g", wa, wb)
	}
	if wa, wb := InterpolationWeights(za, za, 0.3, true); wa != 0.7 || wb != 0.3 {
		t.Fatalf("slerp of parallel vectors: %g, %g, want the linear weights", wa, wb)
	}
}

// TestInterpolateAndTemperature on a small Glow with random parameters: the interpolation strip
// starts and ends at the two images (reconstructed), images rebuilt from their per-level
// latents come back, and samples drawn at temperature T encode back to latents whose mean
// square is T² (the base scaled by T, section 16.5.2).
func TestInterpolateAndTemperature(t *testing.T) {
	m, err := New(Config{Event: []int{8, 8, 1}, Levels: 2, Steps: 2, Hidden: 8})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 4))
	imgs := make([][]float64, 32)
	for i := range imgs {
		imgs[i] = make([]float64, 64)
		for j := range imgs[i] {
			imgs[i][j] = r.Float64()
		}
	}
	if _, err := m.Encode(imgs); err != nil { // ActNorm initialisation
		t.Fatal(err)
	}
	perturb(t, m.Store, 0.3, 1)
	for _, spherical := range []bool{false, true} {
		strip, err := m.Interpolate(imgs[0], imgs[1], 5, spherical)
		if err != nil {
			t.Fatal(err)
		}
		if len(strip) != 5 {
			t.Fatalf("%d images, want 5", len(strip))
		}
		if d := math.Max(maxAbsDiff(strip[0], imgs[0]), maxAbsDiff(strip[4], imgs[1])); d > 1e-4 {
			t.Fatalf("spherical=%v: the strip's ends differ from the images by %.3g", spherical, d)
		}
		if d := maxAbsDiff(strip[2], imgs[0]); d < 1e-3 {
			t.Fatalf("spherical=%v: the middle image equals the first", spherical)
		}
	}
	// Decoding the per-level latents of two images gives them back.
	z, err := m.Encode(imgs[:2])
	if err != nil {
		t.Fatal(err)
	}
	levels := m.LevelLatents(z)
	if len(levels) != 2 || len(levels[0]) != 2 || len(levels[0][0]) != 4*4*2 || len(levels[0][1]) != 2*2*8 {
		t.Fatalf("level latents of 8×8 images: %d images, shapes %v", len(levels), m.Net.LatentShapes())
	}
	back, err := m.DecodeLevels(levels)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(flowkit.Float64s(back), append(append([]float64(nil), imgs[0]...), imgs[1]...)); d > 1e-4 {
		t.Fatalf("DecodeLevels(LevelLatents(Encode(x))) differs from x by %.3g", d)
	}
	for _, T := range []float64{0.5, 1} {
		if err := m.Seed(11); err != nil {
			t.Fatal(err)
		}
		x, _, err := m.SampleWithTemperature(256, T, nil)
		if err != nil {
			t.Fatal(err)
		}
		z, err := m.Encode(x)
		if err != nil {
			t.Fatal(err)
		}
		ms := 0.0
		zs := flowkit.Float64s(z)
		for _, v := range zs {
			ms += v * v
		}
		ms /= float64(len(zs))
		t.Logf("T = %g: mean square of the re-encoded latents %.4f (T² = %.4f)", T, ms, T*T)
		if math.Abs(ms-T*T) > 0.05*T*T {
			t.Fatalf("T = %g: mean square latent %.4f, want T² = %.4f", T, ms, T*T)
		}
		rows, err := m.Samples(4, T)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for _, v := range row {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("Samples returned %v outside [0, 1]", v)
				}
			}
		}
	}
}

// TestTrainResume trains a tiny Glow on 14×14 MNIST digits for 24 steps with checkpoints and a
// CSV curve, then resumes to 36 steps: the training NLL falls, the resumed run starts at step
// 24 with the elapsed time carried over, and the curve file holds every evaluation once.
func TestTrainResume(t *testing.T) {
	im := mnistTest(t, 400).Downscale2x()
	train, err := im.Subset(300)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, CurveFile)
	cfg := Config{Event: []int{14, 14, 1}, Levels: 1, Steps: 2, Hidden: 8}
	if err := SaveConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := TrainConfig{BatchSize: 32, LearningRate: 3e-3, WarmupSteps: 4, Steps: 24, EvalEvery: 12, EvalImages: 50,
		CheckpointDir: dir, CurveCSV: csv}
	res, err := Train(m, train, im, tc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 24 || res.Stopped != "steps" || len(res.Curve) != 2 {
		t.Fatalf("result %+v", res)
	}
	first, last := res.Curve[0], res.Curve[1]
	t.Logf("train %.3f → %.3f bits/dim, test %.3f → %.3f, %.1f steps/s", first.TrainBPD, last.TrainBPD, first.TestBPD, last.TestBPD, last.StepsPerS)
	if !(last.TrainBPD < first.TrainBPD) || math.IsNaN(last.TestBPD) {
		t.Fatalf("training did not lower the NLL: %+v", res.Curve)
	}
	// Resume in a new model from the folder.
	m2, step, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if step != 24 {
		t.Fatalf("Load: step %d, want 24", step)
	}
	tc.Steps = 36
	res2, err := Train(m2, train, im, tc)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Resumed != 24 || res2.Steps != 36 || len(res2.Curve) != 1 || res2.Elapsed <= res.Elapsed {
		t.Fatalf("resumed run %+v (first run took %v)", res2, res.Elapsed)
	}
	curve, err := ReadCurveCSV(csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(curve) != 3 || curve[0].Step != 12 || curve[2].Step != 36 || curve[2].Elapsed <= curve[1].Elapsed {
		t.Fatalf("curve file %+v", curve)
	}
	if err := SaveConfig(dir, Config{Event: []int{14, 14, 1}, Levels: 1, Steps: 3}); err == nil {
		t.Fatal("SaveConfig over another architecture: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil {
		t.Fatal(err)
	}
}

// randn returns n standard normals drawn with seed.
func randn(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 17))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}
