// Package linear holds linear flows (section 16.3.1 of Understanding Deep Learning) and the
// normalization flows built from per-channel affine maps.
//
// A linear flow is x = f(z) = Ωz + β. It is invertible when Ω is, its Jacobian is Ω everywhere,
// so log|det ∂f/∂z| = log|det Ω| does not depend on z. On its own a linear flow maps a Gaussian
// to a Gaussian (mean Ωμ + β, covariance ΩΣΩᵀ: problems 16.5-16.6); its use is to mix
// dimensions between elementwise and coupling layers. The package offers the parameterisations
// of Ω that trade generality against cost (D dimensions, n examples):
//
//   - Dense: Ω free. log|det| by an in-graph LU factorisation with partial pivoting, O(D³) per
//     call; inverse by that factorisation and two triangular solves, O(D³ + n·D²).
//   - LU: Ω = P L (U + D) (eq. 16.9, seed 002). log|det| = Σ log|d_i|, O(D); inverse by two
//     triangular solves, O(n·D²); forward O(n·D²). Initialised at a random rotation.
//   - Orthogonal: Ω = H_1⋯H_K, a product of Householder reflections. log|det| = 0; both
//     directions O(n·D·K).
//   - QR: Ω = Q (R + diag(s)), Q from Householder reflections (Hoogeboom et al. 2019).
//     log|det| = Σ log s_i; inverse by one triangular solve.
//   - Conv1x1: Glow's invertible 1×1 convolution, the LU parameterisation applied at every pixel
//     of [batch, H, W, C]; log|det| = H·W·Σ log|s_i|.
//   - ActNorm and BatchNorm: per-channel affine maps whose parameters come from data statistics
//     (ActNorm: data-dependent initialisation on the first batch; BatchNorm: batch statistics in
//     training, running averages in evaluation).
//
// Fixed permutations are flowkit.Permute.
//
// Every bijector acts on the last axis of its input and creates its variables in the dtype of
// its input under the scope it is given. GoMLX has no triangular-solve op; the solves here
// (UnitLowerSolve, UnitUpperSolve, UpperSolve) are blocked substitutions written with
// differentiable graph ops, and LUFactor / LogAbsDet / Solve are the dense, O(D³) counterparts.
package linear

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// Init chooses the initial matrix of a learnable linear flow.
type Init int

const (
	// InitRotation (the default) starts at a random rotation: an orthogonal matrix drawn from
	// the QR decomposition of a Gaussian matrix (Glow). It mixes every dimension from the first
	// step and has log|det| = 0.
	InitRotation Init = iota
	// InitIdentity starts at the identity.
	InitIdentity
)

// String implements fmt.Stringer.
func (i Init) String() string {
	switch i {
	case InitRotation:
		return "rotation"
	case InitIdentity:
		return "identity"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// Magnitude chooses how a positive diagonal magnitude s is computed from its unconstrained
// parameter s̃ (seed 002, step 4).
type Magnitude int

const (
	// MagnitudeExp (the default) is s = exp(s̃), so log s = s̃ exactly (Glow's choice).
	MagnitudeExp Magnitude = iota
	// MagnitudeSoftplus is s = log(1 + exp(s̃)), which grows linearly rather than exponentially in s̃
	// and so is gentler when a gradient step pushes s̃ up.
	MagnitudeSoftplus
)

// String implements fmt.Stringer.
func (m Magnitude) String() string {
	switch m {
	case MagnitudeExp:
		return "exp"
	case MagnitudeSoftplus:
		return "softplus"
	}
	return fmt.Sprintf("Magnitude(%d)", int(m))
}

// positive returns s and log s from the raw parameter.
func (m Magnitude) positive(raw *Node) (s, logS *Node) {
	if m == MagnitudeSoftplus {
		s = Softplus(raw)
		return s, Log(s)
	}
	return Exp(raw), raw
}

// raw is the inverse of positive on the host: the raw parameter giving magnitude s > 0.
func (m Magnitude) raw(s float64) float64 {
	if m == MagnitudeSoftplus {
		return math.Log(math.Expm1(s))
	}
	return math.Log(s)
}

// seedFor derives a deterministic seed for a bijector's host-side initialisation from its scope
// path and its own seed, so two layers of a chain get different random rotations and a model
// is reproducible.
func seedFor(s *model.Scope, seed uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s.Scope()))
	return h.Sum64() ^ (seed * 0x9e3779b97f4a7c15)
}

// variable returns the variable name of scope s with shape shape, creating it with init. It
// panics with a readable message when the variable exists with another shape (the bijector was
// used before on another event shape or dtype).
func variable(who string, s *model.Scope, name string, shape shapes.Shape, init model.VariableInitializer) *model.Variable {
	if v := s.GetVariable(name); v != nil && !v.Shape().Equal(shape) {
		panic(fmt.Errorf("%s: variable %q has shape %s but this input needs %s: "+
			"the bijector was used before on another event shape or dtype", who, v.Path(), v.Shape(), shape))
	}
	return s.WithInitializer(init).VariableWithShape(name, shape)
}

// valuesInit is an initializer giving the variable the host values vs (flattened, row-major).
func valuesInit(vs []float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		if len(vs) != shape.Size() {
			panic(fmt.Errorf("linear: initial values have %d entries for a variable of shape %s", len(vs), shape))
		}
		if shape.DType.IsFloat() {
			return constOf(g, shape.DType, vs, shape.Dimensions...)
		}
		return ConvertDType(constOf(g, dtypes.Float64, vs, shape.Dimensions...), shape.DType)
	}
}

// constOf returns the host values vs as a constant of dtype dt and shape dims.
func constOf(g *Graph, dt dtypes.DType, vs []float64, dims ...int) *Node {
	c := Const(g, vs)
	if dt != dtypes.Float64 {
		c = ConvertDType(c, dt)
	}
	if len(dims) == 0 {
		return Reshape(c)
	}
	return Reshape(c, dims...)
}

func shapeOf(dt dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dt, dims...) }

// maskConst returns the d×d 0/1 mask of the entries (i, j) with keep(i, j).
func maskConst(g *Graph, dt dtypes.DType, d int, keep func(i, j int) bool) *Node {
	v := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if keep(i, j) {
				v[i*d+j] = 1
			}
		}
	}
	return constOf(g, dt, v, d, d)
}

func strictlyLowerMask(g *Graph, dt dtypes.DType, d int) *Node {
	return maskConst(g, dt, d, func(i, j int) bool { return j < i })
}

func strictlyUpperMask(g *Graph, dt dtypes.DType, d int) *Node {
	return maskConst(g, dt, d, func(i, j int) bool { return j > i })
}

// checkInput panics with a message naming who and the wanted shape unless x is a float tensor
// of rank at least minRank.
func checkInput(who string, x *Node, minRank int, want string) {
	if x == nil {
		panic(fmt.Errorf("%s: the input is nil, want %s", who, want))
	}
	if !x.DType().IsFloat() {
		panic(fmt.Errorf("%s: the input has dtype %s, want a float tensor %s", who, x.DType(), want))
	}
	if x.Rank() < minRank {
		panic(fmt.Errorf("%s: the input has shape %v, want %s", who, x.Shape().Dimensions, want))
	}
}

// lastDim is the size of x's last axis.
func lastDim(x *Node) int { return x.Shape().Dimensions[x.Rank()-1] }

// positions is the number of positions per example at which a per-channel map acts: the product
// of the event dimensions except the last (H·W for images, 1 for vectors).
func positions(x *Node) int {
	n := 1
	for _, d := range x.Shape().Dimensions[1 : x.Rank()-1] {
		n *= d
	}
	return n
}

// perExample broadcasts a scalar log-determinant to [batch] (the batch size of x).
func perExample(ld, x *Node) *Node {
	return BroadcastToDims(Reshape(ld, 1), x.Shape().Dimensions[0])
}

// rowsOf flattens x [batch, ..., C] to [batch·..., C].
func rowsOf(x *Node) *Node { return Reshape(x, -1, lastDim(x)) }

// matMulRowsT returns rows · mᵀ for rows [n, D] and m [D, D]: every row r becomes (m r)ᵀ.
func matMulRowsT(rows, m *Node) *Node { return DotGeneral(rows, []int{1}, nil, m, []int{1}, nil) }
