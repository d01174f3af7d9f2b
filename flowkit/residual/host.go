package residual

import (
	"fmt"
	"math"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// blockScope returns the scope of bijector b inside m's transform (the transform itself, or a
// member of a flowkit.Chain, searched recursively), given the root scope s.
func blockScope(s *model.Scope, m *flowkit.Model, b flowkit.Bijector) (*model.Scope, bool) {
	var find func(cur flowkit.Bijector, sc *model.Scope) (*model.Scope, bool)
	find = func(cur flowkit.Bijector, sc *model.Scope) (*model.Scope, bool) {
		if cur == b {
			return sc, true
		}
		if ch, ok := cur.(*flowkit.Chain); ok {
			for i, c := range ch.Bijectors {
				if r, ok := find(c, ch.Scope(sc, i)); ok {
					return r, true
				}
			}
		}
		return nil, false
	}
	// flowkit.Flow keeps its transform's variables under "transform" (see flowkit.Flow).
	return find(m.Flow.Transform, flowkit.FlowScope(s).At("transform"))
}

func runHost[T any](m *flowkit.Model, fn string, b flowkit.Bijector, args []any,
	build func(bs *model.Scope, inputs []*Node) []*Node, read func(outs []*tensors.Tensor) T) (res T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: building or running the graph failed: %v", fn, r)
		}
	}()
	var notFound bool
	exec, err := model.NewExec(m.Backend, m.Store, func(s *model.Scope, inputs []*Node) []*Node {
		bs, ok := blockScope(s, m, b)
		if !ok {
			notFound = true
			return []*Node{ReduceAllSum(inputs[0])}
		}
		return append(build(bs, inputs), consumeVariables(s.Store(), inputs[0].Graph()))
	})
	if err != nil {
		return res, err
	}
	outs, err := exec.Exec(args...)
	if notFound {
		return res, fmt.Errorf("%s: the block %s is not part of the model's transform", fn, flowkit.NameOf(b))
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", fn, err)
	}
	return read(outs[:len(outs)-1]), nil // the last output is consumeVariables'
}

// consumeVariables returns a scalar depending on every variable the graph reads. GoMLX v0.28.6's
// Go backend fails at run time ("index out of range") when a graph has a parameter, e.g. a
// variable read while building, that no output depends on; host helpers that output only part
// of what they build return this as an extra output.
func consumeVariables(store *model.Store, g *Graph) *Node {
	acc := Scalar(g, dtypes.Float64, 0)
	for v := range store.IterVariables() {
		if v.InUseByGraph(g) {
			acc = Add(acc, ReduceAllSum(ConvertDType(v.NodeValue(g), dtypes.Float64)))
		}
	}
	return acc
}

// EstimateLogDet evaluates the estimator est of log det(I + J_g(x)) for the block b of model m
// (its transform, or a member of a chain in it) at every row of x, the block's input (host data
// [n, event...]). Stochastic estimators draw fresh probes per row, so n copies of one point give
// n independent draws; Exact{} gives the reference value.
func EstimateLogDet(m *flowkit.Model, b *IResNet, est LogDet, x any) ([]float64, error) {
	xt, err := flowkit.ToTensor("x", x, m.EventShape(), m.DType)
	if err != nil {
		return nil, err
	}
	return runHost(m, "residual.EstimateLogDet", b, []any{xt}, func(bs *model.Scope, in []*Node) []*Node {
		lin := b.net().Build(bs.At("g"), in[0], nil).Linearize(in[0])
		return []*Node{est.Estimate(bs, lin)}
	}, func(outs []*tensors.Tensor) []float64 { return flowkit.Float64s(outs[0]) })
}

// Weight is a normalised weight of a residual branch, as the graphs use it.
type Weight struct {
	// Name is the variable's path.
	Name string
	// Value holds the normalised weight: [in, out] for dense layers, [k, k, in, out] for
	// convolution kernels.
	Value *tensors.Tensor
	// SpectralNorm is the largest singular value of a dense weight by SVD (gonum), NaN for
	// convolution kernels (whose operator norm depends on the image size).
	SpectralNorm float64
}

// NormalizedWeights returns the spectrally normalised weights of block b of model m, as
// evaluation graphs compute them, with the spectral norm of each dense one measured by SVD: with
// spectral normalisation on, each is at most the coefficient c (up to the power iteration's
// accuracy).
func NormalizedWeights(m *flowkit.Model, b *IResNet) ([]Weight, error) {
	like := tensors.FromShape(shapes.Make(m.DType, append([]int{1}, m.EventShape()...)...))
	var names []string
	ws, err := runHost(m, "residual.NormalizedWeights", b, []any{like}, func(bs *model.Scope, in []*Node) []*Node {
		outs := []*Node{ReduceAllSum(in[0])}
		for _, w := range b.net().Build(bs.At("g"), in[0], nil).Weights() {
			names = append(names, w.Name)
			outs = append(outs, w.Node)
		}
		return outs
	}, func(outs []*tensors.Tensor) []*tensors.Tensor { return outs[1:] })
	if err != nil {
		return nil, err
	}
	res := make([]Weight, len(ws))
	for i, w := range ws {
		res[i] = Weight{Name: names[i], Value: w, SpectralNorm: math.NaN()}
		if dims := w.Shape().Dimensions; len(dims) == 2 {
			var svd mat.SVD
			if svd.Factorize(mat.NewDense(dims[0], dims[1], flowkit.Float64s(w)), mat.SVDNone) {
				res[i].SpectralNorm = svd.Values(nil)[0]
			}
		}
	}
	return res, nil
}

// JacobianAt returns the Jacobian J = ∂g/∂x of block b's residual branch at every row of x (the
// block's input, host data [n, event...]), one D×D matrix per row (event axes flattened, entry
// (i, j) = ∂g_i/∂x_j), computed by forward-mode products in the graph. The block's own Jacobian is
// I + J; use it for exact traces of powers of J and its norm on small D.
func JacobianAt(m *flowkit.Model, b *IResNet, x any) ([]*mat.Dense, error) {
	xt, err := flowkit.ToTensor("x", x, m.EventShape(), m.DType)
	if err != nil {
		return nil, err
	}
	D := xt.Shape().Size() / xt.Shape().Dimensions[0]
	return runHost(m, "residual.JacobianAt", b, []any{xt}, func(bs *model.Scope, in []*Node) []*Node {
		return []*Node{JacobianT(b.net().Build(bs.At("g"), in[0], nil).Linearize(in[0]))}
	}, func(outs []*tensors.Tensor) []*mat.Dense {
		flat := flowkit.Float64s(outs[0])
		js := make([]*mat.Dense, len(flat)/(D*D))
		for i := range js {
			jt := mat.NewDense(D, D, flat[i*D*D:(i+1)*D*D])
			js[i] = mat.DenseCopyOf(jt.T())
		}
		return js
	})
}
