// Package transformer holds flowkit's monotone scalar maps with explicit parameters: the book's
// g[h, φ] (section 16.3.2). Elementwise, coupling and autoregressive flows are conditioners that
// produce φ plus one Transformer from this package, so each map is written once.
//
// A Transformer acts elementwise on x [..., D] with raw (unconstrained) parameters
// [..., D, NumParams()]: a network can emit them directly, and the transformer maps them to valid
// values (positive slopes, bin widths summing to one, bounded log-scales). Forward returns
// y = g(x) and log|g'(x)| per element; Inverse returns x = g⁻¹(y) and log|(g⁻¹)'(y)|, which is
// minus the forward value at the matching point.
package transformer

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// Transformer is a monotone (increasing) scalar map with explicit parameters.
type Transformer interface {
	// Name describes the transformer, e.g. "RQSpline(K=8,B=3)".
	Name() string
	// NumParams is the number of raw parameters per scalar dimension.
	NumParams() int
	// Forward returns y = g(x) and log g'(x), both shaped like x [..., D]; params is [..., D, P].
	Forward(x, params *Node) (y, logDeriv *Node)
	// Inverse returns x = g⁻¹(y) and log (g⁻¹)'(y), both shaped like y.
	Inverse(y, params *Node) (x, logDeriv *Node)
	// IdentityParams returns raw parameters (length P) for which g is the identity (or, for
	// transformers that cannot represent it, the map closest to it).
	IdentityParams() []float64
}

// Bounded is implemented by transformers defined only on an interval; inputs outside it are
// out of domain (flowkit's host-side entry points reject them with an error).
type Bounded interface {
	Domain() (lo, hi float64)
}

// param returns the i-th raw parameter, params[..., i], shaped like params without its last axis.
func param(params *Node, i int) *Node {
	return Squeeze(SliceAxis(params, -1, AxisRange(i, i+1)), -1)
}

// paramRange returns params[..., from:to].
func paramRange(params *Node, from, to int) *Node {
	return SliceAxis(params, -1, AxisRange(from, to))
}

// checkParams panics with a readable message when params does not fit x.
func checkParams(t Transformer, x, params *Node) {
	xs, ps := x.Shape(), params.Shape()
	if ps.Rank() != xs.Rank()+1 || ps.Dimensions[ps.Rank()-1] != t.NumParams() {
		panic(fmt.Errorf("transformer %s: params shape %s does not fit input %s: want [..., %d]",
			t.Name(), ps, xs, t.NumParams()))
	}
	for i, d := range xs.Dimensions {
		if ps.Dimensions[i] != d && ps.Dimensions[i] != 1 {
			panic(fmt.Errorf("transformer %s: params shape %s does not fit input %s", t.Name(), ps, xs))
		}
	}
}

// broadcastParams broadcasts params [.., D, P] (with size-1 leading axes allowed) to x's shape + P.
func broadcastParams(x, params *Node) *Node {
	want := append(append([]int{}, x.Shape().Dimensions...), params.Shape().Dimensions[params.Rank()-1])
	same := true
	for i, d := range want {
		if params.Shape().Dimensions[i] != d {
			same = false
		}
	}
	if same {
		return params
	}
	return BroadcastToDims(params, want...)
}

// cumulative returns [..., K+1] cumulative sums of w [..., K], starting at 0, computed as a
// product with a constant triangular matrix (exact, differentiable on every backend).
func cumulative(w *Node) *Node {
	K := w.Shape().Dimensions[w.Rank()-1]
	m := make([]float64, K*(K+1))
	for j := 0; j < K; j++ {
		for i := j + 1; i <= K; i++ {
			m[j*(K+1)+i] = 1
		}
	}
	T := Reshape(ConvertDType(Const(w.Graph(), m), w.DType()), K, K+1)
	dims := w.Shape().Dimensions
	out := Dot(Reshape(w, -1, K), T).Product()
	return Reshape(out, append(append([]int{}, dims[:len(dims)-1]...), K+1)...)
}

// binOneHot returns the one-hot [..., K] of the bin holding v [...], given interior knots
// [..., K-1] sorted ascending: bin k when knots[k-1] <= v < knots[k].
func binOneHot(v, interior *Node, K int) *Node {
	interior = ExpandLeftToRank(interior, v.Rank()+1)
	count := ReduceSum(ConvertDType(GreaterOrEqual(InsertAxes(v, -1), interior), dtypes.Int32), -1)
	return OneHot(count, K, v.DType())
}

// pick returns Σ_k onehot[..., k] * arr[..., k].
func pick(onehot, arr *Node) *Node { return ReduceSum(Mul(onehot, arr), -1) }
