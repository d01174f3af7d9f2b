package p16_10

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowkit/flowkit/problems/internal/numcheck"
	"gonum.org/v1/gonum/mat"
)

func equalPattern(a, b [][]bool) bool {
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return len(a) == len(b)
}

// TestProblem16_10 checks the derived zero patterns on random instances: for each case, 5
// random networks x 4 random inputs, the central-FD Jacobian (step 1e-6) of the forward map
// has exactly-zero entries precisely where the derived pattern says zero, and every other
// entry exceeds 1e-6 in magnitude (generic non-zero). For the eq. 16.18 flow it also checks
// the FD Jacobian against the block formula [[I, J_1], [J_2, I + J_2 J_1]] (absolute 1e-7),
// det = 1 (1e-12 for the block formula), and the round trip through eq. 16.19.
// Cases: eq. 16.18 with fully connected f in D = 5 (split 2 + 3) and elementwise f in D = 6
// (3 + 3; elementwise f needs equal halves), and h' = h + f(h) in D = 5 for both kinds.
func TestProblem16_10(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 10))
	type tc struct {
		name    string
		d       int
		pattern [][]bool
		make    func(seed uint64) (fwd func([]float64) []float64, rv *RevNet)
	}
	cases := []tc{
		{"eq16.18/fully-connected/D=5", 5, RevNetPattern(2, 3, FullyConnected), func(s uint64) (func([]float64) []float64, *RevNet) {
			rv := NewRevNet(2, 3, FullyConnected, s)
			return rv.Forward, &rv
		}},
		{"eq16.18/elementwise/D=6", 6, RevNetPattern(3, 3, Elementwise), func(s uint64) (func([]float64) []float64, *RevNet) {
			rv := NewRevNet(3, 3, Elementwise, s)
			return rv.Forward, &rv
		}},
		{"residual/fully-connected/D=5", 5, ResidualPattern(5, FullyConnected), func(s uint64) (func([]float64) []float64, *RevNet) {
			return NewResidual(5, FullyConnected, s).Forward, nil
		}},
		{"residual/elementwise/D=5", 5, ResidualPattern(5, Elementwise), func(s uint64) (func([]float64) []float64, *RevNet) {
			return NewResidual(5, Elementwise, s).Forward, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			minNonZero := math.Inf(1)
			for inst := uint64(0); inst < 5; inst++ {
				fwd, rv := c.make(100 + inst)
				for p := 0; p < 4; p++ {
					h := make([]float64, c.d)
					for i := range h {
						h[i] = r.NormFloat64()
					}
					jfd := numcheck.JacobianFD(fwd, h, 1e-6)
					if got := NumericalPattern(jfd); !equalPattern(got, c.pattern) {
						t.Fatalf("zero pattern mismatch\nnumerical:\n%s\nderived:\n%s", PatternString(got, 0), PatternString(c.pattern, 0))
					}
					for i := range jfd {
						for j := range jfd[i] {
							if c.pattern[i][j] {
								minNonZero = math.Min(minNonZero, math.Abs(jfd[i][j]))
							}
						}
					}
					if rv == nil {
						continue
					}
					ja := rv.Jacobian(h)
					rows := make([][]float64, c.d)
					for i := range rows {
						rows[i] = mat.Row(nil, i, ja)
					}
					if dev := numcheck.MaxAbsDiff(rows, jfd); dev > 1e-7 {
						t.Errorf("block formula vs FD: %.3e", dev)
					}
					if det := mat.Det(ja); math.Abs(det-1) > 1e-12 {
						t.Errorf("det of block Jacobian = %.15g, want 1", det)
					}
					if det := mat.Det(toDense(jfd)); math.Abs(det-1) > 1e-7 {
						t.Errorf("det of FD Jacobian = %.12g, want 1", det)
					}
					back := rv.Inverse(rv.Forward(h))
					for i := range h {
						if math.Abs(back[i]-h[i]) > 1e-12 {
							t.Errorf("eq. 16.19 round trip: %v -> %v", h, back)
							break
						}
					}
				}
			}
			if minNonZero < 1e-6 {
				t.Errorf("a structurally non-zero entry was only %.2e", minNonZero)
			}
			t.Logf("pattern confirmed on 20 random points; smallest non-zero |entry| %.2e\n%s", minNonZero, PatternString(c.pattern, splitOf(c.name)))
		})
	}
}

func splitOf(name string) int {
	switch name {
	case "eq16.18/fully-connected/D=5":
		return 2
	case "eq16.18/elementwise/D=6":
		return 3
	}
	return 0
}

func toDense(a [][]float64) *mat.Dense {
	m := mat.NewDense(len(a), len(a[0]), nil)
	for i := range a {
		m.SetRow(i, a[i])
	}
	return m
}
