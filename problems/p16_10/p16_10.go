// Package p16_10 solves problem 16.10 of Prince, Understanding Deep Learning: the structure
// (which entries are zero) of the Jacobian of the forward mapping of the residual flow of
// eq. 16.18 / figure 16.8,
//
//	h'_1 = h_1 + f_1[h_2, phi_1],   h'_2 = h_2 + f_2[h'_1, phi_2],
//
// when f_1, f_2 are (i) fully connected networks and (ii) elementwise flows. By the chain rule,
// with J_1 = df_1/dh_2 (at h_2) and J_2 = df_2/dh'_1 (at h'_1),
//
//	dh'/dh = [[ I,   J_1           ],
//	          [ J_2, I + J_2 J_1   ]],
//
// so (i) everything is generically non-zero except the off-diagonal entries of the top-left
// identity block, and (ii) all four blocks are diagonal. In both cases det(dh'/dh) = 1 (the
// layer is a product of two unit-triangular shears).
//
// The package also covers the single-block residual layer h' = h + f[h] of section 16.3.7
// (iResNet), whose Jacobian I + df/dh is (i) dense and (ii) diagonal.
package p16_10

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Kind is the type of the residual functions f_1, f_2.
type Kind int

const (
	// FullyConnected is a one-hidden-layer tanh network with dense weight matrices.
	FullyConnected Kind = iota
	// Elementwise is an elementwise map u_i -> a_i tanh(c_i u_i + e_i) + g_i (same input and
	// output size), i.e. an elementwise flow in the sense of eq. 16.10 with per-dimension
	// parameters.
	Elementwise
)

// String implements fmt.Stringer.
func (k Kind) String() string {
	switch k {
	case FullyConnected:
		return "fully connected"
	case Elementwise:
		return "elementwise"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// RevNetPattern returns the structural non-zero pattern of dh'/dh for the residual flow of
// eq. 16.18 with h_1 of size d1 and h_2 of size d2: true where an entry is non-zero for
// generic parameters and inputs, false where it is zero for all of them. For Elementwise,
// d1 must equal d2.
func RevNetPattern(d1, d2 int, kind Kind) [][]bool {
	if kind == Elementwise && d1 != d2 {
		panic("p16_10: an elementwise f needs equal halves (d1 == d2)")
	}
	d := d1 + d2
	p := newPattern(d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			switch {
			case i < d1 && j < d1: // dh'_1/dh_1 = I
				p[i][j] = i == j
			case kind == FullyConnected: // J_1, J_2, I + J_2 J_1 dense
				p[i][j] = true
			case i < d1: // J_1 diagonal
				p[i][j] = j-d1 == i
			case j < d1: // J_2 diagonal
				p[i][j] = i-d1 == j
			default: // I + J_2 J_1 diagonal
				p[i][j] = i == j
			}
		}
	}
	return p
}

// ResidualPattern returns the structural non-zero pattern of dh'/dh = I + df/dh for the
// residual layer h' = h + f[h] of dimension d: all true (FullyConnected) or the diagonal
// (Elementwise).
func ResidualPattern(d int, kind Kind) [][]bool {
	p := newPattern(d)
	for i := range p {
		for j := range p[i] {
			p[i][j] = kind == FullyConnected || i == j
		}
	}
	return p
}

func newPattern(d int) [][]bool {
	p := make([][]bool, d)
	for i := range p {
		p[i] = make([]bool, d)
	}
	return p
}

// NumericalPattern returns jac[i][j] != 0 for every entry. With finite differences, an
// output that does not depend on an input gives exactly 0 (the two evaluations are
// bit-identical), so exact comparison is the right test for structural zeros.
func NumericalPattern(jac [][]float64) [][]bool {
	p := make([][]bool, len(jac))
	for i := range jac {
		p[i] = make([]bool, len(jac[i]))
		for j, v := range jac[i] {
			p[i][j] = v != 0
		}
	}
	return p
}

// PatternMatrix converts a pattern to a 0/1 matrix (1 = non-zero), for plotting as an image.
func PatternMatrix(p [][]bool) [][]float64 {
	m := make([][]float64, len(p))
	for i := range p {
		m[i] = make([]float64, len(p[i]))
		for j, v := range p[i] {
			if v {
				m[i][j] = 1
			}
		}
	}
	return m
}

// PatternString renders a pattern as rows of "x" (non-zero) and "." (zero), with a "|" and a
// line of "-" after the first split columns and rows (split = 0 draws no separators).
func PatternString(p [][]bool, split int) string {
	var sb strings.Builder
	for i, row := range p {
		if split > 0 && i == split {
			sb.WriteString(strings.Repeat("-", 2*len(row)+1) + "\n")
		}
		for j, v := range row {
			if split > 0 && j == split {
				sb.WriteString("| ")
			}
			if v {
				sb.WriteString("x ")
			} else {
				sb.WriteString(". ")
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// Net is a map R^in -> R^out of the given Kind with fixed random parameters.
type Net struct {
	Kind Kind
	// Fully connected: out = W2 tanh(W1 u + B1) + B2.
	W1, W2 *mat.Dense
	B1, B2 []float64
	// Elementwise: out_i = A_i tanh(C_i u_i + E_i) + G_i.
	A, C, E, G []float64
}

// NewNet returns a random Net from in to out dimensions (hidden width 8 for
// FullyConnected; Elementwise requires in == out), drawing its parameters from r.
func NewNet(in, out int, kind Kind, r *rand.Rand) Net {
	n := Net{Kind: kind}
	switch kind {
	case FullyConnected:
		const hidden = 8
		n.W1 = randDense(hidden, in, r)
		n.W2 = randDense(out, hidden, r)
		n.B1 = randVec(hidden, r)
		n.B2 = randVec(out, r)
	case Elementwise:
		if in != out {
			panic("p16_10: an elementwise net needs in == out")
		}
		// Amplitudes and slopes bounded away from 0, offsets moderate, so the elementwise
		// derivatives are generically O(1) rather than accidentally tiny.
		n.A, n.C, n.E, n.G = awayFromZero(in, r), awayFromZero(in, r), randVec(in, r), randVec(in, r)
		for i := range n.E {
			n.E[i] *= 0.5
		}
	}
	return n
}

func randDense(r, c int, src *rand.Rand) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, src.NormFloat64()/math.Sqrt(float64(c)))
		}
	}
	return m
}

// awayFromZero returns n values +-(0.5 + 0.5|N(0,1)|) with random signs.
func awayFromZero(n int, src *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 0.5 + 0.5*math.Abs(src.NormFloat64())
		if src.IntN(2) == 0 {
			v[i] = -v[i]
		}
	}
	return v
}

func randVec(n int, src *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = src.NormFloat64()
	}
	return v
}

// Apply evaluates the net at u.
func (n Net) Apply(u []float64) []float64 {
	switch n.Kind {
	case FullyConnected:
		var h mat.VecDense
		h.MulVec(n.W1, mat.NewVecDense(len(u), append([]float64(nil), u...)))
		for i := 0; i < h.Len(); i++ {
			h.SetVec(i, math.Tanh(h.AtVec(i)+n.B1[i]))
		}
		var o mat.VecDense
		o.MulVec(n.W2, &h)
		out := make([]float64, o.Len())
		for i := range out {
			out[i] = o.AtVec(i) + n.B2[i]
		}
		return out
	default:
		out := make([]float64, len(u))
		for i, v := range u {
			out[i] = n.A[i]*math.Tanh(n.C[i]*v+n.E[i]) + n.G[i]
		}
		return out
	}
}

// Jacobian returns d Apply / du at u, analytically.
func (n Net) Jacobian(u []float64) *mat.Dense {
	switch n.Kind {
	case FullyConnected:
		var pre mat.VecDense
		pre.MulVec(n.W1, mat.NewVecDense(len(u), append([]float64(nil), u...)))
		hidden, _ := n.W1.Dims()
		d := make([]float64, hidden)
		for i := range d {
			th := math.Tanh(pre.AtVec(i) + n.B1[i])
			d[i] = 1 - th*th
		}
		var tmp, j mat.Dense
		tmp.Mul(n.W2, mat.NewDiagDense(hidden, d))
		j.Mul(&tmp, n.W1)
		return &j
	default:
		d := make([]float64, len(u))
		for i, v := range u {
			th := math.Tanh(n.C[i]*v + n.E[i])
			d[i] = n.A[i] * n.C[i] * (1 - th*th)
		}
		return mat.DenseCopyOf(mat.NewDiagDense(len(u), d))
	}
}

// RevNet is the residual flow of eq. 16.18 on h = [h_1; h_2] with |h_1| = D1, |h_2| = D2,
// F1: R^D2 -> R^D1 and F2: R^D1 -> R^D2.
type RevNet struct {
	D1, D2 int
	F1, F2 Net
}

// NewRevNet returns a random RevNet whose residual functions are of the given kind.
func NewRevNet(d1, d2 int, kind Kind, seed uint64) RevNet {
	r := rand.New(rand.NewPCG(seed, 1610))
	return RevNet{D1: d1, D2: d2, F1: NewNet(d2, d1, kind, r), F2: NewNet(d1, d2, kind, r)}
}

// Forward is eq. 16.18.
func (rv RevNet) Forward(h []float64) []float64 {
	h1, h2 := h[:rv.D1], h[rv.D1:]
	f1 := rv.F1.Apply(h2)
	out := make([]float64, rv.D1+rv.D2)
	for i := range h1 {
		out[i] = h1[i] + f1[i]
	}
	f2 := rv.F2.Apply(out[:rv.D1])
	for i := range h2 {
		out[rv.D1+i] = h2[i] + f2[i]
	}
	return out
}

// Inverse is eq. 16.19.
func (rv RevNet) Inverse(hp []float64) []float64 {
	hp1, hp2 := hp[:rv.D1], hp[rv.D1:]
	f2 := rv.F2.Apply(hp1)
	out := make([]float64, rv.D1+rv.D2)
	for i := range hp2 {
		out[rv.D1+i] = hp2[i] - f2[i]
	}
	f1 := rv.F1.Apply(out[rv.D1:])
	for i := range hp1 {
		out[i] = hp1[i] - f1[i]
	}
	return out
}

// Jacobian returns the block Jacobian [[I, J_1], [J_2, I + J_2 J_1]] of Forward at h.
func (rv RevNet) Jacobian(h []float64) *mat.Dense {
	d1, d := rv.D1, rv.D1+rv.D2
	j1 := rv.F1.Jacobian(h[d1:])
	hp := rv.Forward(h)
	j2 := rv.F2.Jacobian(hp[:d1])
	var j21 mat.Dense
	j21.Mul(j2, j1)
	j := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for k := 0; k < d; k++ {
			var v float64
			switch {
			case i < d1 && k < d1:
				if i == k {
					v = 1
				}
			case i < d1:
				v = j1.At(i, k-d1)
			case k < d1:
				v = j2.At(i-d1, k)
			default:
				v = j21.At(i-d1, k-d1)
				if i == k {
					v++
				}
			}
			j.Set(i, k, v)
		}
	}
	return j
}

// Residual is the single-block residual layer h' = h + F(h) of section 16.3.7 (without the
// contraction constraint, which is irrelevant to the Jacobian's zero pattern).
type Residual struct {
	F Net
}

// NewResidual returns a random Residual layer of dimension d with F of the given kind.
func NewResidual(d int, kind Kind, seed uint64) Residual {
	r := rand.New(rand.NewPCG(seed, 1611))
	return Residual{F: NewNet(d, d, kind, r)}
}

// Forward returns h + F(h).
func (rs Residual) Forward(h []float64) []float64 {
	f := rs.F.Apply(h)
	out := make([]float64, len(h))
	for i := range h {
		out[i] = h[i] + f[i]
	}
	return out
}
