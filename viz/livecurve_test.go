package viz_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowkit/flowkit/viz"
)

func TestLiveCurveThrottlesRendering(t *testing.T) {
	var mu sync.Mutex
	var displayed []string
	updates := map[string][]string{}
	defer viz.SetNotebookHooks(true,
		func(h string) { mu.Lock(); displayed = append(displayed, h); mu.Unlock() },
		func(id, h string) { mu.Lock(); updates[id] = append(updates[id], h); mu.Unlock() })()
	viz.ResetEchartsInjection()

	lc := viz.NewLiveCurve("Training").WithInterval(200 * time.Millisecond).WithYName("bits/dim")
	for step := range 5000 {
		lc.Add(step, "train", 1/float64(step+1))
		if step%100 == 0 {
			lc.Add(step, "validation", 1.1/float64(step+1))
		}
	}
	if n := lc.Renders(); n < 1 || n > 3 {
		t.Errorf("%d renders for 5000 quick Adds with a 200ms interval, want 1 to 3", n)
	}
	time.Sleep(400 * time.Millisecond) // the timer draws the points added meanwhile.
	rendered := lc.Renders()
	if rendered < 2 {
		t.Errorf("%d renders after the interval, want the pending points drawn", rendered)
	}
	if err := lc.Close(); err != nil {
		t.Fatal(err)
	}
	lc.Add(5000, "train", 0)
	time.Sleep(250 * time.Millisecond)
	if n := lc.Renders(); n != rendered+1 {
		t.Errorf("%d renders after Close and one more Add, want %d", n, rendered+1)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(updates) != 1 {
		t.Fatalf("updated %d output blocks, want 1", len(updates))
	}
	if len(displayed) != 1 || !strings.Contains(displayed[0], "Apache ECharts") {
		t.Errorf("want echarts in one persistent output before the live block, got %d outputs", len(displayed))
	}
	for _, blocks := range updates {
		last := blocks[len(blocks)-1]
		if strings.Contains(last, "Apache ECharts") || len(last) > 200_000 {
			t.Errorf("live block carries %d bytes; it must stay small", len(last))
		}
		// The final render holds the last train point (x 4999) and validation.
		if !strings.Contains(last, "[4999,") || !strings.Contains(last, `"validation"`) || !strings.Contains(last, "bits/dim") {
			t.Error("final render misses the last points, a series or the y name")
		}
	}
	curves := lc.Curves()
	if len(curves) != 2 || len(curves[0].X) != 5001 || len(curves[1].X) != 50 {
		t.Errorf("Curves() kept %d series", len(curves))
	}
}

func TestLiveCurveOutsideNotebookKeepsData(t *testing.T) {
	calls := 0
	defer viz.SetNotebookHooks(false, func(string) { calls++ }, func(string, string) { calls++ })()
	lc := viz.NewLiveCurve("NLL")
	for step := range 10 {
		lc.Add(step, "train", float64(10-step))
	}
	if err := lc.Close(); err != nil {
		t.Fatal(err)
	}
	if calls != 0 || lc.Renders() != 0 {
		t.Errorf("outside a notebook: %d outputs, %d renders; want none", calls, lc.Renders())
	}
	if c := lc.Curves(); len(c) != 1 || len(c[0].Y) != 10 || c[0].Y[9] != 1 {
		t.Errorf("Curves() = %v", c)
	}
	h, err := lc.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, `"train"`) {
		t.Error("HTML() has no train series")
	}
}
