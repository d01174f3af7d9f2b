#!/usr/bin/env bash
# scripts/setup.sh: installs what flowkit's notebooks and tests need, on Debian 12.
#
#   1. Debian packages: Jupyter (notebook, nbconvert, client, nbclient, ipykernel) and chromium
#      (headless, for the browser test of rendered notebooks); npm too if it is missing.
#   2. The GoNB kernel and goimports, built from the versions pinned by go.mod's `tool` lines,
#      into build/bin/.
#   3. The GoNB kernel registered as "gonb" in build/jupyter/kernels/gonb (a Jupyter data dir
#      private to this checkout: the Makefile and the notebook test put it first on JUPYTER_PATH).
#   4. The echarts JavaScript from npm into build/npm, so charts render with no internet.
#
# Idempotent: each step is skipped when its result is already there, so a second run is a fast
# no-op. Runs as root, or as a user with sudo (used for apt-get only).
#
# Environment: GO (the go command; default: `go` on PATH, else /usr/local/go/bin/go),
# FLOWKIT_SKIP_APT=1 (don't touch Debian packages; for machines with Jupyter installed otherwise).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(jupyter-notebook jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel chromium)
ECHARTS_VERSION=5.6.0
BIN="$ROOT/build/bin"
JUPYTER_DATA="$ROOT/build/jupyter"
KERNEL_DIR="$JUPYTER_DATA/kernels/gonb"

did=()
skipped=()
log() { printf 'setup: %s\n' "$*"; }

# ---------------------------------------------------------------------------------------------
# 1. Debian packages.
pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  pkg_installed "$p" || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [[ "${FLOWKIT_SKIP_APT:-}" == 1 ]]; then
  skipped+=("apt (FLOWKIT_SKIP_APT=1; missing: ${missing[*]:-none})")
elif ((${#missing[@]} == 0)); then
  skipped+=("apt: ${APT_PACKAGES[*]} already installed")
else
  if [[ "$(id -u)" == 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: need root or sudo to install Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  did+=("apt: installed ${missing[*]}")
fi

# ---------------------------------------------------------------------------------------------
# 2. GoNB and goimports, at the versions go.mod pins (its `tool` lines).
GO="${GO:-$(command -v go || true)}"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
if [[ -z "$GO" ]]; then
  echo "setup: no go command found (install Go at /usr/local/go or put it on PATH)" >&2
  exit 1
fi
GO="$(readlink -f "$GO")"
GOBIN_DIR="$(dirname "$GO")"

mkdir -p "$BIN"
build_tool() { # name package
  local name="$1" pkg="$2"
  if [[ -x "$BIN/$name" && "$BIN/$name" -nt go.mod ]]; then
    skipped+=("build/bin/$name: newer than go.mod")
    return
  fi
  log "building $pkg -> build/bin/$name"
  "$GO" build -o "$BIN/$name.tmp" "$pkg"
  mv -f "$BIN/$name.tmp" "$BIN/$name"
  did+=("built build/bin/$name from $pkg")
}
build_tool gonb github.com/janpfeifer/gonb
build_tool goimports golang.org/x/tools/cmd/goimports

# ---------------------------------------------------------------------------------------------
# 3. Register the kernel. `gonb --install` writes kernel.json with an empty env; we then point
# argv[0] at build/bin/gonb (gonb copies itself into the kernel dir when the checkout lives under
# /tmp) and give the kernel a PATH where it finds go and goimports, plus GOEXPERIMENT=simd.
# It is written to a staging dir first and only replaces the registered one when it differs.
PYTHON=/usr/bin/python3
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/flowkit-kernel.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
JUPYTER_DATA_DIR="$stage" PATH="$BIN:$GOBIN_DIR:$PATH" \
  "$BIN/gonb" --install --force_deps --logtostderr 2>"$stage/install.log" || {
  cat "$stage/install.log" >&2
  echo "setup: gonb --install failed" >&2
  exit 1
}
"$PYTHON" - "$stage/kernels/gonb/kernel.json" "$BIN/gonb" "$BIN:$GOBIN_DIR" <<'PY'
import json, sys
path, gonb, pathprefix = sys.argv[1:4]
with open(path) as f:
    spec = json.load(f)
spec["argv"][0] = gonb
env = spec.get("env") or {}
env["PATH"] = pathprefix + ":${PATH}"  # jupyter_client substitutes ${PATH} from its own env
env["GOEXPERIMENT"] = "simd"          # AVX2/AVX-512 matmul in GoMLX's Go backend
spec["env"] = env
spec["display_name"] = "Go (gonb)"
with open(path, "w") as f:
    json.dump(spec, f, indent=1, sort_keys=True)
    f.write("\n")
PY
rm -f "$stage/kernels/gonb/gonb" "$stage/kernels/gonb/gonb~"
if [[ -f "$KERNEL_DIR/kernel.json" ]] && cmp -s "$stage/kernels/gonb/kernel.json" "$KERNEL_DIR/kernel.json" &&
  [[ -f "$KERNEL_DIR/logo-svg.svg" ]]; then
  skipped+=("kernel: $KERNEL_DIR/kernel.json already up to date")
else
  mkdir -p "$KERNEL_DIR"
  cp "$stage/kernels/gonb/kernel.json" "$stage/kernels/gonb/logo-svg.svg" "$KERNEL_DIR/"
  did+=("kernel: registered gonb in $KERNEL_DIR")
fi

# ---------------------------------------------------------------------------------------------
# 4. echarts from npm (viz embeds build/npm/node_modules/echarts/dist/echarts.min.js).
ECHARTS_JS="$ROOT/build/npm/node_modules/echarts/dist/echarts.min.js"
ECHARTS_PKG="$ROOT/build/npm/node_modules/echarts/package.json"
if [[ -f "$ECHARTS_JS" ]] && grep -q "\"version\": \"$ECHARTS_VERSION\"" "$ECHARTS_PKG" 2>/dev/null; then
  skipped+=("npm: echarts@$ECHARTS_VERSION already in build/npm")
else
  log "installing echarts@$ECHARTS_VERSION from npm into build/npm"
  mkdir -p "$ROOT/build/npm"
  npm install --prefix "$ROOT/build/npm" --no-audit --no-fund --loglevel=error "echarts@$ECHARTS_VERSION"
  [[ -f "$ECHARTS_JS" ]] || { echo "setup: npm did not produce $ECHARTS_JS" >&2; exit 1; }
  did+=("npm: installed echarts@$ECHARTS_VERSION into build/npm")
fi

# ---------------------------------------------------------------------------------------------
for d in "${did[@]}"; do log "done:    $d"; done
for s in "${skipped[@]}"; do log "skipped: $s"; done
log "kernel: JUPYTER_PATH=$JUPYTER_DATA jupyter kernelspec list  (the Makefile sets JUPYTER_PATH)"
