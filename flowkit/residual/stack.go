package residual

import (
	"fmt"

	"github.com/flowkit/flowkit/flowkit"
)

// NewStack returns the chain block(0), between(0), block(1), between(1), …, block(n-1): n blocks
// (e.g. IResNet blocks) with an optional bijector between consecutive ones (e.g. an ActNorm or a
// permutation; between may be nil, or return nil to insert nothing). The chain's Forward applies
// block(0) first; its log-determinant is the sum of the blocks' (eq. 16.7).
//
// A stack of iResNet blocks with ActNorm is the model of figure 16.11 (Behrmann et al. 2019):
//
//	flow := residual.NewStack(8, func(int) flowkit.Bijector {
//		return residual.NewIResNet(residual.NewMLP(64, 64), residual.Exact{})
//	}, func(int) flowkit.Bijector { return linear.NewActNorm() })
func NewStack(n int, block func(i int) flowkit.Bijector, between func(i int) flowkit.Bijector) *flowkit.Chain {
	if n <= 0 {
		panic(fmt.Errorf("residual.NewStack: the number of blocks must be positive, got %d", n))
	}
	var bs []flowkit.Bijector
	for i := 0; i < n; i++ {
		b := block(i)
		if b == nil {
			panic(fmt.Errorf("residual.NewStack: block(%d) returned nil", i))
		}
		bs = append(bs, b)
		if between != nil && i < n-1 {
			if m := between(i); m != nil {
				bs = append(bs, m)
			}
		}
	}
	return flowkit.NewChain(bs...)
}
