package p16_09

import (
	"os"

	"gonum.org/v1/plot/vg"
)

// writeCanvas writes c to the file path, reporting close errors.
func writeCanvas(c vg.CanvasWriterTo, path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = c.WriteTo(f)
	return err
}
