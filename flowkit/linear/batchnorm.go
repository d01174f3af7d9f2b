package linear

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/model"
)

// BatchNormMode says which statistics BatchNorm normalises with.
type BatchNormMode int

const (
	// BatchNormAuto (the default) follows GoMLX's training flag: batch statistics when the graph
	// is a training graph (s.IsTraining(g), set by Store.SetTraining), running averages
	// otherwise.
	BatchNormAuto BatchNormMode = iota
	// BatchNormTrain always uses (and accumulates) batch statistics in Inverse.
	BatchNormTrain
	// BatchNormEval always uses the running averages.
	BatchNormEval
)

// BatchNorm is the batch-normalization flow of RealNVP (Dinh et al. 2016) and MAF (Papamakarios
// et al. 2017), a per-channel affine map on the last axis whose shift and scale come from data
// statistics. In the normalizing direction
//
//	z = (x - μ) / √(σ² + ε) ⊙ exp(log_gamma) + beta,
//	log|det ∂f⁻¹/∂x| = P · Σ_c (log_gamma_c - ½ log(σ²_c + ε)),
//
// with P the number of positions per example (H·W for images, 1 for vectors). Which μ, σ² are
// used depends on the mode:
//
//   - training (Mode BatchNormTrain, or BatchNormAuto in a graph marked as training with
//     model.Store.SetTraining): the mean and (biased) variance of the current batch over every
//     axis but the last, with gradients flowing through them as in MAF; each such Inverse also
//     updates the running averages, running ← m·running + (1-m)·batch with
//     m = min(Momentum, 1 - 1/count) (the first batch is taken as is). The log-determinant is
//     the formula above with the batch variance: the per-example Jacobian with the batch
//     statistics held fixed, the quantity MAF trains with.
//   - evaluation (otherwise): the running averages, so the map is a fixed affine bijection and
//     the log-determinant is exact.
//
// Forward (sampling) always uses the running averages, since a generated batch has no data
// statistics: x = (z - beta) ⊙ exp(-log_gamma) ⊙ √(σ² + ε) + μ. Both directions cost O(1) per
// element.
//
// Variables: "log_gamma" and "beta" (trainable, [C], starting at 0), "running_mean" (0),
// "running_var" (1) and "running_count" (0), non-trainable and saved with the checkpoint.
//
// fit.MLE marks its training step graph with SetTraining, so under it the default BatchNormAuto
// trains with batch statistics and evaluates with the running averages; a hand-written trainer
// should call s.Store().SetTraining(g, true) in its step graph likewise. fit.ReverseKL does not
// mark its graph (a teacher scored inside it must run as in evaluation); its student runs the
// generative direction, which uses the running averages in any graph.
type BatchNorm struct {
	// Mode chooses batch or running statistics (default BatchNormAuto).
	Mode BatchNormMode
	// Momentum of the running averages (default 0.9).
	Momentum float64
	// Epsilon is added to the variance (default 1e-5).
	Epsilon float64
}

// NewBatchNorm returns a batch-normalization flow following GoMLX's training flag.
func NewBatchNorm() *BatchNorm { return &BatchNorm{} }

// Name implements flowkit.Named.
func (b *BatchNorm) Name() string { return "BatchNorm" }

type bnParams struct {
	logGamma, beta, mean, variance *Node // [C]
}

func (b *BatchNorm) params(s *model.Scope, x *Node, inverse bool) *bnParams {
	checkInput("linear.BatchNorm", x, 2, "[batch, ..., C]")
	if b.Mode < BatchNormAuto || b.Mode > BatchNormEval {
		panic(fmt.Errorf("linear.BatchNorm: unknown mode %d", b.Mode))
	}
	momentum, eps := b.Momentum, b.Epsilon
	if momentum == 0 {
		momentum = 0.9
	}
	if eps == 0 {
		eps = 1e-5
	}
	if momentum < 0 || momentum >= 1 || eps < 0 {
		panic(fmt.Errorf("linear.BatchNorm: Momentum %g must be in [0, 1) and Epsilon %g ≥ 0", momentum, eps))
	}
	c, g, dt := lastDim(x), x.Graph(), x.DType()
	ones := make([]float64, c)
	for i := range ones {
		ones[i] = 1
	}
	who := "linear.BatchNorm"
	p := &bnParams{
		logGamma: variable(who, s, "log_gamma", shapeOf(dt, c), valuesInit(make([]float64, c))).NodeValue(g),
		beta:     variable(who, s, "beta", shapeOf(dt, c), valuesInit(make([]float64, c))).NodeValue(g),
	}
	meanVar := variable(who, s, "running_mean", shapeOf(dt, c), valuesInit(make([]float64, c))).SetTrainable(false)
	varVar := variable(who, s, "running_var", shapeOf(dt, c), valuesInit(ones)).SetTrainable(false)
	countVar := variable(who, s, "running_count", shapeOf(dt), valuesInit([]float64{0})).SetTrainable(false)
	p.mean, p.variance = meanVar.NodeValue(g), varVar.NodeValue(g)
	training := b.Mode == BatchNormTrain || (b.Mode == BatchNormAuto && s.IsTraining(g))
	if inverse && training {
		axes := make([]int, x.Rank()-1)
		for i := range axes {
			axes[i] = i
		}
		mean := ReduceMean(x, axes...)
		variance := ReduceMean(Square(Sub(x, ExpandLeftToRank(mean, x.Rank()))), axes...)
		count := AddScalar(countVar.NodeValue(g), 1)
		m := Min(Scalar(g, dt, momentum), OneMinus(Reciprocal(count)))
		blend := func(running, batch *Node) *Node {
			return Add(Mul(m, running), Mul(OneMinus(m), StopGradient(batch)))
		}
		meanVar.SetNodeValue(blend(p.mean, mean))
		varVar.SetNodeValue(blend(p.variance, variance))
		countVar.SetNodeValue(count)
		p.mean, p.variance = mean, variance
	}
	p.variance = AddScalar(p.variance, eps)
	return p
}

// logDet is P · Σ (log_gamma - ½ log(σ² + ε)), the normalizing direction's log-determinant.
func (p *bnParams) logDet(x *Node) *Node {
	ld := ReduceAllSum(Sub(p.logGamma, MulScalar(Log(p.variance), 0.5)))
	return perExample(MulScalar(ld, float64(positions(x))), x)
}

// Forward implements flowkit.Bijector, with the running averages:
// x = (z - beta) ⊙ exp(-log_gamma) ⊙ √(σ² + ε) + μ.
func (b *BatchNorm) Forward(s *model.Scope, z, _ *Node) (x, logDet *Node) {
	p := b.params(s, z, false)
	r := z.Rank()
	scale := Mul(Exp(Neg(p.logGamma)), Sqrt(p.variance))
	x = Add(Mul(Sub(z, ExpandLeftToRank(p.beta, r)), ExpandLeftToRank(scale, r)), ExpandLeftToRank(p.mean, r))
	return x, Neg(p.logDet(z))
}

// Inverse implements flowkit.Bijector: z = (x - μ)/√(σ² + ε) ⊙ exp(log_gamma) + beta, with the
// batch statistics in training mode (updating the running averages) and the running averages
// otherwise.
func (b *BatchNorm) Inverse(s *model.Scope, x, _ *Node) (z, logDet *Node) {
	p := b.params(s, x, true)
	r := x.Rank()
	scale := Mul(Exp(p.logGamma), Rsqrt(p.variance))
	z = Add(Mul(Sub(x, ExpandLeftToRank(p.mean, r)), ExpandLeftToRank(scale, r)), ExpandLeftToRank(p.beta, r))
	return z, p.logDet(x)
}

var _ flowkit.Bijector = (*BatchNorm)(nil)
