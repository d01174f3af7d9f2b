package target

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Energy is one of the four 2D energy functions of Rezende & Mohamed (2015, table 1), as the
// unnormalised density q̃(z) = exp(-U(z)):
//
//	U1(z) = ½((‖z‖ - 2)/0.4)² - ln(e^{-½((z₁-2)/0.6)²} + e^{-½((z₁+2)/0.6)²})
//	U2(z) = ½((z₂ - w₁(z))/0.4)²
//	U3(z) = -ln(e^{-½((z₂-w₁(z))/0.35)²} + e^{-½((z₂-w₁(z)+w₂(z))/0.35)²})
//	U4(z) = -ln(e^{-½((z₂-w₁(z))/0.4)²} + e^{-½((z₂-w₁(z)+w₃(z))/0.35)²})
//
// with w₁(z) = sin(2πz₁/4), w₂(z) = 3e^{-½((z₁-1)/0.6)²}, w₃(z) = 3σ((z₁-1)/0.3).
//
// U2-U4 do not grow along z₁, so exp(-U) has no finite integral: like other libraries (normflows
// adds a quartic envelope for the same reason) we add the envelope ½(z₁/4)⁶ to U2-U4. It is below
// 0.09 nats on the paper's plotting window |z₁| ≤ 3 and confines the mass to |z₁| ≲ 6, so Z is
// finite and LogZGrid can compute it. U1 needs no envelope.
type Energy struct {
	// K is 1, 2, 3 or 4.
	K int
}

// U1 returns the ring-shaped energy U1 (two modes on a ring of radius 2).
func U1() *Energy { return &Energy{K: 1} }

// U2 returns the sine-wave energy U2 (with the envelope described on Energy).
func U2() *Energy { return &Energy{K: 2} }

// U3 returns the split sine-wave energy U3 (with the envelope described on Energy).
func U3() *Energy { return &Energy{K: 3} }

// U4 returns the sine wave with a gap, U4 (with the envelope described on Energy).
func U4() *Energy { return &Energy{K: 4} }

// Energies returns U1-U4.
func Energies() []*Energy { return []*Energy{U1(), U2(), U3(), U4()} }

// Name implements flowkit.Named.
func (e *Energy) Name() string { return fmt.Sprintf("U%d", e.K) }

// Dims implements Density: 2.
func (e *Energy) Dims() int { return 2 }

// Box implements Boxed: [-4, 4]² for U1; [-7, 7] × [-6, 5] for U2-U4 (beyond |z₁| = 7 the
// envelope is above 14 nats).
func (e *Energy) Box() Box {
	if e.K == 1 {
		return Box{-4, 4, -4, 4}
	}
	return Box{-7, 7, -6, 5}
}

// PlotBox is the window of Rezende & Mohamed's figure 3, [-4, 4]².
func (e *Energy) PlotBox() Box { return Box{-4, 4, -4, 4} }

// Envelope is the term added to U2-U4: ½(z₁/4)⁶.
func Envelope(z1 *Node) *Node {
	return MulScalar(Pow(DivScalar(z1, 4), Scalar(z1.Graph(), z1.DType(), 6)), 0.5)
}

// gauss returns -½(v/s)².
func gauss(v *Node, s float64) *Node { return MulScalar(Square(DivScalar(v, s)), -0.5) }

// columns returns the two coordinates of x [batch, 2] as [batch] nodes.
func columns(x *Node) (*Node, *Node) {
	n := x.Shape().Dimensions[0]
	return Reshape(Slice(x, AxisRange(), AxisElem(0)), n), Reshape(Slice(x, AxisRange(), AxisElem(1)), n)
}

// LogDensity implements Density: -U(z) (minus the envelope for U2-U4).
func (e *Energy) LogDensity(_ *model.Scope, x *Node) *Node {
	checkInput(e, x)
	z1, z2 := columns(x)
	w1 := Sin(MulScalar(z1, 2*math.Pi/4))
	var lq *Node
	switch e.K {
	case 1:
		sq := Add(Square(z1), Square(z2))
		pos := GreaterThan(sq, ZerosLike(sq))
		r := Where(pos, Sqrt(Where(pos, sq, OnesLike(sq))), ZerosLike(sq))
		return Add(gauss(AddScalar(r, -2), 0.4), LogAddExp(gauss(AddScalar(z1, -2), 0.6), gauss(AddScalar(z1, 2), 0.6)))
	case 2:
		lq = gauss(Sub(z2, w1), 0.4)
	case 3:
		w2 := MulScalar(Exp(gauss(AddScalar(z1, -1), 0.6)), 3)
		lq = LogAddExp(gauss(Sub(z2, w1), 0.35), gauss(Add(Sub(z2, w1), w2), 0.35))
	case 4:
		w3 := MulScalar(Logistic(DivScalar(AddScalar(z1, -1), 0.3)), 3)
		lq = LogAddExp(gauss(Sub(z2, w1), 0.4), gauss(Add(Sub(z2, w1), w3), 0.35))
	default:
		panic(fmt.Errorf("target.Energy: K = %d, want 1, 2, 3 or 4", e.K))
	}
	return Sub(lq, Envelope(z1))
}
