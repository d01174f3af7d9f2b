package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ImageBatches is the training pipeline for image flows: it draws mini-batches of images in a
// fresh random order each epoch (every image once per epoch) and dequantizes every batch with
// fresh uniform noise,
//
//	y = (x + u) / 256,   u ~ U[0, 1) per pixel, drawn anew each time an image is used,
//
// so the model never sees the same continuous value twice and cannot put density spikes on the
// 256 pixel levels (Images.Dequantize dequantizes a whole set once, for evaluation). Batches are
// float32 [batch, H, W, 1] in row-major order, the layout image flows take. It is deterministic
// given the seed. Not safe for concurrent use.
type ImageBatches struct {
	im    *Images
	batch int
	rng   *rand.Rand
	perm  []int
	pos   int
	epoch int
	buf   []float32
}

// NewImageBatches returns a pipeline over im with batch images per batch (at most im.N()),
// seeded with seed.
func NewImageBatches(im *Images, batch int, seed uint64) (*ImageBatches, error) {
	if im == nil || im.N() == 0 {
		return nil, fmt.Errorf("datasets: NewImageBatches: no images")
	}
	if batch <= 0 || batch > im.N() {
		return nil, fmt.Errorf("datasets: NewImageBatches: batch size %d, want 1..%d (the number of images)", batch, im.N())
	}
	b := &ImageBatches{im: im, batch: batch, rng: newRand(seed), buf: make([]float32, batch*im.h*im.w)}
	b.perm = b.rng.Perm(im.N())
	return b, nil
}

// BatchSize returns the number of images per batch.
func (b *ImageBatches) BatchSize() int { return b.batch }

// Epoch returns the number of completed passes over the images.
func (b *ImageBatches) Epoch() int { return b.epoch }

// Dims returns the shape of one batch, [batch, H, W, 1].
func (b *ImageBatches) Dims() []int { return []int{b.batch, b.im.h, b.im.w, 1} }

// Next returns the next batch, dequantized with fresh noise, as float32 [batch, H, W, 1]
// flattened, and the indices of its images. Both slices are reused by the next call. A batch
// that would run past the end of the epoch starts a new epoch (new order) instead, so every
// batch is full and no image repeats within a batch.
func (b *ImageBatches) Next() (pixels []float32, index []int) {
	if b.pos+b.batch > len(b.perm) {
		b.perm = b.rng.Perm(b.im.N())
		b.pos = 0
		b.epoch++
	}
	idx := b.perm[b.pos : b.pos+b.batch]
	b.pos += b.batch
	size := b.im.h * b.im.w
	below1 := math.Nextafter32(1, 0)
	for k, i := range idx {
		src := b.im.Image(i)
		dst := b.buf[k*size : (k+1)*size]
		for j, p := range src {
			dst[j] = min(float32((float64(p)+b.rng.Float64())/256), below1)
		}
	}
	return b.buf, idx
}
