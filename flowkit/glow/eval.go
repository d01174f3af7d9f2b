package glow

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/gomlx/core/tensors"
)

// Evaluation is a model's likelihood on a set of 8-bit images.
type Evaluation struct {
	// Images is the number of images evaluated, Dims the values per image (H·W·C).
	Images, Dims int
	// NLL is the mean negative log-likelihood in nats per image of the dequantized images
	// y = (x + u)/256 ∈ [0, 1)^D (the model's own density, including any logit Jacobian).
	NLL float64
	// BitsPerDim is flowkit.BitsPerDim(NLL, Dims): bits per dimension of the 8-bit data.
	BitsPerDim float64
	// StdErr is the standard error of BitsPerDim over the images.
	StdErr float64
}

// String formats the evaluation, e.g. "1.5432 bits/dim ± 0.0041 (NLL 838.12 nats, 10000 images)".
func (e Evaluation) String() string {
	return fmt.Sprintf("%.4f bits/dim ± %.4f (NLL %.2f nats per image, %d images of %d values)", e.BitsPerDim, e.StdErr, e.NLL, e.Images, e.Dims)
}

// Evaluate returns the test negative log-likelihood and bits per dimension of images under m:
// the images are dequantized once with seed (datasets.Images.Dequantize: y = (x + u)/256, so
// the estimate is a Monte Carlo lower bound on the discrete likelihood, the standard way flows
// report bits/dim), log p(y) is computed in batches of batch images (0: 500), and the mean NLL
// goes through flowkit.BitsPerDim, the one place the bits/dim formula lives. The model's event
// must be the images' [H, W, 1].
func Evaluate(m *flowkit.Model, im *datasets.Images, seed uint64, batch int) (Evaluation, error) {
	if m == nil || im == nil || im.N() == 0 {
		return Evaluation{}, fmt.Errorf("glow: Evaluate: a model and at least one image are needed")
	}
	ev := m.EventShape()
	if len(ev) != 3 || ev[0] != im.H() || ev[1] != im.W() || ev[2] != 1 {
		return Evaluation{}, fmt.Errorf("glow: Evaluate: images of %d×%d×1 pixels for a model on %v", im.H(), im.W(), ev)
	}
	if batch <= 0 {
		batch = 500
	}
	y := im.Dequantize(seed).Data()
	D := im.H() * im.W()
	n := im.N()
	var sum, sumSq float64
	for start := 0; start < n; start += batch {
		end := min(n, start+batch)
		t := tensors.FromFlatDataAndDimensions(append([]float32(nil), y[start*D:end*D]...), end-start, im.H(), im.W(), 1)
		lp, err := m.LogProb(t, nil)
		if err != nil {
			return Evaluation{}, fmt.Errorf("glow: Evaluate: images %d..%d: %w", start, end-1, err)
		}
		for _, v := range lp {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Evaluation{}, fmt.Errorf("glow: Evaluate: log p is %v for an image in %d..%d", v, start, end-1)
			}
			sum -= v
			sumSq += v * v
		}
	}
	nll := sum / float64(n)
	variance := math.Max(0, sumSq/float64(n)-nll*nll)
	// bits/dim is affine in the NLL: its standard error is the NLL's divided by D·ln 2.
	se := math.Sqrt(variance/float64(n)) / (float64(D) * math.Ln2)
	return Evaluation{Images: n, Dims: D, NLL: nll, BitsPerDim: flowkit.BitsPerDim(nll, D), StdErr: se}, nil
}
