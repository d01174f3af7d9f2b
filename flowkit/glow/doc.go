// Package glow builds and trains multi-scale flows on images: Glow (Kingma & Dhariwal 2018,
// section 16.5.2 of Understanding Deep Learning) and, for comparison, RealNVP's multi-scale
// model with checkerboard and channel masks (Dinh et al. 2016), on the pieces of packages
// multiscale, linear and coupling.
//
// A Glow step (Step) is ActNorm, an invertible 1×1 convolution with the LU parameterisation and
// an affine coupling whose parameters a CNN with a zero-initialised last layer computes (ConvNet),
// with Glow's sigmoid scale (SigmoidAffine), which only contracts in the normalizing direction
// and so keeps deep stacks stable: with an exp-scale a Glow on MNIST blew up after 150 steps
// (single batches at hundreds of bits/dim). A Glow
// model (New with Config) has L levels: each squeezes 2×2 blocks into channels, runs K steps and
// factors out half of its channels under a learned conditional prior (figure 16.10); the last
// level squeezes and runs K steps. The whole latent keeps the image's shape (package
// multiscale), so a Model is a flowkit.Model and everything flowkit offers applies to it; this
// package adds what images need:
//
//   - Evaluate: test NLL in nats and bits/dim (through flowkit.BitsPerDim, the one formula);
//   - Samples: images at a temperature T (the base density raised to the power 1/T²);
//   - Interpolate: encode two images, interpolate their full multi-scale latents linearly or
//     spherically, decode (figure 16.13); Reconstruct: the encode-decode error;
//   - Train: maximum likelihood with fresh dequantization of every batch, ActNorm's
//     data-dependent initialisation, Adam with warm-up and cosine decay, checkpoints with
//     resume (optimiser state, step and elapsed time included), a CSV training curve;
//     cmd/glowtrain runs it from the command line for a given wall time; Load rebuilds a
//     trained model from its folder.
package glow
