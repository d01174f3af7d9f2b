// Package planar holds the residual flows of the first normalizing-flow papers: planar and
// radial flows (Rezende & Mohamed 2015) and Sylvester flows (van den Berg et al. 2018, the
// orthogonal Householder variant). Each is x = z + (a small residual), with a log-determinant
// that is cheap because the residual's Jacobian has low rank (the matrix determinant lemma,
// det(I_D + U Vᵀ) = det(I_k + Vᵀ U), seed 000).
//
// Their generative direction (Forward, z → x) is closed form and cheap, which is what reverse-KL
// training needs (section 16.5.3, figure 16.14): sample z, run Forward, score the target. The
// normalizing direction (Inverse) has no closed form for planar and Sylvester flows; this
// package computes it numerically inside the graph, with a fixed number of safeguarded Newton
// iterations on a one-dimensional monotone equation (see DefaultIterations for the tolerance).
// Radial flows have a closed-form inverse (a quadratic in the radius).
//
// Invertibility is enforced by the parameterizations, never by hoping:
//
//   - Planar: û = u + (m(wᵀu) - wᵀu) w/‖w‖², m(a) = -1 + softplus(a), so wᵀû > -1;
//   - Radial: α = softplus(α̃) > 0, β = -α + softplus(β̃) > -α;
//   - Sylvester: diag(R) = tanh(·), diag(R̃) = tanh(·), so R_ii R̃_ii > -1.
//
// LogDetLowRank and LogAbsDet are the general matrix-determinant-lemma path, O(k³) in graph
// operations for a rank-k update of the identity.
package planar
