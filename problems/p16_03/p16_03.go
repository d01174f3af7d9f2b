// Package p16_03 solves problem 16.3 of Prince, Understanding Deep Learning: the Jacobian of
// the inverse (normalizing) mapping z = f^{-1}(x) of a composed flow (eq. 16.5) and its
// absolute determinant, in the style of eqs. 16.6-16.7.
//
// With h_0 = z, h_k = f_k(h_{k-1}) and h_K = x, the inverse is
// z = f_1^{-1}(f_2^{-1}(... f_K^{-1}(x))), and by the chain rule
//
//	dz/dx = (d f_1^{-1}/d h_1) (d f_2^{-1}/d h_2) ... (d f_K^{-1}/d h_K),
//	|dz/dx| = prod_k |d f_k^{-1}/d h_k| = prod_k |d f_k/d h_{k-1}|^{-1} = |df/dz|^{-1}.
//
// The factor of the layer applied last in the normalizing direction (f_1^{-1}) stands on
// the left. This package implements a concrete three-layer flow in R^3 whose layers provide
// their inverse Jacobians in closed form, so the chain-rule product can be checked against
// finite differences of the composed inverse and against the inverse of the forward Jacobian.
package p16_03

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Layer is one invertible map h' = f_k(h) of R^D with closed-form Jacobians in both directions.
type Layer interface {
	// Forward returns f_k(h).
	Forward(h []float64) []float64
	// Inverse returns f_k^{-1}(y).
	Inverse(y []float64) []float64
	// ForwardJacobian returns d f_k / d h at h.
	ForwardJacobian(h []float64) *mat.Dense
	// InverseJacobian returns d f_k^{-1} / d y at y, derived from the closed-form inverse
	// (not by inverting ForwardJacobian).
	InverseJacobian(y []float64) *mat.Dense
}

// Affine is the linear flow f(h) = A h + c (section 16.3.1); A must be invertible.
type Affine struct {
	A *mat.Dense
	C []float64
}

// Forward implements Layer.
func (l Affine) Forward(h []float64) []float64 {
	var out mat.VecDense
	out.MulVec(l.A, mat.NewVecDense(len(h), append([]float64(nil), h...)))
	y := out.RawVector().Data
	for i := range y {
		y[i] += l.C[i]
	}
	return y
}

// Inverse implements Layer: h = A^{-1} (y - c), by an LU solve.
func (l Affine) Inverse(y []float64) []float64 {
	r := make([]float64, len(y))
	for i := range y {
		r[i] = y[i] - l.C[i]
	}
	var h mat.VecDense
	if err := h.SolveVec(l.A, mat.NewVecDense(len(r), r)); err != nil {
		panic(err)
	}
	return h.RawVector().Data
}

// ForwardJacobian implements Layer: the Jacobian is A.
func (l Affine) ForwardJacobian([]float64) *mat.Dense { return mat.DenseCopyOf(l.A) }

// InverseJacobian implements Layer: the Jacobian of h = A^{-1}(y - c) is A^{-1}.
func (l Affine) InverseJacobian([]float64) *mat.Dense {
	var inv mat.Dense
	if err := inv.Inverse(l.A); err != nil {
		panic(err)
	}
	return &inv
}

// Sinh is the elementwise flow f(h)_d = sinh(h_d) (section 16.3.2), inverse asinh.
type Sinh struct{}

// Forward implements Layer.
func (Sinh) Forward(h []float64) []float64 {
	y := make([]float64, len(h))
	for i, v := range h {
		y[i] = math.Sinh(v)
	}
	return y
}

// Inverse implements Layer.
func (Sinh) Inverse(y []float64) []float64 {
	h := make([]float64, len(y))
	for i, v := range y {
		h[i] = math.Asinh(v)
	}
	return h
}

// ForwardJacobian implements Layer: diag(cosh h_d).
func (Sinh) ForwardJacobian(h []float64) *mat.Dense {
	j := mat.NewDense(len(h), len(h), nil)
	for i, v := range h {
		j.Set(i, i, math.Cosh(v))
	}
	return j
}

// InverseJacobian implements Layer: d asinh(y)/dy = 1 / sqrt(1 + y^2).
func (Sinh) InverseJacobian(y []float64) *mat.Dense {
	j := mat.NewDense(len(y), len(y), nil)
	for i, v := range y {
		j.Set(i, i, 1/math.Sqrt(1+v*v))
	}
	return j
}

// Autoregressive is a three-dimensional affine autoregressive flow (section 16.3.4):
//
//	y_1 = h_1,
//	y_2 = h_2 exp(s_1(h_1)) + t_1(h_1),
//	y_3 = h_3 exp(s_2(h_1, h_2)) + t_2(h_1, h_2),
//
// with the fixed conditioners s_1 = 0.5 tanh(h_1), t_1 = sin(h_1),
// s_2 = 0.3 tanh(h_1 - h_2), t_2 = 0.5 h_1 h_2.
type Autoregressive struct{}

func arS1(a float64) (v, d float64) { th := math.Tanh(a); return 0.5 * th, 0.5 * (1 - th*th) }
func arT1(a float64) (v, d float64) { return math.Sin(a), math.Cos(a) }

// arS2 returns s_2 and its partial derivatives.
func arS2(a, b float64) (v, da, db float64) {
	th := math.Tanh(a - b)
	g := 0.3 * (1 - th*th)
	return 0.3 * th, g, -g
}

// arT2 returns t_2 and its partial derivatives.
func arT2(a, b float64) (v, da, db float64) { return 0.5 * a * b, 0.5 * b, 0.5 * a }

// Forward implements Layer.
func (Autoregressive) Forward(h []float64) []float64 {
	s1, _ := arS1(h[0])
	t1, _ := arT1(h[0])
	s2, _, _ := arS2(h[0], h[1])
	t2, _, _ := arT2(h[0], h[1])
	return []float64{h[0], h[1]*math.Exp(s1) + t1, h[2]*math.Exp(s2) + t2}
}

// Inverse implements Layer; it is sequential, as eq. 16.17 describes.
func (Autoregressive) Inverse(y []float64) []float64 {
	h1 := y[0]
	s1, _ := arS1(h1)
	t1, _ := arT1(h1)
	h2 := (y[1] - t1) * math.Exp(-s1)
	s2, _, _ := arS2(h1, h2)
	t2, _, _ := arT2(h1, h2)
	h3 := (y[2] - t2) * math.Exp(-s2)
	return []float64{h1, h2, h3}
}

// ForwardJacobian implements Layer: a lower-triangular matrix.
func (Autoregressive) ForwardJacobian(h []float64) *mat.Dense {
	s1, ds1 := arS1(h[0])
	_, dt1 := arT1(h[0])
	s2, ds2a, ds2b := arS2(h[0], h[1])
	_, dt2a, dt2b := arT2(h[0], h[1])
	e1, e2 := math.Exp(s1), math.Exp(s2)
	return mat.NewDense(3, 3, []float64{
		1, 0, 0,
		h[1]*e1*ds1 + dt1, e1, 0,
		h[2]*e2*ds2a + dt2a, h[2]*e2*ds2b + dt2b, e2,
	})
}

// InverseJacobian implements Layer, differentiating the sequential inverse
// h_2 = (y_2 - t_1(h_1)) e^{-s_1(h_1)}, h_3 = (y_3 - t_2(h_1, h_2)) e^{-s_2(h_1, h_2)}
// with h_1 = y_1:
//
//	dh_2/dy_1 = -e^{-s_1} t_1' - h_2 s_1',   dh_2/dy_2 = e^{-s_1},
//	dh_3/dh_j|_{y_3} = -e^{-s_2} d_j t_2 - h_3 d_j s_2   (j = 1, 2),
//	dh_3/dy_1 = dh_3/dh_1 + dh_3/dh_2 dh_2/dy_1,   dh_3/dy_2 = dh_3/dh_2 dh_2/dy_2,
//	dh_3/dy_3 = e^{-s_2}.
func (l Autoregressive) InverseJacobian(y []float64) *mat.Dense {
	h := l.Inverse(y)
	s1, ds1 := arS1(h[0])
	_, dt1 := arT1(h[0])
	s2, ds2a, ds2b := arS2(h[0], h[1])
	_, dt2a, dt2b := arT2(h[0], h[1])
	m1, m2 := math.Exp(-s1), math.Exp(-s2)
	dh2dy1 := -m1*dt1 - h[1]*ds1
	dh2dy2 := m1
	dh3dh1 := -m2*dt2a - h[2]*ds2a
	dh3dh2 := -m2*dt2b - h[2]*ds2b
	return mat.NewDense(3, 3, []float64{
		1, 0, 0,
		dh2dy1, dh2dy2, 0,
		dh3dh1 + dh3dh2*dh2dy1, dh3dh2 * dh2dy2, m2,
	})
}

// Flow is the composition x = f_K(... f_2(f_1(z))) of its layers (eq. 16.4);
// Layers[0] is f_1, applied first in the generative direction.
type Flow struct {
	Layers []Layer
}

// ExampleFlow returns the three-layer flow in R^3 used by the test: f_1 affine
// (a fixed well-conditioned matrix), f_2 elementwise sinh, f_3 affine autoregressive.
func ExampleFlow() Flow {
	a := mat.NewDense(3, 3, []float64{
		1.2, -0.4, 0.3,
		0.5, 0.9, -0.2,
		-0.3, 0.6, 1.1,
	})
	return Flow{Layers: []Layer{Affine{A: a, C: []float64{0.1, -0.2, 0.3}}, Sinh{}, Autoregressive{}}}
}

// Forward returns x = f(z) (eq. 16.4).
func (f Flow) Forward(z []float64) []float64 {
	h := z
	for _, l := range f.Layers {
		h = l.Forward(h)
	}
	return h
}

// Inverse returns z = f^{-1}(x) (eq. 16.5), applying the layer inverses in reverse order.
func (f Flow) Inverse(x []float64) []float64 {
	h := x
	for k := len(f.Layers) - 1; k >= 0; k-- {
		h = f.Layers[k].Inverse(h)
	}
	return h
}

// ForwardJacobian returns df/dz at z as the product of eq. 16.6,
// (d f_K/d h_{K-1}) ... (d f_1/d z).
func (f Flow) ForwardJacobian(z []float64) *mat.Dense {
	d := len(z)
	j := identity(d)
	h := z
	for _, l := range f.Layers {
		var next mat.Dense
		next.Mul(l.ForwardJacobian(h), j)
		j = &next
		h = l.Forward(h)
	}
	return j
}

// InverseJacobian returns dz/dx at x by the chain rule applied to eq. 16.5 (the solution of
// problem 16.3): (d f_1^{-1}/d h_1)(d f_2^{-1}/d h_2) ... (d f_K^{-1}/d x), where
// h_k = f_k^{-1}(... f_K^{-1}(x)) are the intermediate values of the normalizing pass.
func (f Flow) InverseJacobian(x []float64) *mat.Dense {
	d := len(x)
	j := identity(d)
	h := x
	for k := len(f.Layers) - 1; k >= 0; k-- {
		var next mat.Dense
		// The layer inverted next is applied after the previous ones, so its Jacobian
		// multiplies from the left.
		next.Mul(f.Layers[k].InverseJacobian(h), j)
		j = &next
		h = f.Layers[k].Inverse(h)
	}
	return j
}

// InverseAbsDet returns |dz/dx| at x as the product over layers of
// |d f_k^{-1}/d h_k| (the determinant form of the solution, like eq. 16.7).
func (f Flow) InverseAbsDet(x []float64) float64 {
	p := 1.0
	h := x
	for k := len(f.Layers) - 1; k >= 0; k-- {
		p *= math.Abs(mat.Det(f.Layers[k].InverseJacobian(h)))
		h = f.Layers[k].Inverse(h)
	}
	return p
}

// WrongOrderInverseJacobian multiplies the same per-layer inverse Jacobians in the
// opposite (incorrect) order, (d f_K^{-1}/d x) ... (d f_1^{-1}/d h_1). It exists so the
// test can show the order in the solution matters.
func (f Flow) WrongOrderInverseJacobian(x []float64) *mat.Dense {
	d := len(x)
	j := identity(d)
	h := x
	for k := len(f.Layers) - 1; k >= 0; k-- {
		var next mat.Dense
		next.Mul(j, f.Layers[k].InverseJacobian(h))
		j = &next
		h = f.Layers[k].Inverse(h)
	}
	return j
}

func identity(d int) *mat.Dense {
	j := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		j.Set(i, i, 1)
	}
	return j
}
