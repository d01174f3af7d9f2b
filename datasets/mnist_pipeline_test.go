package datasets

import (
	"testing"
)

func pipelineImages(t *testing.T, n, h, w int) *Images {
	t.Helper()
	pix := make([]uint8, n*h*w)
	for i := range pix {
		pix[i] = uint8((i * 37) % 256)
	}
	im, err := NewImages(n, h, w, pix, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// TestImageBatchesEpochsAndNoise: every image appears once per epoch, batches are dequantized
// into [x/256, (x+1)/256), and an image gets different noise in different epochs.
func TestImageBatchesEpochsAndNoise(t *testing.T) {
	const n, h, w, batch = 9, 2, 3, 3
	im := pipelineImages(t, n, h, w)
	b, err := NewImageBatches(im, batch, 5)
	if err != nil {
		t.Fatal(err)
	}
	first := map[int]float32{}
	for epoch := 0; epoch < 2; epoch++ {
		seen := map[int]bool{}
		for k := 0; k < n/batch; k++ {
			y, idx := b.Next()
			if b.Epoch() != epoch {
				t.Fatalf("Epoch() = %d during epoch %d", b.Epoch(), epoch)
			}
			if len(y) != batch*h*w || len(idx) != batch {
				t.Fatalf("batch of %d values and %d indices", len(y), len(idx))
			}
			for j, i := range idx {
				if seen[i] {
					t.Fatalf("epoch %d: image %d twice", epoch, i)
				}
				seen[i] = true
				for p := 0; p < h*w; p++ {
					v, x := float64(y[j*h*w+p]), float64(im.Image(i)[p])
					if v < x/256 || v >= (x+1)/256 {
						t.Fatalf("image %d pixel %d: %v not in [%v, %v)", i, p, v, x/256, (x+1)/256)
					}
				}
				if epoch == 0 {
					first[i] = y[j*h*w]
				} else if first[i] == y[j*h*w] {
					t.Fatalf("image %d got the same noise in two epochs", i)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("epoch %d covered %d of %d images", epoch, len(seen), n)
		}
	}
}

// TestImageBatchesPartialEpoch: with 10 images in batches of 3, the fourth batch starts a new
// epoch instead of mixing the last image with the next epoch's; bad sizes are errors.
func TestImageBatchesPartialEpoch(t *testing.T) {
	im := pipelineImages(t, 10, 2, 2)
	b, err := NewImageBatches(im, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 3; k++ {
		b.Next()
	}
	if b.Epoch() != 0 {
		t.Fatalf("Epoch() = %d after 3 batches", b.Epoch())
	}
	b.Next()
	if b.Epoch() != 1 {
		t.Fatalf("Epoch() = %d after the 4th batch, want 1", b.Epoch())
	}
	for _, bad := range []int{0, -1, 11} {
		if _, err := NewImageBatches(im, bad, 1); err == nil {
			t.Errorf("batch size %d: no error", bad)
		}
	}
	if _, err := NewImageBatches(nil, 1, 1); err == nil {
		t.Error("nil images: no error")
	}
}
