// Package target holds densities known only up to a constant, the targets of reverse-KL
// training (section 16.5.3, eq. 16.25, figure 16.14): each is a GoMLX function returning an
// unnormalised log-density log q̃(x) = log q(x) + log Z for a batch x [batch, D].
//
// It has the four 2D energy functions of Rezende & Mohamed (2015), q̃ = exp(-U_k) (U1-U4), a
// banana, Neal's funnel, isotropic Gaussian mixtures (a bimodal target shows reverse KL's mode
// seeking), any user-supplied function (FromFunc), a constant rescaling of any of them (Scaled,
// problem 16.11) and any trained flow used as a teacher (FromModel, the MAF teacher of Parallel
// WaveNet, section 16.3.5).
//
// On the host side, Eval evaluates a target on rows of points and LogZGrid integrates a 2D
// target numerically on a grid (midpoint rule) to give the log Z that a reverse-KL fit's
// importance-sampling estimate can be compared with.
package target
