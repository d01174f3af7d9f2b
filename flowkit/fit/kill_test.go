package fit_test

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowkit/flowkit/flowkit"
	"github.com/flowkit/flowkit/flowkit/elementwise"
	"github.com/flowkit/flowkit/flowkit/fit"
	"github.com/flowkit/flowkit/flowkit/transformer"
)

// killHelperEnv, when set to a folder, makes TestKillHelperProcess a training process that
// checkpoints into that folder after every step until it is killed (the os/exec pattern: the
// test binary re-executes itself).
const killHelperEnv = "FLOWKIT_FIT_KILL_HELPER"

func killFlow() *flowkit.Flow {
	return flowkit.NewFlow(flowkit.StandardNormal(2), flowkit.NewChain(
		elementwise.New(transformer.NewAffine()),
		flowkit.ReversePermute(2),
		elementwise.New(transformer.NewAffine()),
	))
}

// killData is far from the flow's initial N(0, I), so every step improves the NLL and saves.
func killData() [][]float64 {
	r := rand.New(rand.NewPCG(5, 5))
	rows := make([][]float64, 512)
	for i := range rows {
		rows[i] = []float64{100 + r.NormFloat64(), -60 + 0.5*r.NormFloat64()}
	}
	return rows
}

// TestKillHelperProcess is the training process of TestKillDuringSaveAlwaysLeavesALoadableCheckpoint.
func TestKillHelperProcess(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process for the kill test; runs only when re-executed by it")
	}
	m, err := flowkit.NewModel(killFlow())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ready := false
	_, err = fit.MLE(m, killData(), nil, fit.Config{Steps: 1 << 30, BatchSize: 64, LearningRate: 1e-2, Schedule: "constant",
		EvalEvery: 1, CheckpointDir: dir, CheckpointKeep: 2,
		OnEval: func(p fit.Progress) {
			if p.Checkpoint && !ready {
				ready = true
				fmt.Println("ready", p.Step)
			}
		}})
	fmt.Println("error", err)
	os.Exit(2)
}

// TestKillDuringSaveAlwaysLeavesALoadableCheckpoint SIGKILLs a training process that saves a
// checkpoint after every step, at a random moment, again and again in the same folder (each
// process resumes from the last one's newest checkpoint). After every kill the newest checkpoint
// must verify, fit the model, load, give a finite NLL, and be no older than before the kill.
func TestKillDuringSaveAlwaysLeavesALoadableCheckpoint(t *testing.T) {
	if os.Getenv(killHelperEnv) != "" {
		t.Skip("in the helper process")
	}
	kills := 50
	if testing.Short() {
		kills = 10
	}
	if s := os.Getenv("FLOWKIT_KILLS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			kills = n
		}
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(13, 13))
	data := killData()
	lastStep, midSave, midPrune := 0, 0, 0
	start := time.Now()
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case line := <-lines:
			if !strings.HasPrefix(line, "ready") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("kill %d: helper said %q", k, line)
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: helper never saved a checkpoint", k)
		}
		// The helper now saves continuously (a save every few milliseconds); kill it at a random
		// moment within the next 40 ms.
		time.Sleep(time.Duration(r.IntN(40_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		for range lines { // drain
		}

		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				midSave++
			}
			if strings.HasPrefix(e.Name(), ".del-") {
				midPrune++
			}
		}
		path, step, err := fit.LatestCheckpoint(dir)
		if err != nil || path == "" {
			t.Fatalf("kill %d: no checkpoint (%v)", k, err)
		}
		if step < lastStep {
			t.Fatalf("kill %d: the newest checkpoint went back from step %d to %d", k, lastStep, step)
		}
		lastStep = step
		if err := fit.VerifyCheckpoint(path); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		m, _ := flowkit.NewModel(killFlow())
		if _, err := fit.LoadModel(m, dir); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		nll, err := m.NLL(data[:64], nil)
		if err != nil || math.IsNaN(nll) || math.IsInf(nll, 0) {
			t.Fatalf("kill %d: NLL of the reloaded model %v (%v)", k, nll, err)
		}
		// Every complete checkpoint in the folder verifies, not just the newest.
		list, _ := fit.ListCheckpoints(dir)
		for _, p := range list {
			if err := fit.VerifyCheckpoint(p); err != nil {
				t.Fatalf("kill %d: older checkpoint %s: %v", k, filepath.Base(p), err)
			}
		}
	}
	t.Logf("%d kills in %v: newest checkpoint always verified and loaded; reached step %d; "+
		"kills that left a partial save (.tmp-*) %d, a partial deletion (.del-*) %d",
		kills, time.Since(start).Round(time.Millisecond), lastStep, midSave, midPrune)
	if !testing.Short() && midSave == 0 {
		t.Errorf("no kill landed during a save: the test did not exercise what it claims")
	}
}
