package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
)

func newModelForTest(f *flowkit.Flow) (*flowkit.Model, error) { return flowkit.NewModel(f) }

// TestWriteNPY checks the .npy layout: magic, version 1.0, a header padded to a multiple of 64
// bytes naming dtype and shape, then little-endian float32 values in row-major order.
func TestWriteNPY(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]float64{{1, 2, 3}, {4, 5, 6}}
	if err := writeNPY(&buf, rows, []int{2, 3}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
	header := string(raw[10 : 10+hlen])
	if raw[6] != 1 || raw[7] != 0 || (10+hlen)%64 != 0 || !strings.HasSuffix(header, "\n") {
		t.Fatalf("bad preamble: version %d.%d, header length %d, header %q", raw[6], raw[7], hlen, header)
	}
	if !strings.Contains(header, "'shape': (2, 3)") || !strings.Contains(header, "'fortran_order': False") {
		t.Errorf("header %q", header)
	}
	data := raw[10+hlen:]
	for i, want := range []float32{1, 2, 3, 4, 5, 6} {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])); got != want {
			t.Errorf("value %d = %v, want %v", i, got, want)
		}
	}
}

// TestLogitPreprocessing: toModel and fromModel are inverses on (0, 1), and toModel's
// log-determinant matches a finite difference of the map.
func TestLogitPreprocessing(t *testing.T) {
	d := dataset{Logit: 0.05}
	y := [][]float64{{0.01, 0.5, 0.97}}
	u, ld := d.toModel(y)
	back := d.fromModel(u)
	want := 0.0
	for j, v := range y[0] {
		if math.Abs(back[0][j]-v) > 1e-12 {
			t.Errorf("round trip %v -> %v -> %v", v, u[0][j], back[0][j])
		}
		h := 1e-6
		up, _ := d.toModel([][]float64{{v + h}})
		um, _ := d.toModel([][]float64{{v - h}})
		want += math.Log((up[0][0] - um[0][0]) / (2 * h))
	}
	if math.Abs(ld[0]-want) > 1e-5 {
		t.Errorf("log-det %v, finite differences %v", ld[0], want)
	}
}

func TestIntListFlag(t *testing.T) {
	var l intList
	if err := l.Set("64, 32"); err != nil || l.String() != "64,32" {
		t.Errorf("Set(\"64, 32\") = %v, %q", err, l.String())
	}
	for _, bad := range []string{"64,x", "0", "-3", "1.5"} {
		if err := l.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

// Example_usageError shows the error style: one line naming the bad flag, exit code 2.
func Example_usageError() {
	code := run([]string{"train", "-ckpt", os.TempDir() + "/flowkit-example", "-flow", "realnvp", "-steps", "0"}, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)
	// Output:
	// flowkit train: -steps 0: want a positive number of steps
	// exit code 2
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb":                          "a b",
		"mismatches:\n  /a: 1\n  /b: 2": "mismatches: /a: 1; /b: 2",
		"first sentence.\nSecond.\n":    "first sentence. Second.",
		"one":                           "one",
	} {
		if got := oneLine(in); got != want || strings.Contains(got, "\n") {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
