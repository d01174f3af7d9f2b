// Package nn holds the small neural networks flowkit's conditioners are made of: dense layers,
// multilayer perceptrons and residual MLPs (MLP), and small convolutional networks for images
// (CNN), built on GoMLX graph ops with the variables under the scope they are given.
//
// Coupling, autoregressive and residual flows use these networks to produce a transformer's
// parameters φ from the conditioning half (or the previous dimensions). The last layer of a
// conditioner is usually zero-initialised (MLP.ZeroLast, CNN.ZeroLast) so a fresh flow is the
// identity map, the initialisation RealNVP, Glow and NSF use; OutBias sets the constant the
// network then starts at (a transformer's identity parameters).
//
// The layers are written for speed on GoMLX's pure-Go backend: plain ops with cheap gradients
// (ReLU as x·[x > 0], matmuls through flowkit.MatMulLast), in training and evaluation graphs
// alike (GoMLX's fused dense op measured slower in both; see Dense). Convolutions are image
// patches times the kernel (one matmul), which also avoids the backend's convolution op (see
// CNN).
package nn
