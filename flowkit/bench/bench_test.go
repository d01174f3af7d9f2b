package bench_test

import (
	"math"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/bench"
)

func TestConfigsAreIssue12s(t *testing.T) {
	for _, name := range []string{"realnvp", "maf", "nsf"} {
		c, err := bench.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Batch != 512 || c.Peer <= 0 {
			t.Errorf("%s: batch %d, peer %g: want batch 512 and the peers' figure", name, c.Batch, c.Peer)
		}
		train, test := c.Data(64, 16)
		if len(train) != 64 || len(test) != 16 {
			t.Fatalf("%s: data sizes %d, %d", name, len(train), len(test))
		}
		if d := len(c.Flow().EventShape()); d != 1 || c.Flow().EventShape()[0] != len(train[0]) {
			t.Fatalf("%s: flow event %v for %d-D data", name, c.Flow().EventShape(), len(train[0]))
		}
	}
	g, err := bench.Get("glow8x8")
	if err != nil || g.Measure == nil || g.Batch != 512 || g.Peer <= 0 {
		t.Fatalf("glow8x8: %+v, %v", g, err)
	}
	var names []string
	for _, c := range bench.Configs() {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "realnvp,maf,nsf,glow8x8" {
		t.Errorf("configurations %s, want issue 12's four in its order", got)
	}
	if _, err := bench.Get("nope"); err == nil || !strings.Contains(err.Error(), "realnvp") {
		t.Fatalf("unknown configuration: got %v, want an error listing the known ones", err)
	}
}

func TestMeasureReportsFiguresAndTable(t *testing.T) {
	c, err := bench.Get("realnvp")
	if err != nil {
		t.Fatal(err)
	}
	r, err := bench.Measure(c, bench.Options{Steps: 3, Points: 200, QualitySteps: 20})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"steps/s": r.StepsPerSec, "density/s": r.DensityPerSec,
		"samples/s": r.SamplesPerSec, "first step s": r.FirstStep.Seconds(), "peak RSS": float64(r.PeakRSS)} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %g, want a positive finite figure", name, v)
		}
	}
	// Twenty steps from the identity: the test NLL is finite and below the untrained flow's
	// (a standard normal on standardized moons has NLL about ln(2π)+1 = 2.84).
	if !(r.TestNLL < 2.84) {
		t.Errorf("test NLL after 20 steps %g, want below the untrained 2.84", r.TestNLL)
	}
	md := bench.Markdown([]bench.Result{r})
	for _, want := range []string{"| realnvp |", "~200", "GoMLX " + bench.GoMLXVersion(), "(20 steps)"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// TestMeasureGlow runs the Glow configuration's own measurement on a tiny budget.
func TestMeasureGlow(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Glow training step")
	}
	c, err := bench.Get("glow8x8")
	if err != nil {
		t.Fatal(err)
	}
	r, err := bench.Measure(c, bench.Options{Steps: 2, Points: 64})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"steps/s": r.StepsPerSec, "density/s": r.DensityPerSec,
		"samples/s": r.SamplesPerSec, "first step s": r.FirstStep.Seconds()} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %g, want a positive finite figure", name, v)
		}
	}
	if md := bench.Markdown([]bench.Result{r}); !strings.Contains(md, "| glow8x8 |") || !strings.Contains(md, "22-26") {
		t.Errorf("table:\n%s", md)
	}
}

// BenchmarkTrainStep measures one training step (through fit.MLE) of each configuration.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range bench.Configs() {
		b.Run(c.Name, func(b *testing.B) {
			r, err := bench.Measure(c, bench.Options{Steps: max(b.N, 20), Points: 1000})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.StepsPerSec, "steps/s")
			b.ReportMetric(r.DensityPerSec, "density/s")
		})
	}
}

func TestMeasureMemoryAndTable(t *testing.T) {
	if _, err := bench.MeasureMemory(0, 8, 1, false); err == nil {
		t.Fatal("depth 0 accepted")
	}
	r, err := bench.MeasureMemory(2, 64, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.PeakRSS <= 0 || r.CompiledRSS <= 0 || r.CompiledRSS > r.PeakRSS || r.StepsPerSec <= 0 || r.Depth != 2 || !r.Recompute {
		t.Fatalf("result %+v", r)
	}
	md := bench.MemoryMarkdown([]bench.MemoryResult{
		{Depth: 8, Batch: 512, PeakRSS: 100 << 20, CompiledRSS: 80 << 20, StepsPerSec: 10},
		{Depth: 64, Batch: 512, PeakRSS: 150 << 20, CompiledRSS: 120 << 20, StepsPerSec: 2},
	})
	if !strings.Contains(md, "| 64 | 512 | false | 120 MiB | 150 MiB | 1.50x (vs 8) | 2.0 |") {
		t.Fatalf("table:\n%s", md)
	}
}
