package fit_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// procStatusKB returns a field of /proc/self/status in kB (VmHWM: peak resident set size,
// VmRSS: current resident set size), or -1 where /proc is unavailable.
func procStatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// soakDuration reads FLOWKIT_SOAK: unset means skip; "1" or "true" means the default 30
// minutes; otherwise a Go duration ("45m", "90s").
func soakDuration() (time.Duration, bool) {
	s := os.Getenv("FLOWKIT_SOAK")
	switch s {
	case "":
		return 0, false
	case "1", "true", "yes":
		return 30 * time.Minute, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 30 * time.Minute, true
	}
	return d, true
}

// BenchmarkSoak trains a 2D spline flow on the moons toy for FLOWKIT_SOAK (default 30m when
// set to 1; skipped when unset, so `make bench` does not run it) and reports whether memory
// stays flat: the peak resident set size (VmHWM) at minute 5 against the end. It exercises
// everything a long notebook session does, repeatedly: fit.MLE calls of one minute each on
// the same model (each compiles a new training graph), verified checkpoint saves and LoadModel
// into a second model, sampling, LogProb and Trace. Run it with
//
//	FLOWKIT_SOAK=30m go test -run '^$' -bench Soak -benchtime 1x -timeout 0 -v ./flowkit/fit/
//
// The criterion: VmHWM grows less than 5% between minute 5 and the end.
func BenchmarkSoak(b *testing.B) {
	total, ok := soakDuration()
	if !ok {
		b.Skip("set FLOWKIT_SOAK=30m (or 1 for the default 30m) to run the soak benchmark")
	}
	b.ReportAllocs()
	mark := min(5*time.Minute, total/2)
	toy, err := datasets.Toy("moons")
	if err != nil {
		b.Fatal(err)
	}
	train, valid := toy.Sample(20000, 1), toy.Sample(2000, 2)
	newFlow := func() *flowkit.Flow {
		var bs []flowkit.Bijector
		for i := 0; i < 4; i++ {
			bs = append(bs, elementwise.New(transformer.NewAffine()), elementwise.New(transformer.NewRQSpline(8, 4)),
				flowkit.RandomPermute(2, uint64(i)))
		}
		return flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(bs...))
	}
	m, err := flowkit.NewModel(newFlow())
	if err != nil {
		b.Fatal(err)
	}
	reload, err := flowkit.NewModel(newFlow())
	if err != nil {
		b.Fatal(err)
	}
	ckdir, side := b.TempDir(), b.TempDir()
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Printf("[soak %7.2fm] %s\n", time.Since(start).Minutes(), fmt.Sprintf(format, args...))
	}
	var hwmMark, rssMark int64 = -1, -1
	var heapMark uint64
	steps, calls, saves, lastReport := 0, 0, 0, time.Now()
	var report func(tag string) (int64, int64, uint64)
	var lastNLL float64
	report = func(tag string) (hwm, rss int64, heap uint64) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		hwm, rss = procStatusKB("VmHWM"), procStatusKB("VmRSS")
		logf("%s: %d steps in %d MLE calls, %d side saves+loads, valid NLL %.4f, VmHWM %d kB, VmRSS %d kB, Go heap %d kB, GC %d",
			tag, steps, calls, saves, lastNLL, hwm, rss, ms.HeapAlloc/1024, ms.NumGC)
		return hwm, rss, ms.HeapAlloc
	}
	b.ResetTimer()
	callStep := 0
	lastSide := time.Time{} // side traffic every 30 s, from the first evaluation on
	for time.Since(start) < total {
		left := total - time.Since(start)
		if path, step, err := fit.LatestCheckpoint(ckdir); err == nil && path != "" {
			callStep = step
		}
		res, err := fit.MLE(m, train, valid, fit.Config{Steps: 1 << 30, BatchSize: 256, LearningRate: 3e-3,
			Schedule: "constant", EvalEvery: 200, CheckpointDir: ckdir, MaxDuration: min(time.Minute, left),
			Seed: uint64(calls + 1),
			OnEval: func(p fit.Progress) {
				lastNLL = p.ValidNLL
				if p.Step > callStep { // each call resumes from the best checkpoint's step
					steps += p.Step - callStep
				}
				callStep = p.Step
				if hwmMark < 0 && time.Since(start) >= mark {
					hwmMark, rssMark, heapMark = report(fmt.Sprintf("mark (%v)", mark))
				}
				if time.Since(lastReport) >= time.Minute {
					report("progress")
					lastReport = time.Now()
				}
				if time.Since(lastSide) < 30*time.Second {
					return
				}
				lastSide = time.Now()
				// The side traffic of a notebook: save, verify, reload, sample, evaluate, trace.
				if err := fit.SaveCheckpoint(m.Store, side, p.Step, 2); err != nil {
					b.Fatal(err)
				}
				if _, err := fit.LoadModel(reload, side); err != nil {
					b.Fatal(err)
				}
				if _, err := reload.SampleRows(1000, nil); err != nil {
					b.Fatal(err)
				}
				if _, _, err := reload.SampleWithTemperature(500, 0.7, nil); err != nil {
					b.Fatal(err)
				}
				if _, err := reload.Trace(valid[:256], nil); err != nil {
					b.Fatal(err)
				}
				saves++
			}})
		if err != nil {
			b.Fatal(err)
		}
		calls++
		if res.Skipped > 0 {
			logf("MLE call %d skipped %d non-finite steps: %v", calls, res.Skipped, res.NonFinite)
		}
		if math.IsNaN(lastNLL) {
			b.Fatalf("validation NLL went NaN after %d steps", steps)
		}
	}
	b.StopTimer()
	hwm, rss, heap := report("end")
	growth := 100 * float64(hwm-hwmMark) / float64(hwmMark)
	logf("peak RSS (VmHWM) %d kB at %v, %d kB at the end (%v): %+.2f%%; VmRSS %d -> %d kB; Go heap %d -> %d kB; %.0f steps/s",
		hwmMark, mark, hwm, total, growth, rssMark, rss, heapMark/1024, heap/1024, float64(steps)/time.Since(start).Seconds())
	b.ReportMetric(float64(hwmMark), "VmHWM-mark-kB")
	b.ReportMetric(float64(hwm), "VmHWM-end-kB")
	b.ReportMetric(growth, "VmHWM-growth-%")
	if hwmMark > 0 && growth >= 5 {
		b.Errorf("peak RSS grew %.2f%% between %v and %v (criterion: < 5%%)", growth, mark, total)
	}
}
