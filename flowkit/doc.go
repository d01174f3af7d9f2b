// Package flowkit is a library of normalizing flows on GoMLX, following chapter 16 of Prince's
// Understanding Deep Learning.
//
// # Flows in one paragraph
//
// A normalizing flow models data x as an invertible, differentiable function of a latent z with
// a simple base density: x = f(z), z ~ Pr(z). The density of x follows by the change of
// variables (eq. 16.1, 16.3):
//
//	log Pr(x) = log Pr(f⁻¹(x)) + log |det ∂f⁻¹/∂x|
//
// f is built as a composition f = f_K ∘ … ∘ f_1 of simple bijectors, and log-determinants add
// up (eq. 16.7). Training maximises the log-likelihood of data (eq. 16.8); sampling draws z and
// runs f.
//
// # Direction
//
// flowkit follows the book: a Bijector's Forward is the generative direction z → x, its Inverse
// the normalizing direction x → z. Each returns the log|det| of its own Jacobian per example.
// Some bijectors are fast in one direction only (MAF in Inverse, IAF in Forward); Invert swaps
// the directions.
//
// # Building blocks
//
//   - Bijector, Chain, Invert, Permute, IdentityMap: the algebra.
//   - Distribution: StandardNormal, DiagNormal (learnable), Uniform, StandardLogistic, Mixture.
//   - Flow: a base distribution and a bijector, with LogProb, Sample, SampleAndLogProb (one
//     generative pass, no inverse: what reverse-KL training needs) and Latent.
//   - Model: a Flow bound to a backend and its variables, for host data, with validated inputs.
//   - Sub-packages: transformer (the book's g[h, φ]: affine, additive, leaky ReLU,
//     piecewise-linear, rational-quadratic spline), elementwise, check (the verification
//     harness), fit (maximum-likelihood training), registry (every bijector, for the
//     conformance test), backend (the pure-Go backend by default, XLA opt-in).
//
// # A first flow
//
//	flow := flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.NewChain(
//		elementwise.New(transformer.NewAffine()),
//		elementwise.New(transformer.NewRQSpline(16, 4)),
//	))
//	m, err := flowkit.NewModel(flow)
//	res, err := fit.MLE(m, data, nil, fit.Config{Steps: 2000, LearningRate: 1e-2})
//	logp, err := m.LogProb([][]float64{{0.3}}, nil)
//	samples, err := m.SampleRows(1000, nil)
//
// # Writing a bijector
//
// Implement Forward and Inverse on GoMLX graph nodes; create variables under the scope you are
// given, in the dtype of the input, so the same code runs in float32 and in float64; then run
// check.Bijector on it, which compares your log-determinant with the exact Jacobian's.
//
// # Conventions
//
// Inputs are [batch, event...]: [batch, D] for vectors, [batch, H, W, C] for images. Log-dets
// and log-densities are [batch], in nats. Images also report bits per dimension (BitsPerDim).
package flowkit
