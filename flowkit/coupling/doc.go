// Package coupling holds coupling flows (section 16.3.3, eq. 16.13-16.14): RealNVP, NICE, neural
// spline flows and their image variants.
//
// A coupling splits its input h into a kept part h₁ and a transformed part h₂ with a Mask, and
// maps
//
//	h₁' = h₁,   h₂' = g[h₂, φ[h₁]]
//
// where g is a monotone transformer from flowkit/transformer applied elementwise (Affine:
// RealNVP, Additive: NICE, RQSpline: NSF, PiecewiseLinear) and φ is a Conditioner network
// (nn.MLP for vectors, nn.CNN for images) that sees h₁ and the optional conditioning input. The
// inverse needs no inverse of φ, and the Jacobian is block triangular, so both directions cost
// one conditioner pass and log|det| = Σ log g'(h₂).
//
// Masks: Half, KeepFirst and Alternating for vectors; Checkerboard and Channels for images
// [H, W, C]; NewMask for any pattern; Swap exchanges the roles. Builders: RealNVP, NICE and NSF
// return a flowkit.Chain of couplings with alternating masks; Network configures any stack,
// including a mixing bijector between layers (permutations, or linear.LU); Normal puts a
// standard normal base under a bijector.
//
// Speed on the pure-Go backend (see the benchmarks in this package): contiguous masks are
// realised with static slices and one concatenation, so the conditioner sees only h₁ and the
// transformer runs only on h₂ (measured faster than RealNVP's multiplication by a binary mask);
// other vector masks add one constant permutation; image checkerboards use masking, which the
// convolutional conditioner needs anyway.
package coupling
