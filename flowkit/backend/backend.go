// Package backend chooses the GoMLX compute backend flowkit runs on, in one place.
//
// The default is GoMLX's pure-Go backend ("go", package gobackend of github.com/gomlx/compute),
// which needs nothing installed. Build with GOEXPERIMENT=simd to enable its AVX2/AVX-512 matmul
// kernels; a plain build works too, only slower.
//
// XLA is opt-in through the environment variable GOMLX_BACKEND, e.g. GOMLX_BACKEND=xla:cpu or
// GOMLX_BACKEND=xla:cuda. flowkit never lets XLA download its PJRT plugin at run time: when the
// plugin is missing, New returns at once with an error that says how to install it.
package backend

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The pure-Go backend, the default.
	"github.com/gomlx/go-xla/compute/xla"  // XLA, opt-in through GOMLX_BACKEND.
)

// EnvVar is the environment variable that selects the backend (GoMLX's own).
const EnvVar = compute.ConfigEnvVar

// Default is the configuration used when EnvVar is unset or empty: the pure-Go backend.
const Default = "go"

// AutoInstallEnv, set to 1, lets go-xla download its PJRT plugin when XLA is requested and the
// plugin is missing. Off by default: flowkit never downloads anything unless asked to.
const AutoInstallEnv = "FLOWKIT_XLA_AUTO_INSTALL"

// Config returns the backend configuration flowkit will use: the value of GOMLX_BACKEND when set,
// Default otherwise.
func Config() string {
	if c := strings.TrimSpace(os.Getenv(EnvVar)); c != "" {
		return c
	}
	return Default
}

// New returns a new backend for the configuration Config returns.
func New() (compute.Backend, error) {
	return NewWithConfig(Config())
}

// NewWithConfig returns a new backend for config, formatted "<name>[:<options>]" as GoMLX's
// GOMLX_BACKEND is: "go", "go:ops_sequential", "xla:cpu", "xla:cuda".
//
// It never panics and never downloads anything: an unknown name or a missing XLA plugin gives an
// error saying what to do.
func NewWithConfig(config string) (b compute.Backend, err error) {
	name, _, _ := strings.Cut(config, ":")
	known := compute.List()
	found := false
	for _, k := range known {
		if k == name {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("flowkit/backend: unknown backend %q in %s=%q; available: %s",
			name, EnvVar, config, strings.Join(known, ", "))
	}
	if name == "xla" {
		// go-xla auto-installs its plugin from the internet unless told not to.
		xla.EnableAutoInstall(os.Getenv(AutoInstallEnv) == "1")
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("flowkit/backend: creating backend %q: %v", config, r)
		}
		if err != nil && name == "xla" {
			err = fmt.Errorf("%w\n%s", err, xlaHelp)
		}
	}()
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("flowkit/backend: creating backend %q: %w", config, err)
	}
	if name == "go" && !strings.Contains(config, "parallelism=") {
		widenWorkerPool(b)
	}
	return b, nil
}

// MinWorkers is the size flowkit gives the pure-Go backend's worker pool (GoMLX's default is
// 2·GOMAXPROCS) unless GOMLX_BACKEND sets "parallelism=N" itself.
//
// Why: in github.com/gomlx/compute v0.1.5 the parallel op executor runs each op as a pool task,
// and a large matrix product inside such an op fans out with the pool's Saturate, which waits for
// a free slot while holding its own. When every slot is held by a matrix product waiting that way
// (four concurrent products with the default pool on two cores), nothing ever frees a slot: the
// program hangs with no CPU use. Glow's graphs did this within seconds. With a pool of at least
// MinWorkers slots, that many matrix products would have to be ready at once, which flowkit's
// graphs never are; the cost measured on RealNVP and NSF training steps is within run-to-run noise
// of the default pool. GOMLX_BACKEND=go:ops_sequential avoids the problem entirely, at up to half
// the speed on graphs with many independent element-wise ops (NSF).
const MinWorkers = 64

// widenWorkerPool raises the Go backend's pool to at least MinWorkers slots. The pool lives in an
// internal package of github.com/gomlx/compute, reachable only through the backend's exported
// Workers field, hence reflection; any change of that layout leaves the pool as it is.
func widenWorkerPool(b compute.Backend) {
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	w := v.Elem().FieldByName("Workers")
	if !w.IsValid() || w.IsNil() {
		return
	}
	get, set := w.MethodByName("MaxParallelism"), w.MethodByName("SetMaxParallelism")
	if !get.IsValid() || !set.IsValid() {
		return
	}
	cur := get.Call(nil)[0].Int()
	if cur >= 0 && cur < MinWorkers {
		set.Call([]reflect.Value{reflect.ValueOf(MinWorkers)})
	}
}

const xlaHelp = `flowkit/backend: the XLA backend needs its PJRT plugin, which is not installed on this machine.
  On a machine with internet access, run once with FLOWKIT_XLA_AUTO_INSTALL=1 and go-xla installs it
  (CPU plugin from github.com/gomlx/pjrt-cpu-binaries, CUDA from the JAX wheels), or point
  PJRT_PLUGIN_LIBRARY_PATH at the folder holding pjrt_c_api_cpu_plugin.so (or the CUDA one).
  Or unset GOMLX_BACKEND to use the pure-Go backend, which needs nothing installed.`

var (
	sharedOnce sync.Once
	shared     compute.Backend
	sharedErr  error
)

// Shared returns one process-wide backend, created by New on first use. Notebooks, tests and
// the command line share it so compiled graphs and buffer pools are reused.
func Shared() (compute.Backend, error) {
	sharedOnce.Do(func() { shared, sharedErr = New() })
	return shared, sharedErr
}

// MustShared is Shared for programs and notebooks that cannot go on without a backend: it panics
// with Shared's error.
func MustShared() compute.Backend {
	b, err := Shared()
	if err != nil {
		panic(err)
	}
	return b
}

// Name returns the backend's name and description, e.g. "go (Go Portable Backend)".
func Name(b compute.Backend) string {
	return fmt.Sprintf("%s (%s)", b.String(), b.Description())
}
