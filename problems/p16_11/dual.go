package p16_11

import "math"

// Dual is a forward-mode automatic-differentiation number V + D eps with eps^2 = 0: carrying
// D = dv/dtheta through every operation yields exact derivatives (up to rounding) of the
// computation as written, with no finite-difference step.
type Dual struct {
	V, D float64
}

// Const returns a constant (D = 0).
func Const(v float64) Dual { return Dual{V: v} }

// Var returns the differentiation variable (D = 1).
func Var(v float64) Dual { return Dual{V: v, D: 1} }

// Add returns x + y.
func (x Dual) Add(y Dual) Dual { return Dual{x.V + y.V, x.D + y.D} }

// Sub returns x - y.
func (x Dual) Sub(y Dual) Dual { return Dual{x.V - y.V, x.D - y.D} }

// Mul returns x y.
func (x Dual) Mul(y Dual) Dual { return Dual{x.V * y.V, x.D*y.V + x.V*y.D} }

// Scale returns c x for a constant c.
func (x Dual) Scale(c float64) Dual { return Dual{c * x.V, c * x.D} }

// Exp returns exp(x).
func (x Dual) Exp() Dual { e := math.Exp(x.V); return Dual{e, e * x.D} }

// Log returns log(x).
func (x Dual) Log() Dual { return Dual{math.Log(x.V), x.D / x.V} }

// Abs returns |x| (derivative sign(x) D; x must not be 0).
func (x Dual) Abs() Dual {
	if x.V < 0 {
		return Dual{-x.V, -x.D}
	}
	return x
}
