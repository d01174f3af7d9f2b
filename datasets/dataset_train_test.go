package datasets

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestDatasetDrivesATrainLoop fits the mean μ of a unit Gaussian to 8gaussians by maximum
// likelihood with GoMLX's own train.Trainer and train.Loop fed by a Dataset: the model's
// output is the per-example NLL ½|x - μ|² (up to a constant), the loss its mean, and μ must
// end near the data mean, (0, 0).
func TestDatasetDrivesATrainLoop(t *testing.T) {
	backend := testBackend(t)
	m, err := FromRows(mustToy(t, "8gaussians").Sample(4096, 1))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := NewDataset(backend, "8gaussians", m, DatasetConfig{BatchSize: 256, Shuffle: true, Seed: 3, DropRemainder: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Finalize()

	store := model.NewStore()
	modelFn := func(scope *model.Scope, spec any, inputs []*graph.Node) []*graph.Node {
		x := inputs[0]
		mu := scope.In("gauss").VariableWithValue("mu", []float32{3, -2}).ValueGraph(x)
		d := graph.Sub(x, graph.InsertAxes(mu, 0))
		return []*graph.Node{graph.MulScalar(graph.ReduceSum(graph.Mul(d, d), -1), 0.5)}
	}
	lossFn := func(_, predictions []*graph.Node) *graph.Node { return graph.ReduceAllMean(predictions[0]) }
	opt := optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(0.1).Done()
	trainer := train.NewTrainer(backend, store, modelFn, lossFn, opt, nil, nil)
	if _, err := train.NewLoop(trainer).RunSteps(ds, 150); err != nil {
		t.Fatal(err)
	}
	v, err := store.RootScope().In("gauss").GetVariable("mu").Value()
	if err != nil {
		t.Fatal(err)
	}
	mu, err := tensors.CopyFlatData[float32](v)
	if err != nil {
		t.Fatal(err)
	}
	var mean [2]float64
	for i := 0; i < m.NumExamples(); i++ {
		mean[0] += float64(m.Example(i)[0]) / float64(m.NumExamples())
		mean[1] += float64(m.Example(i)[1]) / float64(m.NumExamples())
	}
	// SGD on batches of 256 jitters around the full-data mean by about 2/√256 · √(lr/2).
	for a := 0; a < 2; a++ {
		if math.Abs(float64(mu[a])-mean[a]) > 0.1 {
			t.Errorf("fitted μ = %v, data mean %v", mu, mean)
		}
	}
}
