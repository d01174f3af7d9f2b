//go:build linux && amd64

// Command xlainstall installs the PJRT plugin of GoMLX's XLA backend, for docker/Dockerfile.cuda
// to run at build time:
//
//	FLOWKIT_XLA_AUTO_INSTALL=1 go run ./docker/xlainstall -plugin cuda
//
// go-xla's automatic installation (what flowkit/backend enables with FLOWKIT_XLA_AUTO_INSTALL=1)
// installs the CUDA plugin only on a machine with an NVIDIA GPU, and `docker build` has none, so
// this calls go-xla's installer directly. It installs into the directory the automatic
// installation uses (~/.local/lib/go-xla by default), so at run time, with the GPU present,
// the automatic installation finds the plugin in place and downloads nothing.
//
// Like flowkit/backend it downloads nothing unless FLOWKIT_XLA_AUTO_INSTALL=1 is set. It
// fetches the CUDA PJRT plugin and NVIDIA's libraries from the JAX and NVIDIA wheels on pypi.org
// (checking their SHA-256), or the CPU plugin from github.com/gomlx/pjrt-cpu-binaries.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/gomlx/go-xla/installer"
)

func main() {
	plugin := flag.String("plugin", "cuda", "plugin to install: cuda or cpu")
	cuda := flag.String("cuda", "13", "CUDA major version of the cuda plugin: 12 or 13 (13 needs an NVIDIA driver >= 580)")
	version := flag.String("version", "latest", "JAX release of the cuda plugin, e.g. 0.8.0, or latest")
	lib := flag.String("lib", "", "lib directory to install into, under lib/go-xla (default ~/.local/lib)")
	flag.Parse()
	if err := install(*plugin, *cuda, *version, *lib); err != nil {
		fmt.Fprintln(os.Stderr, "xlainstall:", err)
		os.Exit(1)
	}
}

func install(plugin, cuda, version, lib string) error {
	if os.Getenv(backend.AutoInstallEnv) != "1" {
		return fmt.Errorf("set %s=1 to allow downloading the PJRT plugin", backend.AutoInstallEnv)
	}
	if lib == "" {
		var err error
		if lib, err = installer.DefaultHomeLibPath(); err != nil {
			return err
		}
	}
	dir := filepath.Join(lib, "go-xla")
	switch plugin {
	case "cuda":
		if cuda != "12" && cuda != "13" {
			return fmt.Errorf("-cuda %q: want 12 or 13", cuda)
		}
		if err := installer.CudaInstall("cuda"+cuda, version, dir, false, installer.Normal); err != nil {
			return err
		}
		so := filepath.Join(dir, "nvidia", installer.NVIDIAPJRTPluginFileName)
		if _, err := os.Stat(so); err != nil {
			return fmt.Errorf("the installer finished but %s is missing: %v", so, err)
		}
		fmt.Printf("\ninstalled %s\n", so)
	case "cpu":
		if err := installer.AutoInstallPlugin("cpu", lib, false, installer.Normal); err != nil {
			return err
		}
		fmt.Printf("\ninstalled the cpu plugin under %s\n", dir)
	default:
		return fmt.Errorf("-plugin %q: want cuda or cpu", plugin)
	}
	return nil
}
