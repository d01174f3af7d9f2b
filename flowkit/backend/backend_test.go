package backend

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestDefaultIsPureGo(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := Config(); got != "go" {
		t.Fatalf("Config() = %q, want %q", got, "go")
	}
	b, err := New()
	if err != nil {
		t.Fatalf("New(): %v", err)
	}
	if b.String() != "go" {
		t.Fatalf("default backend is %q, want the pure-Go backend", b.Name())
	}
	if !strings.HasPrefix(Name(b), "go (") {
		t.Errorf("Name(b) = %q", Name(b))
	}
}

func TestGoOptionsPassThrough(t *testing.T) {
	t.Setenv(EnvVar, "go:ops_sequential")
	b, err := New()
	if err != nil || b.String() != "go" {
		t.Fatalf("New() with go:ops_sequential = %v, %v", b, err)
	}
}

func TestUnknownBackendIsAnError(t *testing.T) {
	_, err := NewWithConfig("tpu-of-dreams")
	if err == nil || !strings.Contains(err.Error(), "unknown backend") || !strings.Contains(err.Error(), "go") {
		t.Fatalf("want an 'unknown backend' error listing the available ones, got %v", err)
	}
}

// TestXLAWithoutPluginFailsFast checks that asking for XLA on a machine without its PJRT plugin
// returns an error that says how to install it, within seconds, and never downloads anything.
func TestXLAWithoutPluginFailsFast(t *testing.T) {
	t.Setenv(EnvVar, "xla:cpu")
	t.Setenv(AutoInstallEnv, "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	start := time.Now()
	b, err := New()
	elapsed := time.Since(start)
	if err == nil {
		// A machine that has the plugin: then XLA must really work.
		t.Logf("XLA plugin present here: %s", Name(b))
		return
	}
	if elapsed > 10*time.Second {
		t.Errorf("XLA failure took %s, want < 10s", elapsed)
	}
	for _, want := range []string{"PJRT", "FLOWKIT_XLA_AUTO_INSTALL", "unset GOMLX_BACKEND"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestSharedIsOneBackend(t *testing.T) {
	t.Setenv(EnvVar, "")
	a, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	if MustShared() != a {
		t.Fatal("Shared returned two different backends")
	}
}

func TestDefaultPoolIsWidened(t *testing.T) {
	t.Setenv(EnvVar, "")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("parallelism=%d", MinWorkers)
	if !strings.Contains(b.Description(), want) {
		t.Fatalf("default Go backend: %q, want %s", b.Description(), want)
	}
	b, err = NewWithConfig("go:parallelism=3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Description(), "parallelism=3") {
		t.Fatalf("an explicit parallelism was overridden: %q", b.Description())
	}
}

// TestManyConcurrentMatMulsFinish runs a graph with 24 independent large matrix products, the
// shape that hung GoMLX's default 4-slot pool (every slot held by a product waiting for a free
// slot to fan out into), 20 times. It must finish, with the right numbers.
func TestManyConcurrentMatMulsFinish(t *testing.T) {
	config := cmp.Or(os.Getenv("FLOWKIT_POOL_TEST_CONFIG"), "go") // e.g. go:parallelism=4 to see the hang
	b, err := NewWithConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	const branches, n = 24, 128
	exec, err := graph.NewExec(b, func(x *graph.Node) *graph.Node {
		sum := graph.ScalarZero(x.Graph(), x.DType())
		for i := range branches {
			y := graph.Dot(graph.AddScalar(x, float64(i)), x).Product()
			sum = graph.Add(sum, graph.ReduceAllSum(y))
		}
		return sum
	})
	if err != nil {
		t.Fatal(err)
	}
	ones := make([][]float32, n)
	for i := range ones {
		ones[i] = make([]float32, n)
		for j := range ones[i] {
			ones[i][j] = 1.0 / n
		}
	}
	x := tensors.FromValue(ones)
	// (x+i)·x with x = 1/n everywhere: every entry is (1/n + i)·(1/n)·n = 1/n + i.
	want := 0.0
	for i := range branches {
		want += n * n * (1.0/n + float64(i))
	}
	results := make(chan float64)
	go func() {
		defer close(results)
		for range 20 {
			out, err := exec.Exec(x)
			if err != nil {
				t.Error(err)
				return
			}
			results <- float64(tensors.ToScalar[float32](out[0]))
		}
	}()
	deadline := time.After(2 * time.Minute)
	for runs := 0; ; runs++ {
		select {
		case v, ok := <-results:
			if !ok {
				if runs != 20 {
					t.Fatalf("%d runs, want 20", runs)
				}
				return
			}
			if math.Abs(v-want) > 1e-3*want {
				t.Fatalf("run %d: sum = %g, want %g", runs, v, want)
			}
		case <-deadline:
			t.Fatalf("backend %q: run %d of 24 concurrent matrix products did not finish within 2 minutes: "+
				"the worker pool deadlocked", config, runs)
		}
	}
}
