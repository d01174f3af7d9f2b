// Package fuzzcheck is flowkit's round-trip fuzz harness: it turns the bytes `go test -fuzz`
// mutates into parameters and inputs of a transformer or a bijector (mixing typical values,
// extreme magnitudes from 1e-300 up to the declared limit, and exact special points such as
// bounds and zero), runs the forward map, the inverse and the forward again through a graph
// compiled once per target, and checks the invariant:
//
//   - outputs and log-determinants are finite;
//   - the inverse is backward stable: f(f⁻¹(y)) = y to a relative tolerance (this holds however
//     ill-conditioned f is);
//   - the round trip f⁻¹(f(x)) = x to a tolerance scaled by the conditioning, |x| + |y|/f'(x);
//   - for maps with a continuous derivative, the inverse's log-determinant is minus the
//     forward's at the matching point;
//   - inputs outside a bounded domain (piecewise-linear on [0, 1]) are reported by the host-side
//     check flowkit.CheckDomain, and the graph still returns finite values inside the codomain.
//
// A failure is returned as an error describing the element, its parameters and the numbers, so
// the fuzz engine keeps the input as a crasher. Use TransformerTarget for a scalar map from
// flowkit/transformer and BijectorTarget for any flowkit.Bijector (its trainable variables are
// set from the fuzz bytes before every run), and Fuzz / FuzzTransformer to wire either into a
// testing.F with a deterministic seed corpus.
package fuzzcheck

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Range describes the values the decoder draws for one kind of input.
type Range struct {
	// Lo and Hi bound every value (inclusive); use ±math.MaxFloat64 (or ±math.MaxFloat32 for
	// float32 targets) for unbounded inputs.
	Lo, Hi float64
	// Typical is the magnitude most values have (values are mostly in ±Typical).
	Typical float64
	// Specials are exact values worth hitting: 0, the bounds, knots.
	Specials []float64
}

// Decoder turns fuzz bytes into float64 values. Each value consumes three bytes: a mode and a
// 16-bit fraction u. Modes: typical values (u spread over ±Typical, half the modes), extreme
// magnitudes (10^e, e uniform from -300 to log10 of the bound, either sign), special points,
// special points nudged by a relative 1e-12, and uniform values over [Lo, Hi]. When the bytes
// run out, a generator seeded by a hash of all the bytes supplies the rest, so short inputs
// still fill every value and every input is deterministic.
type Decoder struct {
	data []byte
	pos  int
	rng  *rand.Rand
}

// NewDecoder returns a decoder reading data.
func NewDecoder(data []byte) *Decoder {
	h := fnv.New64a()
	h.Write(data)
	return &Decoder{data: data, rng: rand.New(rand.NewPCG(h.Sum64(), uint64(len(data))))}
}

// Byte returns the next byte.
func (d *Decoder) Byte() byte {
	if d.pos < len(d.data) {
		b := d.data[d.pos]
		d.pos++
		return b
	}
	return byte(d.rng.Uint32())
}

func (d *Decoder) u16() float64 {
	var b [2]byte
	b[0], b[1] = d.Byte(), d.Byte()
	return float64(binary.BigEndian.Uint16(b[:])) / 65535
}

// Value returns the next value drawn in r.
func (d *Decoder) Value(r Range) float64 {
	mode := d.Byte()
	u := d.u16()
	clamp := func(v float64) float64 { return math.Min(r.Hi, math.Max(r.Lo, v)) }
	special := func() float64 {
		if len(r.Specials) == 0 {
			return clamp(0)
		}
		return clamp(r.Specials[int(u*65535)%len(r.Specials)])
	}
	switch mode % 8 {
	case 0, 1, 2, 3:
		// Typical: centred on the range's midpoint when it is bounded near Typical, else on 0.
		c := 0.0
		if r.Lo > -r.Typical || r.Hi < r.Typical {
			c = 0.5 * (r.Lo + r.Hi)
		}
		return clamp(c + (2*u-1)*r.Typical)
	case 4:
		hi := math.Max(math.Abs(r.Lo), math.Abs(r.Hi))
		top := math.Log10(math.Min(hi, math.MaxFloat64))
		e := -300 + u*(top+300)
		v := math.Pow(10, e)
		if mode&8 != 0 {
			v = -v
		}
		return clamp(v)
	case 5:
		return special()
	case 6:
		s := special()
		return clamp(s + (2*u-1)*1e-12*(1+math.Abs(s)))
	default:
		if math.IsInf(r.Hi-r.Lo, 0) || r.Hi-r.Lo > 1e300 {
			return clamp((2*u - 1) * 1e6 * r.Typical)
		}
		return clamp(r.Lo + u*(r.Hi-r.Lo))
	}
}

// Values returns n values drawn in r.
func (d *Decoder) Values(n int, r Range) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = d.Value(r)
	}
	return out
}

// Seeds returns n deterministic seed inputs of the given length for a target: an all-zero
// input (typical values), inputs steering every value into one mode, and pseudo-random ones.
func Seeds(n, length int) [][]byte {
	var out [][]byte
	r := rand.New(rand.NewPCG(uint64(length), 42))
	for k := 0; k < n; k++ {
		b := make([]byte, length)
		switch {
		case k == 0:
		case k <= 8:
			// Every value in mode k-1.
			for i := 0; i+2 < length; i += 3 {
				b[i] = byte(k - 1)
				b[i+1], b[i+2] = byte(r.Uint32()), byte(r.Uint32())
			}
		default:
			for i := range b {
				b[i] = byte(r.Uint32())
			}
		}
		out = append(out, b)
	}
	return out
}
