// Package autoregressive holds flowkit's autoregressive flows (sections 16.3.4-16.3.5 of
// Prince's Understanding Deep Learning): MADE conditioners, masked autoregressive flows (MAF),
// inverse autoregressive flows (IAF) and neural autoregressive flows (NAF), plus the book's
// piecewise-linear autoregressive flow.
//
// An autoregressive layer transforms each dimension with a monotone transformer g whose
// parameters depend on the previous dimensions only (eq. 16.15):
//
//	h'_d = g(h_d; φ_d(h_{<d}))
//
// so its Jacobian is triangular (in the layer's order) and log|det| = Σ_d log g'(h_d). A MADE
// (Germain et al. 2015) computes every φ_d in one masked pass. One direction is therefore
// parallel and the other sequential (eq. 16.16-16.17):
//
//   - MAFLayer: the density direction (Inverse, x → z) is one pass; sampling (Forward) is D passes.
//   - IAFLayer: the same layer inverted: sampling is one pass; density is D passes.
//
// The transformer is any transformer.Transformer: affine (MAF, IAF), rational-quadratic spline
// (autoregressive NSF), transformer.DSF / DDSF (NAF), piecewise-linear (the book's flow).
//
// Model builders return a flowkit.Chain of layers whose autoregressive order alternates between
// layers (ReversePermutation, the MAF paper's reverse permutations) or is random:
//
//	flow := flowkit.NewFlow(flowkit.StandardNormal(2), autoregressive.MAF(2, 5, 64, 64))
//
// MAF, IAF, NAF, NSF and PiecewiseLinearFlow are shorthands for Config, which also takes a
// conditioning input (cond feeds every MADE), an activation, and an optional bijector between
// layers (e.g. BatchNorm).
//
// On the pure-Go backend the MADE's dense layers use a hand-written gradient (see linear) and a
// branch-free ReLU: GoMLX's stock gradients of a matrix product and of Max were measured to take
// most of a MAF training step there.
package autoregressive
