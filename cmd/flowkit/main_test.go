package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/viz"
	"github.com/flowkit/flowkit/viz/static"
)

// The end-to-end tests share one model trained on a tiny budget (a few seconds): RealNVP with
// 4 couplings of 32x32 MLPs, 300 steps on the two moons.
var (
	trainOnce sync.Once
	trainDir  string
	trainOut  string
	trainErr  error
	tmpRoot   string
)

func TestMain(m *testing.M) {
	var err error
	tmpRoot, err = os.MkdirTemp("", "flowkit-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// exec runs the command line in-process and returns its exit code, stdout and stderr.
func exec(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

var tinyRealNVP = []string{"-flow", "realnvp", "-layers", "4", "-hidden", "32,32", "-data", "moons",
	"-steps", "300", "-lr", "3e-3", "-quiet"}

// trained returns the checkpoint directory of the shared tiny moons model.
func trained(t *testing.T) string {
	t.Helper()
	trainOnce.Do(func() {
		trainDir = filepath.Join(tmpRoot, "moons")
		code, out, errs := exec(append([]string{"train", "-ckpt", trainDir}, tinyRealNVP...)...)
		trainOut = out
		if code != 0 {
			trainErr = fmt.Errorf("train exited %d: %s", code, errs)
		}
	})
	if trainErr != nil {
		t.Fatal(trainErr)
	}
	return trainDir
}

// darkness decodes a PNG and returns 1 - luminance in [0, 1] per pixel, row-major, and the size.
func darkness(t *testing.T, path string) ([]float64, image.Rectangle) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	b := img.Bounds()
	out := make([]float64, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, 1-(float64(r)+float64(g)+float64(bl))/(3*65535))
		}
	}
	return out, b
}

func meanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

func correlation(a, b []float64) float64 {
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	c := 0.0
	for i := range a {
		c += (a[i] - ma) * (b[i] - mb)
	}
	return c / float64(len(a)) / math.Sqrt(va*vb)
}

// TestTrainDensityEvalMoons is the end-to-end run: train a RealNVP on the two moons,
// draw its density, and evaluate it. The density PNG must be far from uniform and its dark
// (high-density) pixels must be where the true moons density is: the picture of the model and
// the picture of the truth, drawn by the same plotting code over the same window, must be
// strongly correlated pixel by pixel.
func TestTrainDensityEvalMoons(t *testing.T) {
	dir := trained(t)
	if !strings.Contains(trainOut, "best validation NLL") || !strings.Contains(trainOut, "checkpoint: ") {
		t.Errorf("train's summary is missing: %q", trainOut)
	}
	pngPath := filepath.Join(tmpRoot, "moons-density.png")
	code, out, errs := exec("density", "-ckpt", dir, "-o", pngPath)
	if code != 0 {
		t.Fatalf("density exited %d: %s", code, errs)
	}
	if !strings.Contains(out, pngPath) {
		t.Errorf("density does not name the file it wrote: %q", out)
	}
	model, bounds := darkness(t, pngPath)
	_, v := meanVar(model)
	if v < 1e-3 {
		t.Fatalf("density PNG is nearly uniform: pixel variance %.2g", v)
	}

	// The truth, drawn the same way over the same window and grid.
	toy, err := datasets.Toy("moons")
	if err != nil {
		t.Fatal(err)
	}
	x0, x1, y0, y1 := toy.Bounds()
	g := viz.NewGrid2D(x0, x1, y0, y1, 200, 200)
	logp := make([]float64, 0, g.Len())
	for _, p := range g.Points() {
		lp, _ := toy.LogProb(p[0], p[1])
		logp = append(logp, lp)
	}
	truthPath := filepath.Join(tmpRoot, "moons-truth.png")
	if err := static.SaveDensity2D(truthPath, g, logp, nil); err != nil {
		t.Fatal(err)
	}
	truth, tb := darkness(t, truthPath)
	if tb != bounds {
		t.Fatalf("model picture %v and truth picture %v differ in size", bounds, tb)
	}
	corr := correlation(model, truth)
	t.Logf("pixel variance %.4f, correlation with the true moons density picture %.3f", v, corr)
	if corr < 0.5 {
		t.Errorf("the density picture does not match the moons: pixel correlation with the truth %.3f, want >= 0.5", corr)
	}

	// eval prints a finite test NLL, between the data's own NLL (≈2.39) and a Gaussian fit (≈3.4).
	code, out, errs = exec("eval", "-ckpt", dir, "-n", "2000")
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, errs)
	}
	nll := parseNumber(t, out, `test NLL\s+(\S+)`)
	truthNLL := parseNumber(t, out, `data NLL\s+(\S+)`)
	t.Logf("eval:\n%s", out)
	if math.IsNaN(nll) || math.IsInf(nll, 0) || nll < truthNLL-0.1 || nll > 3.3 {
		t.Errorf("test NLL %v, want finite, above the data's own %.3f - 0.1 and below a Gaussian fit's 3.3", nll, truthNLL)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func parseNumber(t *testing.T, out, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in output %q", pattern, out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%q: %v", m[1], err)
	}
	return v
}

// TestSampleFormats writes samples as CSV, NPY and a PNG scatter and reads them back.
func TestSampleFormats(t *testing.T) {
	dir := trained(t)
	csvPath := filepath.Join(tmpRoot, "s.csv")
	if code, _, errs := exec("sample", "-ckpt", dir, "-n", "500", "-o", csvPath); code != 0 {
		t.Fatalf("sample csv exited %d: %s", code, errs)
	}
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 501 || lines[0] != "x0,x1" {
		t.Fatalf("CSV has %d lines starting %q, want a header x0,x1 and 500 rows", len(lines), lines[0])
	}
	// The samples lie where the moons are: the median true log-density at the samples is far
	// above the median at uniform points of the plotting window.
	toy, _ := datasets.Toy("moons")
	var atSamples, atUniform []float64
	for _, l := range lines[1:] {
		var x, y float64
		if _, err := fmt.Sscanf(l, "%g,%g", &x, &y); err != nil {
			t.Fatalf("CSV row %q: %v", l, err)
		}
		lp, _ := toy.LogProb(x, y)
		atSamples = append(atSamples, lp)
	}
	x0, x1, y0, y1 := toy.Bounds()
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		lp, _ := toy.LogProb(x0+(x1-x0)*r.Float64(), y0+(y1-y0)*r.Float64())
		atUniform = append(atUniform, lp)
	}
	ms, mu := median(atSamples), median(atUniform)
	t.Logf("median true log-density: at the samples %.3f, at uniform points %.3f", ms, mu)
	if ms < mu+3 {
		t.Errorf("samples' median true log-density %.3f, want well above uniform points' %.3f", ms, mu)
	}

	npyPath := filepath.Join(tmpRoot, "s.npy")
	if code, _, errs := exec("sample", "-ckpt", dir, "-n", "300", "-o", npyPath, "-temp", "0.5"); code != 0 {
		t.Fatalf("sample npy exited %d: %s", code, errs)
	}
	raw, err = os.ReadFile(npyPath)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
	header := string(raw[10 : 10+hlen])
	if string(raw[:6]) != "\x93NUMPY" || (10+hlen)%64 != 0 || !strings.Contains(header, "'shape': (300, 2)") ||
		!strings.Contains(header, "'<f4'") || len(raw) != 10+hlen+300*2*4 {
		t.Fatalf("bad NPY: header %q (len %d), file %d bytes", header, hlen, len(raw))
	}

	pngPath := filepath.Join(tmpRoot, "s.png")
	if code, _, errs := exec("sample", "-ckpt", dir, "-n", "300", "-o", pngPath); code != 0 {
		t.Fatalf("sample png exited %d: %s", code, errs)
	}
	if d, _ := darkness(t, pngPath); len(d) == 0 {
		t.Fatal("empty scatter PNG")
	} else if _, v := meanVar(d); v < 1e-4 {
		t.Errorf("scatter PNG is blank (pixel variance %.2g)", v)
	}
}

// TestResume continues the shared run from its checkpoint to a later step.
func TestResume(t *testing.T) {
	src := trained(t)
	dir := filepath.Join(tmpRoot, "resume")
	copyDir(t, src, dir)
	code, out, errs := exec("train", "-ckpt", dir, "-steps", "340", "-eval-every", "10")
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, errs)
	}
	if !strings.Contains(errs, "resuming at step") {
		t.Errorf("resumed run does not say it resumes: %q", errs)
	}
	// Not a terminal: one progress line per validation, with the live loss.
	if n := strings.Count(errs, "train NLL"); n < 3 {
		t.Errorf("%d progress lines with the training loss on stderr, want one per validation:\n%s", n, errs)
	}
	step := parseNumber(t, out, `\(step (\d+)\)`)
	if step <= 300-60 || step > 340 {
		t.Errorf("resumed run's checkpoint at step %v, want in (240, 340]", step)
	}
	// Asking again for steps already done is not an error and trains nothing.
	code, out, _ = exec("train", "-ckpt", dir, "-steps", "100")
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Errorf("train with fewer -steps than done: exit %d, %q", code, out)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestErrors: bad flags, missing checkpoints, unknown names and a checkpoint of another
// architecture each give one line on stderr naming the culprit, and a non-zero exit code (2 for
// usage errors, 1 for runtime failures).
func TestErrors(t *testing.T) {
	dir := trained(t)
	missing := filepath.Join(tmpRoot, "no-such-run")
	fresh := filepath.Join(tmpRoot, "fresh")

	// A checkpoint from another architecture: the shared run's checkpoint under metadata that
	// describes a 2-layer flow.
	other := filepath.Join(tmpRoot, "other-arch")
	copyDir(t, dir, other)
	meta, err := readMeta(other)
	if err != nil {
		t.Fatal(err)
	}
	meta.Layers, meta.Hidden = 2, []int{16}
	if err := writeMeta(other, meta); err != nil {
		t.Fatal(err)
	}
	// A damaged checkpoint: one byte of the variables flipped.
	damaged := filepath.Join(tmpRoot, "damaged")
	copyDir(t, dir, damaged)
	bins, _ := filepath.Glob(filepath.Join(damaged, "step-*", "*.bin"))
	if len(bins) == 0 {
		t.Fatal("no .bin in the checkpoint")
	}
	raw, _ := os.ReadFile(bins[len(bins)-1])
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(bins[len(bins)-1], raw, 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		args []string
		code int
		want string // must appear in the one-line error
	}{
		{"no command", nil, 2, "Usage"},
		{"unknown command", []string{"trian"}, 2, `unknown command "trian"`},
		{"unknown flag", []string{"train", "-ckpt", fresh, "-stesp", "10"}, 2, "-stesp"},
		{"bad flag value", []string{"train", "-ckpt", fresh, "-steps", "ten"}, 2, "-steps"},
		{"bad hidden", []string{"train", "-ckpt", fresh, "-hidden", "64,x"}, 2, "-hidden"},
		{"negative lr", []string{"train", "-ckpt", fresh, "-lr", "-1"}, 2, "-lr"},
		{"missing -ckpt", []string{"train", "-data", "moons"}, 2, "-ckpt"},
		{"unknown dataset", []string{"train", "-ckpt", fresh, "-data", "moonz"}, 2, `-data "moonz"`},
		{"unknown family", []string{"train", "-ckpt", fresh, "-flow", "glowz"}, 2, `-flow "glowz"`},
		{"stray argument", []string{"eval", "-ckpt", dir, "extra"}, 2, `"extra"`},
		{"missing checkpoint eval", []string{"eval", "-ckpt", missing}, 1, missing},
		{"missing checkpoint sample", []string{"sample", "-ckpt", missing, "-o", filepath.Join(tmpRoot, "x.csv")}, 1, missing},
		{"missing checkpoint density", []string{"density", "-ckpt", missing, "-o", filepath.Join(tmpRoot, "x.png")}, 1, missing},
		{"not a checkpoint dir", []string{"eval", "-ckpt", tmpRoot}, 1, "flowkit.json"},
		{"bad output extension", []string{"sample", "-ckpt", dir, "-o", "x.txt"}, 2, "-o x.txt"},
		{"other architecture eval", []string{"eval", "-ckpt", other}, 1, "different architecture"},
		{"other architecture density", []string{"density", "-ckpt", other, "-o", filepath.Join(tmpRoot, "y.png")}, 1, "different architecture"},
		{"resume with other sizes", []string{"train", "-ckpt", dir, "-layers", "6"}, 2, "-layers 6"},
		{"resume with other data", []string{"train", "-ckpt", dir, "-data", "circles"}, 2, "-data circles"},
		{"damaged checkpoint", []string{"eval", "-ckpt", damaged}, 1, ".bin"},
		{"unknown bijector", []string{"check", "no/such"}, 2, `"no/such"`},
		{"list what", []string{"list", "flows"}, 2, `"flows"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := exec(tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stdout %q, stderr %q)", code, tc.code, out, errs)
			}
			if tc.name == "no command" { // prints the usage, which is several lines
				if !strings.Contains(errs, tc.want) {
					t.Errorf("stderr %q lacks %q", errs, tc.want)
				}
				return
			}
			if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") {
				t.Errorf("stderr is not one line: %q", errs)
			}
			if !strings.HasPrefix(errs, "flowkit") || !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q does not name %q", errs, tc.want)
			}
			if out != "" {
				t.Errorf("an error wrote to stdout: %q", out)
			}
		})
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("a failed invocation created %s", fresh)
	}
}

// TestHelp: every command's -h teaches: usage, examples and flags, on stdout, exit code 0.
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, errs := exec(c.name, "-h")
		if code != 0 || errs != "" {
			t.Errorf("%s -h: exit %d, stderr %q", c.name, code, errs)
		}
		for _, want := range []string{"Usage: flowkit " + c.name, "Examples:", "flowkit " + c.name + " "} {
			if !strings.Contains(out, want) {
				t.Errorf("%s -h lacks %q:\n%s", c.name, want, out)
			}
		}
	}
	code, out, _ := exec("-h")
	if code != 0 || !strings.Contains(out, "Commands:") || !strings.Contains(out, "density") {
		t.Errorf("flowkit -h: exit %d, %q", code, out)
	}
}

// TestCheckAndList runs the verification harness on a registry entry and lists everything.
func TestCheckAndList(t *testing.T) {
	code, out, errs := exec("check", "-d", "2", "elementwise/affine", "-batch", "4")
	if code != 0 {
		t.Fatalf("check exited %d: %s", code, errs)
	}
	for _, want := range []string{"round trip", "log-det vs Jacobian", "registry entry elementwise/affine", "event [2]", "all 1 passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = exec("list")
	if code != 0 {
		t.Fatalf("list exited %d", code)
	}
	for _, want := range append(append(familyNames(), datasets.Names()...), "mixture8d", "elementwise/rqspline") {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q", want)
		}
	}
}

// TestEveryFamilyBuilds builds each family's flow on 2D and 3D data and evaluates it once: the
// table in families.go stays usable as the packages behind it change.
func TestEveryFamilyBuilds(t *testing.T) {
	for _, f := range families {
		for _, d := range []int{2, 3} {
			a := Arch{Family: f.Name, Dims: d, Layers: 2, Hidden: []int{8}, Bins: f.Bins}
			flow, err := buildFlow(a)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			m, err := newModelForTest(flow)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			x := [][]float64{make([]float64, d), make([]float64, d)}
			x[1][0] = 0.5
			lp, err := m.LogProb(x, nil)
			if err != nil {
				t.Fatalf("%s D=%d: %v", f.Name, d, err)
			}
			for _, v := range lp {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s D=%d: log p = %v at initialisation", f.Name, d, v)
				}
			}
		}
	}
}
