package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/datasets"
	"github.com/flowkit/flowkit/flowkit/glow"
)

// TestTrainResumeAndRefuse runs a tiny training (14×14 digits, one level of one step) for 6
// steps, resumes it to 9 with a final evaluation of the whole test set, and checks the folder:
// config, checkpoints, the curve (one row per evaluation, across both runs), the summary with
// the test bits/dim; a different architecture on the same folder is refused, and bad flags are
// usage errors.
func TestTrainResumeAndRefuse(t *testing.T) {
	if _, err := datasets.MNISTDir(); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	dir := t.TempDir()
	base := []string{"-dir", dir, "-size", "14", "-levels", "1", "-depth", "1", "-hidden", "4", "-minutes", "0",
		"-eval-every", "3", "-eval-images", "20", "-train-images", "300", "-batch", "16", "-warmup", "2"}
	var out, errs bytes.Buffer
	if code := run(append(base, "-steps", "6", "-final-eval=false"), &out, &errs); code != 0 {
		t.Fatalf("first run: exit %d: %s\n%s", code, errs.String(), out.String())
	}
	if !strings.Contains(out.String(), "stopped (steps) at step 6") {
		t.Fatalf("first run output:\n%s", out.String())
	}
	out.Reset()
	if code := run(append(base, "-steps", "9"), &out, &errs); code != 0 {
		t.Fatalf("resumed run: exit %d: %s\n%s", code, errs.String(), out.String())
	}
	if !strings.Contains(out.String(), "resumed from step 6") || !strings.Contains(out.String(), "test set:") {
		t.Fatalf("resumed run output:\n%s", out.String())
	}
	curve, err := glow.ReadCurveCSV(filepath.Join(dir, glow.CurveFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(curve) != 3 || curve[0].Step != 3 || curve[2].Step != 9 {
		t.Fatalf("curve %+v", curve)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 9 || sum.ResumedFrom != 6 || sum.TestImages != 10000 || !(sum.TestBPD > 0 && sum.TestBPD < 9) || math.IsNaN(sum.TestBPD) {
		t.Fatalf("summary %+v", sum)
	}
	m, step, err := glow.Load(dir)
	if err != nil || step != 9 || m.Config.Event[0] != 14 {
		t.Fatalf("glow.Load: step %d, err %v", step, err)
	}
	errs.Reset()
	if code := run([]string{"-dir", dir, "-size", "14", "-levels", "1", "-depth", "2", "-steps", "1"}, &out, &errs); code != 1 ||
		!strings.Contains(errs.String(), "another model") {
		t.Fatalf("another architecture on the same folder: exit %d, %q", code, errs.String())
	}
	for _, bad := range [][]string{{"-size", "20"}, {"-minutes", "0"}, {"-nosuchflag"}, {"extra"}} {
		errs.Reset()
		if code := run(bad, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, code, errs.String())
		}
	}
}
