package backend

import (
	"strings"
	"testing"
	"time"
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
