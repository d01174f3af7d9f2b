package glow

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Encode returns the latents of images x (a tensor [n, H, W, C] or rows of H·W·C values in
// [0, 1]): the normalizing direction z = f⁻¹(x), one tensor [n, H, W, C] holding every level's
// latent (LevelLatents cuts it into the list).
func (m *Model) Encode(x any) (*tensors.Tensor, error) { return m.Latent(x, nil) }

// Decode runs the generative direction on latents z [n, H, W, C] (as Encode returns them, or
// assembled from per-level latents) and returns the images [n, H, W, C].
func (m *Model) Decode(z *tensors.Tensor) (x *tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("glow: Decode: %v", r)
		}
	}()
	zt, err := flowkit.ToTensor("z", z, m.Config.Event, m.DType)
	if err != nil {
		return nil, fmt.Errorf("glow: Decode: %w", err)
	}
	if m.decode == nil {
		m.decode, err = model.NewExec(m.Backend, m.Store, func(s *model.Scope, z *Node) *Node {
			x, _ := m.Flow.Generate(flowkit.FlowScope(s), z, nil)
			return x
		})
		if err != nil {
			return nil, err
		}
	}
	out, err := m.decode.Exec(zt)
	if err != nil {
		return nil, fmt.Errorf("glow: Decode: %w", err)
	}
	return out[0], nil
}

// LevelLatents cuts latents z [n, H, W, C] into the per-level latents of each example: out[i][l]
// is level l's latent of example i (finest level first), flattened [h_l, w_l, c_l] (the shapes
// of Net.LatentShapes).
func (m *Model) LevelLatents(z *tensors.Tensor) [][][]float32 {
	flat := flowkit.Float64s(z)
	n := z.Shape().Dimensions[0]
	d := len(flat) / max(1, n)
	out := make([][][]float32, n)
	for i := range out {
		f := make([]float32, d)
		for j := range f {
			f[j] = float32(flat[i*d+j])
		}
		out[i] = m.Net.LatentsFlat(f)
	}
	return out
}

// DecodeLevels rebuilds images from per-level latents, the generative direction of figure 16.10:
// levels[i][l] is level l's latent of image i (finest first, flattened with the shapes of
// Net.LatentShapes, as LevelLatents returns them). It returns the images [n, H, W, C].
func (m *Model) DecodeLevels(levels [][][]float32) (*tensors.Tensor, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("glow: DecodeLevels: no latents")
	}
	D := m.Config.Event[0] * m.Config.Event[1] * m.Config.Event[2]
	flat := make([]float64, 0, len(levels)*D)
	for i, lv := range levels {
		z, err := assemble(m, lv)
		if err != nil {
			return nil, fmt.Errorf("glow: DecodeLevels: image %d: %w", i, err)
		}
		for _, v := range z {
			flat = append(flat, float64(v))
		}
	}
	return m.Decode(tensorOf(flat, m.DType, append([]int{len(levels)}, m.Config.Event...)))
}

func assemble(m *Model, parts [][]float32) (z []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return m.Net.AssembleFlat(parts), nil
}

// Reconstruct encodes and decodes images x and returns the reconstruction and the largest
// absolute error max |f(f⁻¹(x)) - x| over all pixels: the exactness of the inverse in the
// model's dtype.
func (m *Model) Reconstruct(x any) (recon *tensors.Tensor, maxAbsErr float64, err error) {
	xt, err := m.Input("x", x)
	if err != nil {
		return nil, 0, err
	}
	z, err := m.Encode(xt)
	if err != nil {
		return nil, 0, err
	}
	recon, err = m.Decode(z)
	if err != nil {
		return nil, 0, err
	}
	a, b := flowkit.Float64s(xt), flowkit.Float64s(recon)
	for i := range a {
		maxAbsErr = math.Max(maxAbsErr, math.Abs(a[i]-b[i]))
		if math.IsNaN(b[i]) {
			maxAbsErr = math.Inf(1)
		}
	}
	return recon, maxAbsErr, nil
}

// Interpolate encodes two images a and b (H·W·C values each, in [0, 1]), interpolates their
// full multi-scale latents at n evenly spaced points t = 0, 1/(n-1), …, 1 and decodes them
// (figure 16.13). Linear: z(t) = (1-t)·z_a + t·z_b. Spherical (slerp): z(t) = sin((1-t)θ)/sin θ ·
// z_a + sin(tθ)/sin θ · z_b with θ the angle between z_a and z_b, which keeps the norm near
// that of typical latents (the linear midpoint of two Gaussian latents has a norm √2 smaller).
// The first and last images are the reconstructions of a and b. It returns n rows of H·W·C
// values.
func (m *Model) Interpolate(a, b []float64, n int, spherical bool) ([][]float64, error) {
	if n < 2 {
		return nil, fmt.Errorf("glow: Interpolate: n = %d points, want at least 2", n)
	}
	z, err := m.Encode([][]float64{a, b})
	if err != nil {
		return nil, fmt.Errorf("glow: Interpolate: %w", err)
	}
	flat := flowkit.Float64s(z)
	D := len(flat) / 2
	za, zb := flat[:D], flat[D:]
	zs := make([]float64, 0, n*D)
	for k := 0; k < n; k++ {
		t := float64(k) / float64(n-1)
		wa, wb := InterpolationWeights(za, zb, t, spherical)
		for i := 0; i < D; i++ {
			zs = append(zs, wa*za[i]+wb*zb[i])
		}
	}
	x, err := m.Decode(tensorOf(zs, m.DType, append([]int{n}, m.Config.Event...)))
	if err != nil {
		return nil, fmt.Errorf("glow: Interpolate: %w", err)
	}
	return flowkit.Rows(x), nil
}

// InterpolationWeights returns the weights (w_a, w_b) of z(t) = w_a·z_a + w_b·z_b: (1-t, t) for
// linear interpolation; for spherical interpolation sin((1-t)θ)/sin θ and sin(tθ)/sin θ with
// cos θ = z_a·z_b / (|z_a| |z_b|), falling back to linear when the vectors are (anti)parallel.
func InterpolationWeights(za, zb []float64, t float64, spherical bool) (wa, wb float64) {
	if !spherical {
		return 1 - t, t
	}
	var dot, na, nb float64
	for i := range za {
		dot += za[i] * zb[i]
		na += za[i] * za[i]
		nb += zb[i] * zb[i]
	}
	cos := dot / math.Sqrt(na*nb)
	theta := math.Acos(math.Max(-1, math.Min(1, cos)))
	if s := math.Sin(theta); s > 1e-6 {
		return math.Sin((1-t)*theta) / s, math.Sin(t*theta) / s
	}
	return 1 - t, t
}

// Samples draws n images at temperature T (Model.SampleWithTemperature: every latent, including
// the split priors' deviations, scaled by T; section 16.5.2) and returns them as rows of H·W·C
// values clamped to [0, 1], ready for viz.ImageGrid.
func (m *Model) Samples(n int, T float64) ([][]float64, error) {
	x, _, err := m.SampleWithTemperature(n, T, nil)
	if err != nil {
		return nil, err
	}
	rows := flowkit.Rows(x)
	for _, r := range rows {
		for i, v := range r {
			switch {
			case math.IsNaN(v) || v < 0:
				r[i] = 0
			case v > 1:
				r[i] = 1
			}
		}
	}
	return rows, nil
}

// tensorOf returns values v as a tensor of dtype dt and shape dims.
func tensorOf(v []float64, dt dtypes.DType, dims []int) *tensors.Tensor {
	if dt == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}
