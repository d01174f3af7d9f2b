package flowkit

import "math"

// BitsPerDim converts a negative log-likelihood in nats per example, measured on data scaled to
// [0, 1] with uniform dequantization, into bits per dimension of the original 8-bit data:
//
//	bpd = (NLL + D ln 256) / (D ln 2)
//
// where D is the number of dimensions of one example (H*W*C for images). The D ln 256 term is
// the log-Jacobian of scaling [0, 256) to [0, 1). This is the one place flowkit computes bits/dim.
func BitsPerDim(nllNats float64, dims int) float64 {
	d := float64(dims)
	return (nllNats + d*math.Log(256)) / (d * math.Ln2)
}

// NatsFromBitsPerDim is the inverse of BitsPerDim.
func NatsFromBitsPerDim(bpd float64, dims int) float64 {
	d := float64(dims)
	return bpd*d*math.Ln2 - d*math.Log(256)
}
