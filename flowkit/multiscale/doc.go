// Package multiscale holds the pieces of multi-scale flows on images (section 16.4, figure
// 16.10 of Understanding Deep Learning; RealNVP and Glow): Squeeze (2×2 space-to-depth), Split
// (half the channels leave to the latent, optionally under a learned conditional prior), Logit
// (the logit pre-processing of dequantized pixels, with its Jacobian), and Network, which
// assembles levels of flow steps into one multi-scale bijector.
//
// # The latent keeps the image's shape
//
// In a multi-scale flow the event shape changes on the way: each level squeezes [h, w, c] to
// [h/2, w/2, 4c] and factors out half of the channels, so the latents are a list of tensors of
// different shapes (z₁ [H/2, W/2, 2C], z₂ …). flowkit's Flow, Model and fit.MLE expect a
// bijector that keeps the event shape, with a base distribution over that shape. Network does
// both: in the normalizing direction each level ends by putting its factored-out half and the
// (recursively transformed) rest back together and undoing its squeeze, so the total latent z
// is one tensor of the input's shape [H, W, C]. The arrangement of the per-level latents in it
// is fixed and invertible (a permutation: squeezes, channel concatenations, unsqueezes), so
//
//   - a StandardNormal(H, W, C) base over z is exactly the product of standard normals over
//     every level's latent, and log p(x) is unchanged by the arrangement (its log-det is 0);
//   - Network.Latents cuts z into the list of per-level latents [z₁, z₂, …, z_L] and
//     Network.Assemble puts such a list back into z, so images can be rebuilt from latents in
//     the generative direction (Flow.Generate, Model.SampleWithTemperature);
//   - interpolating z linearly interpolates every level's latent at once (figure 16.13).
//
// # The learned split prior is part of the bijector
//
// Glow's split prior models the factored-out half z₁ as N(μ(h), σ(h)²) given the half h that
// continues. Split implements it as an affine map of z₁ conditioned on h, inside the bijector:
// normalizing, ε = (z₁ - μ(h)) / σ(h), with log-det -Σ log σ(h). The base then evaluates ε
// under N(0, 1), and
//
//	log N(ε; 0, 1) - Σ log σ(h) = log N(z₁; μ(h), σ(h)²)
//
// exactly: the conditional prior's log-density is the standard normal's plus the bijector's
// log-det. Because it is an ordinary bijector, temperature sampling (Model.SampleWithTemperature
// scales ε by T) draws z₁ = μ(h) + T·σ(h)·ε, which is Glow's tempered split prior.
//
// # Directions
//
// As everywhere in flowkit, Forward is generative (latent → image) and Inverse is normalizing
// (image → latent). Squeeze's Forward squeezes ([h, w, c] → [h/2, w/2, 4c]), which is what its
// name says; inside a Network the normalizing direction squeezes, so the network uses it
// inverted where needed. Network lists its levels, and each level its steps, in the order the
// normalizing direction applies them: data first, as figure 16.10 and Glow's paper draw them.
package multiscale
