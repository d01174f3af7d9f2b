package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestFiguresAreWrittenAndNotBlank runs the command's work into a temp folder and checks each
// PNG decodes and has more than one colour.
func TestFiguresAreWrittenAndNotBlank(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bimodal", "8gaussians", "checkerboard", "moons"} {
		f, err := os.Open(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := img.Bounds()
		first := img.At(b.Min.X, b.Min.Y)
		varied := false
		for y := b.Min.Y; y < b.Max.Y && !varied; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				if img.At(x, y) != first {
					varied = true
					break
				}
			}
		}
		if !varied || b.Dx() < 200 {
			t.Errorf("%s.png is blank or tiny (%v)", name, b)
		}
	}
}
