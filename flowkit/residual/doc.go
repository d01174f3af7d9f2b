// Package residual holds residual flows (Prince, Understanding Deep Learning, sections 16.3.6-16.3.7,
// eq. 16.18-16.24, and the residual-flow tutorial of seed 000):
//
//   - IRevNet: the additive two-half residual coupling of eq. 16.18-16.19, exact in both
//     directions with log-determinant 0;
//   - IResNet: the contractive residual block h' = h + g(h) of Behrmann et al. (2019), with g a
//     network whose weights are spectrally normalised (Lip(g) < 1), its inverse by the
//     fixed-point iteration of eq. 16.21, and its log-determinant by one of several estimators
//     (exact, the truncated power series of eq. 16.22 with Hutchinson's trace estimator of
//     eq. 16.23-16.24, the unbiased Russian-roulette estimator of Chen et al. (2019) with its
//     Neumann-series gradient, or the matrix determinant lemma for a low-rank Jacobian).
//
// # Which direction is the residual map
//
// The book writes the residual layer in the generative direction (y = z + f[z], eq. 16.21, inverted
// by iterating z_{k+1} = y - f[z_k]). Residual flows for density estimation (Behrmann et al.
// 2019, Chen et al. 2019) put the residual map on the normalizing side instead, because that is
// where training needs it: log p(x) = log p(z) + log det(I + J_g(x)) with z = x + g(x) takes one
// pass of g plus a log-determinant estimate, while the fixed-point iteration is only needed to
// sample. This package does the same. In flowkit's terms (Forward is generative z -> x, Inverse
// is normalizing x -> z):
//
//	Inverse (density, cheap):  z = x + g(x),                 log|det ∂z/∂x| = log det(I + J_g(x))
//	Forward (sampling, iterates): x solves x + g(x) = z, by x_{k+1} = z - g(x_k),  log-det = -log det(I + J_g(x))
//
// so the book's y* is our latent z and the book's z is our data x. Wrap a block in
// flowkit.Invert to put the iteration on the density side instead.
//
// The fixed-point iteration converges because g is a contraction: Lip(g) <= c < 1 makes
// ‖x_k - x*‖ <= c^k ‖x_0 - x*‖ (Banach's theorem, eq. 16.20). Its tolerance and iteration cap are
// configurable (FixedPoint); the iteration count and achieved residual are available in graph
// form (SolveFixedPoint, IResNet.ForwardStats) and on the host (Generate, Sample,
// InvertFixedPoint); examples that do not converge come out as NaN by default, never as a wrong
// number.
//
// Spectral normalisation (SpectralNorm) keeps a persistent power-iteration vector per weight as a
// non-trainable variable, updated in training-mode graphs (GoMLX's Store.SetTraining) and
// whenever a gradient is taken through the weight; evaluation graphs are deterministic, and for
// dense weights use a guaranteed upper bound on the spectral norm (see SpectralNorm).
//
// # Gradients
//
// The branches (MLP, Conv) write out their Jacobian-vector and vector-Jacobian products, so the
// log-determinant estimators need only first-order autodiff: the power series backpropagates
// through its forward-mode products; the Russian roulette uses the Neumann-series gradient of
// Chen et al. through a stop-gradient surrogate (memory independent of the number of terms); the
// exact and low-rank log-determinants differentiate an LU factorisation written in graph ops. The
// generative direction gets the implicit-function gradient through a custom VJP. (GoMLX v0.28.6
// does support second-order gradients, e.g. the gradient of a VJP; this package does not rely on
// them.)
//
// # Backend
//
// The fixed-point inverse and the Russian roulette are GoMLX While loops. GoMLX v0.28.6's default
// 4-slot worker pool can deadlock when a loop's body (or any graph) runs several matrix products at
// once; flowkit/backend widens the pool (backend.MinWorkers) so that does not happen.
// GOMLX_BACKEND=go:ops_sequential is the conservative alternative. The loops a graph builds are
// chained one after the other (whileLoop).
package residual
