package flowkit_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// noPanic runs f and turns a panic into a test failure.
func noPanic(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panicked: %v", r)
		}
	}()
	return f()
}

// wantArgError checks that err is a *flowkit.ArgError for an argument named with prefix arg
// whose message shows what was expected and what was given.
func wantArgError(t *testing.T, err error, arg string) {
	t.Helper()
	var ae *flowkit.ArgError
	if !errors.As(err, &ae) {
		t.Fatalf("want a *flowkit.ArgError for %q, got %T: %v", arg, err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(ae.Arg, arg) || !strings.Contains(msg, arg) {
		t.Errorf("argument %q in %q, want %q named", ae.Arg, msg, arg)
	}
	if ae.Want == "" || ae.Got == "" || !strings.Contains(msg, ae.Want) || !strings.Contains(msg, ae.Got) {
		t.Errorf("message %q does not show want %q and got %q", msg, ae.Want, ae.Got)
	}
}

// validationModels are the models the bad-input tables run on: a 2D float32 flow, a bounded
// (piecewise-linear on [0,1]²) flow, and a flow conditional on 3 features.
type validationModels struct{ plain, bounded, cond *flowkit.Model }

func newValidationModels(t *testing.T) validationModels {
	t.Helper()
	var v validationModels
	var err error
	if v.plain, err = flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2),
		elementwise.WithParams(transformer.NewAffine(), []float64{1, 0.5}))); err != nil {
		t.Fatal(err)
	}
	if v.bounded, err = flowkit.NewModel(flowkit.NewFlow(flowkit.NewUniform(0, 1, 2),
		elementwise.New(transformer.NewPiecewiseLinear(4)))); err != nil {
		t.Fatal(err)
	}
	if v.cond, err = flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2),
		elementwise.New(transformer.NewAffine())), flowkit.WithCond(3)); err != nil {
		t.Fatal(err)
	}
	return v
}

// dataCase is a bad (x, cond) pair for the entry points that take data.
type dataCase struct {
	name    string
	model   func(validationModels) *flowkit.Model
	x, cond any
	arg     string // the argument the error must name
}

func plain(v validationModels) *flowkit.Model   { return v.plain }
func bounded(v validationModels) *flowkit.Model { return v.bounded }
func cond3(v validationModels) *flowkit.Model   { return v.cond }
func nilModel(validationModels) *flowkit.Model  { return nil }

var badData = []dataCase{
	{"nil x", plain, nil, nil, "x"},
	{"typed nil tensor", plain, (*tensors.Tensor)(nil), nil, "x"},
	{"nil rows", plain, [][]float64(nil), nil, "x"},
	{"empty batch", plain, [][]float64{}, nil, "x"},
	{"row too long", plain, [][]float64{{1, 2, 3}}, nil, "x[0]"},
	{"ragged rows", plain, [][]float64{{1, 2}, {1}}, nil, "x[1]"},
	{"ragged float32 rows", plain, [][]float32{{1, 2}, {}}, nil, "x[1]"},
	{"NaN", plain, [][]float64{{1, math.NaN()}}, nil, "x"},
	{"+Inf", plain, [][]float64{{1, 2}, {math.Inf(1), 0}}, nil, "x"},
	{"-Inf in float32 rows", plain, [][]float32{{float32(math.Inf(-1)), 0}}, nil, "x"},
	{"beyond float32 range", plain, [][]float64{{1e300, 0}}, nil, "x"},
	{"wrong type", plain, "data", nil, "x"},
	{"ints", plain, [][]int{{1, 2}}, nil, "x"},
	{"flat slice for a 2D event", plain, []float64{1, 2}, nil, "x"},
	{"tensor of rank 1", plain, tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2), nil, "x"},
	{"tensor event mismatch", plain, tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 1, 3), nil, "x"},
	{"tensor of rank 3", plain, tensors.FromFlatDataAndDimensions([]float32{1, 2}, 1, 1, 2), nil, "x"},
	{"int tensor", plain, tensors.FromFlatDataAndDimensions([]int32{1, 2}, 1, 2), nil, "x"},
	{"empty tensor", plain, tensors.FromFlatDataAndDimensions([]float32{}, 0, 2), nil, "x"},
	{"NaN in a tensor", plain, tensors.FromFlatDataAndDimensions([]float64{0, math.NaN()}, 1, 2), nil, "x"},
	{"above the domain", bounded, [][]float64{{0.5, 1.5}}, nil, "x"},
	{"below the domain", bounded, [][]float64{{-0.1, 0.5}}, nil, "x"},
	{"cond for an unconditional model", plain, [][]float64{{1, 2}}, [][]float64{{1}}, "cond"},
	{"missing cond", cond3, [][]float64{{1, 2}}, nil, "cond"},
	{"typed nil cond", cond3, [][]float64{{1, 2}}, [][]float64(nil), "cond"},
	{"cond too wide", cond3, [][]float64{{1, 2}}, [][]float64{{1, 2, 3, 4}}, "cond[0]"},
	{"cond rows", cond3, [][]float64{{1, 2}, {3, 4}}, [][]float64{{1, 2, 3}}, "cond"},
	{"NaN in cond", cond3, [][]float64{{1, 2}}, [][]float64{{1, math.NaN(), 3}}, "cond"},
	{"cond of a wrong type", cond3, [][]float64{{1, 2}}, []string{"a"}, "cond"},
	{"nil model", nilModel, [][]float64{{1, 2}}, nil, "model"},
}

// TestDataEntryPointsRejectBadInput runs every bad-data case through every Model entry point
// that takes data: each returns an ArgError naming the argument, the expected and the actual,
// and none panics.
func TestDataEntryPointsRejectBadInput(t *testing.T) {
	v := newValidationModels(t)
	entries := map[string]func(m *flowkit.Model, x, c any) error{
		"LogProb": func(m *flowkit.Model, x, c any) error { _, err := m.LogProb(x, c); return err },
		"NLL":     func(m *flowkit.Model, x, c any) error { _, err := m.NLL(x, c); return err },
		"Latent":  func(m *flowkit.Model, x, c any) error { _, err := m.Latent(x, c); return err },
		"Trace":   func(m *flowkit.Model, x, c any) error { _, err := m.Trace(x, c); return err },
		"Input+Cond": func(m *flowkit.Model, x, c any) error {
			xt, err := m.Input("x", x)
			if err != nil {
				return err
			}
			_, err = m.Cond(c, xt.Shape().Dimensions[0])
			return err
		},
	}
	for name, run := range entries {
		for _, c := range badData {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				err := noPanic(t, func() error { return run(c.model(v), c.x, c.cond) })
				wantArgError(t, err, c.arg)
			})
		}
	}
}

// TestSampleEntryPointsRejectBadInput does the same for the sampling entry points.
func TestSampleEntryPointsRejectBadInput(t *testing.T) {
	v := newValidationModels(t)
	uniformBase, err := flowkit.NewModel(flowkit.NewFlow(flowkit.NewUniform(0, 1, 2), flowkit.IdentityMap{}))
	if err != nil {
		t.Fatal(err)
	}
	type sampleCase struct {
		name  string
		m     *flowkit.Model
		n     int
		T     float64
		cond  any
		arg   string
		onlyT bool // a temperature case
	}
	cases := []sampleCase{
		{"zero samples", v.plain, 0, 1, nil, "n", false},
		{"negative samples", v.plain, -3, 1, nil, "n", false},
		{"most negative int", v.plain, math.MinInt, 1, nil, "n", false},
		{"too many samples", v.plain, 1 << 40, 1, nil, "n", false},
		{"just over the limit", v.plain, flowkit.MaxSampleElements/2 + 1, 1, nil, "n", false},
		{"cond for an unconditional model", v.plain, 2, 1, [][]float64{{1}, {2}}, "cond", false},
		{"missing cond", v.cond, 2, 1, nil, "cond", false},
		{"typed nil cond", v.cond, 2, 1, [][]float64(nil), "cond", false},
		{"empty cond", v.cond, 2, 1, [][]float64{}, "cond", false},
		{"cond rows differ from n", v.cond, 2, 1, [][]float64{{1, 2, 3}}, "cond", false},
		{"cond width", v.cond, 1, 1, [][]float64{{1, 2}}, "cond[0]", false},
		{"NaN cond", v.cond, 1, 1, [][]float64{{1, 2, math.NaN()}}, "cond", false},
		{"Inf cond", v.cond, 1, 1, [][]float64{{math.Inf(1), 2, 3}}, "cond", false},
		{"cond type", v.cond, 1, 1, 42, "cond", false},
		{"nil model", nil, 2, 1, nil, "model", false},
		{"zero temperature", v.plain, 2, 0, nil, "temperature", true},
		{"negative temperature", v.plain, 2, -1, nil, "temperature", true},
		{"NaN temperature", v.plain, 2, math.NaN(), nil, "temperature", true},
		{"infinite temperature", v.plain, 2, math.Inf(1), nil, "temperature", true},
		{"-Inf temperature", v.plain, 2, math.Inf(-1), nil, "temperature", true},
		{"non-Gaussian base", uniformBase, 2, 0.5, nil, "temperature", true},
	}
	entries := map[string]func(m *flowkit.Model, n int, T float64, c any) error{
		"Sample":     func(m *flowkit.Model, n int, _ float64, c any) error { _, _, err := m.Sample(n, c); return err },
		"SampleRows": func(m *flowkit.Model, n int, _ float64, c any) error { _, err := m.SampleRows(n, c); return err },
		"SampleWithTemperature": func(m *flowkit.Model, n int, T float64, c any) error {
			_, _, err := m.SampleWithTemperature(n, T, c)
			return err
		},
	}
	for name, run := range entries {
		count := 0
		for _, c := range cases {
			if c.onlyT && name != "SampleWithTemperature" {
				continue
			}
			count++
			t.Run(name+"/"+c.name, func(t *testing.T) {
				err := noPanic(t, func() error { return run(c.m, c.n, c.T, c.cond) })
				wantArgError(t, err, c.arg)
			})
		}
		if count < 12 {
			t.Errorf("%s: only %d cases", name, count)
		}
	}
}

// TestNewModelRejectsBadInput covers the constructor and its options.
func TestNewModelRejectsBadInput(t *testing.T) {
	ident := flowkit.IdentityMap{}
	cases := []struct {
		name string
		f    *flowkit.Flow
		opts []flowkit.ModelOption
		arg  string
	}{
		{"nil flow", nil, nil, "flow"},
		{"nil base", &flowkit.Flow{Transform: ident}, nil, "flow"},
		{"nil transform", &flowkit.Flow{Base: flowkit.StandardNormal(2)}, nil, "flow"},
		{"empty event", flowkit.NewFlow(flowkit.StandardNormal(), ident), nil, "flow"},
		{"zero dimension", flowkit.NewFlow(flowkit.StandardNormal(2, 0), ident), nil, "flow"},
		{"negative dimension", flowkit.NewFlow(flowkit.StandardNormal(-1), ident), nil, "flow"},
		{"int dtype", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithDType(dtypes.Int8)}, "dtype"},
		{"float16", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithDType(dtypes.Float16)}, "dtype"},
		{"bfloat16", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithDType(dtypes.BFloat16)}, "dtype"},
		{"negative cond", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithCond(-1)}, "cond dim"},
		{"nil store", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithStore(nil)}, "store"},
		{"nil backend", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{flowkit.WithBackend(nil)}, "backend"},
		{"custom failing option", flowkit.NewFlow(flowkit.StandardNormal(2), ident), []flowkit.ModelOption{func(*flowkit.Model) error {
			return &flowkit.ArgError{Arg: "custom", Want: "yes", Got: "no", Msg: "custom is no, want yes"}
		}}, "custom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := noPanic(t, func() error { _, err := flowkit.NewModel(c.f, c.opts...); return err })
			wantArgError(t, err, c.arg)
		})
	}
}

// TestAcceptedEdgeInputs: inputs at the edge of validity are accepted: the domain's end points,
// a typed nil cond for an unconditional model, float64 data beyond float32's range in a
// float64 model, a flat slice for 1-D events.
func TestAcceptedEdgeInputs(t *testing.T) {
	v := newValidationModels(t)
	if _, err := v.bounded.LogProb([][]float64{{0, 1}}, nil); err != nil {
		t.Errorf("domain end points: %v", err)
	}
	if _, err := v.plain.LogProb([][]float64{{1, 2}}, [][]float64(nil)); err != nil {
		t.Errorf("typed nil cond: %v", err)
	}
	m64, _ := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.IdentityMap{}), flowkit.WithDType(dtypes.Float64))
	lp, err := m64.LogProb([]float64{1e300}, nil)
	if err != nil || !math.IsInf(lp[0], -1) {
		t.Errorf("float64 model at 1e300: %v, %v (want -Inf: the density underflows)", lp, err)
	}
	if _, err := m64.LogProb([]float32{1, 2}, nil); err != nil {
		t.Errorf("flat float32 slice for a 1-D event: %v", err)
	}
}

// TestSampleWithTemperatureScalesTheLatent draws at several temperatures and maps the samples
// back to the latent space: its spread is T times the base's (for a DiagNormal base with mean
// 2 and standard deviation 3, the latent is 2 + 3·T·ε), and the log-densities returned are the
// untempered model's.
func TestSampleWithTemperatureScalesTheLatent(t *testing.T) {
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.NewDiagNormal(2),
		elementwise.WithParams(transformer.NewAffine(), []float64{1, 0.5})), flowkit.WithDType(dtypes.Float64), flowkit.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LogProb([][]float64{{0, 0}}, nil); err != nil { // creates the base's variables
		t.Fatal(err)
	}
	set := func(name string, v float64) {
		vr := m.Store.GetVariable("/flow/base/" + name)
		if vr == nil {
			t.Fatalf("no variable /flow/base/%s", name)
		}
		if err := vr.SetValue(tensors.FromFlatDataAndDimensions([]float64{v, v}, 2)); err != nil {
			t.Fatal(err)
		}
	}
	set("loc", 2)
	set("log_scale", math.Log(3))
	affineT := 5 * math.Tanh(0.5/5)
	for _, T := range []float64{0.25, 1, 2} {
		x, lp, err := m.SampleWithTemperature(20000, T, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := flowkit.Rows(x)
		mean, sq := 0.0, 0.0
		for _, r := range rows {
			z := (r[0] - 1) / math.Exp(affineT) // undo x = exp(s) z + 1
			mean += z
			sq += z * z
		}
		mean /= float64(len(rows))
		sd := math.Sqrt(sq/float64(len(rows)) - mean*mean)
		t.Logf("T=%g: latent mean %.3f (want 2), sd %.3f (want %.3f)", T, mean, sd, 3*T)
		if math.Abs(mean-2) > 0.05*3*T+0.01 || math.Abs(sd-3*T) > 0.03*3*T {
			t.Errorf("T=%g: latent mean %.4f sd %.4f, want 2 and %.4f", T, mean, sd, 3*T)
		}
		lp2, err := m.LogProb(rows[:100], nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range lp2 {
			if math.Abs(lp2[i]-lp[i]) > 1e-9 {
				t.Fatalf("T=%g sample %d: returned log p %v, LogProb %v", T, i, lp[i], lp2[i])
			}
		}
	}
	// T = 1 from the same seed is Sample.
	a, _ := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.IdentityMap{}), flowkit.WithSeed(9))
	b, _ := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.IdentityMap{}), flowkit.WithSeed(9))
	xa, _, _ := a.Sample(5, nil)
	xb, _, _ := b.SampleWithTemperature(5, 1, nil)
	fa, fb := flowkit.Float64s(xa), flowkit.Float64s(xb)
	for i := range fa {
		if fa[i] != fb[i] {
			t.Fatalf("T=1 differs from Sample at %d: %v vs %v", i, fb[i], fa[i])
		}
	}
}

// TestTraceFindsTheLayerThatOverflows builds a chain whose middle layer divides by e^1000 in
// the density direction: Trace reports the finite stages before it and names it as the first
// non-finite one.
func TestTraceFindsTheLayerThatOverflows(t *testing.T) {
	chain := flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		elementwise.WithParams(&transformer.Affine{LogScaleBound: 0}, []float64{0, -1000}),
		elementwise.New(transformer.NewRQSpline(4, 3)),
	)
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(2), chain))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Trace([][]float64{{0.5, -0.5}, {1, 2}, {0, 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range tr {
		t.Log(l)
	}
	if len(tr) != 5 || tr[0].Name != "data" || tr[4].Scope != "/flow/base" {
		t.Fatalf("want data, 3 layers and the base; got %v", tr)
	}
	if !strings.HasPrefix(tr[1].Scope, "/flow/transform/02_") || !strings.HasPrefix(tr[2].Scope, "/flow/transform/01_") {
		t.Fatalf("stages are not in the inverse order: %s, %s", tr[1].Scope, tr[2].Scope)
	}
	bad, ok := flowkit.FirstNonFinite(tr)
	if !ok || bad.Stage != 2 || bad.NonFinite == 0 {
		t.Fatalf("first non-finite: %v %v", bad, ok)
	}
	if tr[1].MaxAbs < 0.5 || tr[1].MaxAbs > 3 {
		t.Fatalf("stage 1 max |z| %v", tr[1].MaxAbs)
	}
	// A healthy model traces clean.
	tr2, err := newValidationModels(t).plain.Trace([][]float64{{1, 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, bad := flowkit.FirstNonFinite(tr2); bad {
		t.Fatalf("healthy model: %v", tr2)
	}
}

// TestVariableShapesListsTheFlowsParameters checks the architecture description used to
// validate checkpoints, and that it leaves the model's own store untouched.
func TestVariableShapesListsTheFlowsParameters(t *testing.T) {
	m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.NewDiagNormal(3), flowkit.NewChain(
		elementwise.New(transformer.NewAffine()), elementwise.New(transformer.NewRQSpline(5, 2)))))
	if err != nil {
		t.Fatal(err)
	}
	before := m.Store.NumVariables()
	vars, err := m.VariableShapes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/flow/transform/00_Elementwise_Affine_bound=5__/params":   "(Float32)[3, 2]",
		"/flow/transform/01_Elementwise_RQSpline_K=5_B=2__/params": "(Float32)[3, 14]",
		"/flow/base/loc":       "(Float32)[3]",
		"/flow/base/log_scale": "(Float32)[3]",
	}
	if len(vars) != len(want) {
		t.Errorf("got %v", vars)
	}
	for k, w := range want {
		if got := vars[k].String(); got != w {
			t.Errorf("%s: %s, want %s", k, got, w)
		}
	}
	if m.Store.NumVariables() != before {
		t.Errorf("VariableShapes created variables in the model's store")
	}
}

// TestBoundedFlowSamplesPassItsOwnDomainCheck draws samples from a piecewise-linear flow on
// [0, 1]² (whose forward pass can land a rounding error past 1) and evaluates their density:
// Model.LogProb must accept the flow's own samples.
func TestBoundedFlowSamplesPassItsOwnDomainCheck(t *testing.T) {
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		m, err := flowkit.NewModel(flowkit.NewFlow(flowkit.NewUniform(0, 1, 2),
			elementwise.WithParams(transformer.NewPiecewiseLinear(4), []float64{3, -2, 0.5, 1})), flowkit.WithDType(dt))
		if err != nil {
			t.Fatal(err)
		}
		x, lp, err := m.Sample(4000, nil)
		if err != nil {
			t.Fatal(err)
		}
		lp2, err := m.LogProb(x, nil)
		if err != nil {
			t.Fatalf("%s: the flow's own samples were rejected: %v", dt, err)
		}
		// The density is discontinuous at the knots: a sample within rounding of one may get the
		// slope of the neighbouring bin. That must stay a rounding-level rarity.
		rows := flowkit.Rows(x)
		mismatch := 0
		for i := range lp {
			if math.Abs(lp[i]-lp2[i]) > 1e-3*(1+math.Abs(lp[i])) {
				mismatch++
				t.Logf("%s sample %v: log p %v from sampling, %v from LogProb", dt, rows[i], lp[i], lp2[i])
			}
		}
		if mismatch > len(lp)/500 {
			t.Errorf("%s: %d of %d samples have another log-density from LogProb than from sampling", dt, mismatch, len(lp))
		}
		// The bound itself plus one rounding error is accepted, a clear excess is not.
		eps := 0x1p-52
		if dt == dtypes.Float32 {
			eps = 0x1p-23
		}
		if _, err := m.LogProb([][]float64{{1 + 2*eps, 0}}, nil); err != nil {
			t.Errorf("%s: 1 + 2ε rejected: %v", dt, err)
		}
		if _, err := m.LogProb([][]float64{{1 + 1e-4, 0}}, nil); err == nil {
			t.Errorf("%s: 1 + 1e-4 accepted", dt)
		}
	}
}

// ExampleModel_SampleWithTemperature draws samples at a reduced temperature: the latent's
// spread shrinks by T.
func ExampleModel_SampleWithTemperature() {
	m, _ := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(1), flowkit.IdentityMap{}), flowkit.WithSeed(1))
	x, _, err := m.SampleWithTemperature(10000, 0.5, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sq := 0.0
	for _, v := range flowkit.Float64s(x) {
		sq += v * v
	}
	fmt.Printf("standard deviation at T=0.5: %.1f\n", math.Sqrt(sq/10000))
	_, _, err = m.SampleWithTemperature(10, 0, nil)
	fmt.Println(err)
	// Output:
	// standard deviation at T=0.5: 0.5
	// flowkit: Model.SampleWithTemperature: temperature must be finite and positive, got 0
}

// ExampleModel_Trace finds the layer where the numbers break.
func ExampleModel_Trace() {
	chain := flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		elementwise.WithParams(&transformer.Affine{}, []float64{0, -800}), // divides by e^800 in the inverse
	)
	m, _ := flowkit.NewModel(flowkit.NewFlow(flowkit.StandardNormal(1), chain), flowkit.WithDType(dtypes.Float64))
	trace, _ := m.Trace([][]float64{{0.5}, {2}}, nil)
	if l, bad := flowkit.FirstNonFinite(trace); bad {
		fmt.Println("first non-finite:", l.Scope, l.Name)
	}
	// Output: first non-finite: /flow/transform/01_Elementwise_Affine_bound=0__ Elementwise(Affine(bound=0))
}
