// Package docker holds flowkit's Docker images, which have no Go code of their own:
//
//   - Dockerfile: Debian 12 with Go, Jupyter from Debian's packages, this repository, the GoNB
//     kernel, echarts and the notebooks, serving Jupyter on port 8888 with a token;
//   - Dockerfile.cuda: the same with GoMLX's XLA backend on NVIDIA GPUs (GOMLX_BACKEND=xla:cuda),
//     its PJRT plugin installed at build time by ./xlainstall when the network is available.
//
// Both install everything by running scripts/setup.sh, the script `make setup` runs. No
// Docker engine runs where flowkit is tested, so the test of this package parses both files
// with BuildKit's Dockerfile parser and checks them: valid instructions, base images pinned by
// tag, the shared set-up script, a non-root user, the exposed port and a health check. Build
// and run commands are in README.md.
package docker
