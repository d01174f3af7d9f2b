package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/viz/static"
)

const sampleHelp = `
Draws samples from the model in -ckpt (its newest checkpoint) and writes them to -o, in the
format its extension names:

  .csv   one sample per line, a header x0,x1,... (image samples flattened row by row)
  .npy   a NumPy float32 array [n, D] ([n, h, w] for images)
  .png   an image grid for image models, a scatter plot for 2D models (also .svg, .pdf)

-temp scales the latent's standard deviation (z = T·ε): below 1 gives cleaner, less diverse
samples (Glow's reduced temperature). Image samples are mapped back to pixel values in [0, 1].

Examples:
  flowkit sample -ckpt runs/moons -n 1000 -o samples.csv
  flowkit sample -ckpt runs/moons -n 2000 -o samples.png
  flowkit sample -ckpt runs/mnist -n 64 -temp 0.7 -o digits.png
`

func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", "-ckpt DIR -o FILE [flags]", sampleHelp)
	ckpt := fs.String("ckpt", "", "checkpoint `directory` written by flowkit train (required)")
	out := fs.String("o", "", "output `file`: .csv, .npy, or .png/.svg/.pdf (required)")
	n := fs.Int("n", 1000, "number of samples")
	temp := fs.Float64("temp", 1, "sampling temperature T > 0 (latent standard deviation)")
	seed := fs.Int64("seed", 1, "random seed")
	cols := fs.Int("cols", 8, "columns of an image grid")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if *ckpt == "" {
		return usagef("-ckpt is required: the directory flowkit train wrote")
	}
	if *out == "" {
		return usagef("-o is required: the file to write (.csv, .npy, .png)")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch ext {
	case ".csv", ".npy", ".png", ".svg", ".pdf":
	default:
		return usagef("-o %s: unknown extension %q (want .csv, .npy, .png, .svg or .pdf)", *out, ext)
	}
	if *n <= 0 || *n > 1_000_000 {
		return usagef("-n %d: want between 1 and 1000000 samples", *n)
	}
	if !(*temp > 0) || math.IsInf(*temp, 0) {
		return usagef("-temp %v: want a positive finite temperature", *temp)
	}
	if *cols <= 0 {
		return usagef("-cols %d: want a positive number of columns", *cols)
	}
	l, err := loadModel(*ckpt, *seed)
	if err != nil {
		return err
	}
	if (ext == ".png" || ext == ".svg" || ext == ".pdf") && l.Meta.Image == nil && l.Meta.Dims != 2 {
		return usagef("-o %s: pictures are for image and 2D models; this model is %dD: use .csv or .npy", *out, l.Meta.Dims)
	}
	rows, err := drawSamples(l, *n, *temp)
	if err != nil {
		return err
	}
	if err := writeSamples(*out, ext, rows, l.Meta, *cols); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d samples of %s (step %d, T=%g) to %s\n", *n, l.Meta.describe(), l.Step, *temp, *out)
	return nil
}

// drawSamples draws n samples at temperature T in chunks and maps them to data space.
func drawSamples(l *loaded, n int, T float64) ([][]float64, error) {
	const chunk = 10000
	var rows [][]float64
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		x, _, err := l.Model.SampleWithTemperature(k, T, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, flowkit.Rows(x)...)
	}
	data := l.Data
	data.Logit = l.Meta.Logit
	return data.fromModel(rows), nil
}

func writeSamples(path, ext string, rows [][]float64, meta *Meta, cols int) error {
	switch ext {
	case ".csv":
		return writeFile(path, func(w *bufio.Writer) error { return writeCSV(w, rows) })
	case ".npy":
		shape := []int{len(rows), meta.Dims}
		if meta.Image != nil {
			shape = []int{len(rows), meta.Image[0], meta.Image[1]}
		}
		return writeFile(path, func(w *bufio.Writer) error { return writeNPY(w, rows, shape) })
	}
	var err error
	if meta.Image != nil {
		err = static.SaveImageGrid(path, rows, meta.Image[0], meta.Image[1], cols)
	} else {
		err = static.SaveScatter2D(path, rows)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %v", path, err)
	}
	return nil
}

// writeFile creates path and writes it through a buffered writer, naming the file on failure.
func writeFile(path string, write func(w *bufio.Writer) error) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("-o %s: %v", path, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-o %s: %v", path, err)
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("-o %s: %v", path, err)
	}
	return nil
}

// writeCSV writes rows with a header x0,x1,...
func writeCSV(w io.Writer, rows [][]float64) error {
	if len(rows) == 0 {
		return nil
	}
	var sb strings.Builder
	for j := range rows[0] {
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("x" + strconv.Itoa(j))
	}
	sb.WriteByte('\n')
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return err
	}
	buf := make([]byte, 0, 64)
	for _, r := range rows {
		buf = buf[:0]
		for j, v := range r {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, v, 'g', 8, 32)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// writeNPY writes rows as a NumPy .npy file (format version 1.0) holding a little-endian float32
// array of the given shape.
func writeNPY(w io.Writer, rows [][]float64, shape []int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shapeStr := strings.Join(dims, ", ")
	if len(shape) == 1 {
		shapeStr += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shapeStr)
	// The magic (6 bytes), version (2), header length (2) and header, newline-terminated and
	// space-padded, total a multiple of 64 bytes.
	total := 10 + len(header) + 1
	pad := (64 - total%64) % 64
	header += strings.Repeat(" ", pad) + "\n"
	pre := []byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0}
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
	if _, err := w.Write(pre); err != nil {
		return err
	}
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}
	var b [4]byte
	for _, r := range rows {
		for _, v := range r {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(v)))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
	}
	return nil
}
