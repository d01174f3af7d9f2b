#!/usr/bin/env bash
# scripts/gomlx-next.sh: what moving flowkit to a newer GoMLX would give (issue 12's evaluation).
#
#   scripts/gomlx-next.sh                          # GoMLX v0.28.16 with Go go1.27.3
#   GOMLX_NEXT=v0.28.12 scripts/gomlx-next.sh
#   GOMLX_NEXT_STEPS=500 scripts/gomlx-next.sh     # longer timed runs
#
# flowkit is pinned to GoMLX v0.28.6 (Go 1.26). GoMLX v0.28.9 and later need Go 1.27, which the
# module proxy serves as a toolchain (GOTOOLCHAIN=go1.27.3, about 76 MB on first use). This
# script copies the committed tree (git archive HEAD) to a temporary folder, upgrades GoMLX
# there (go get; nothing in this checkout changes), builds everything, runs the benchmark suite
# (cmd/flowbench, speed only) and then flowkit's unit tests, and prints both. The results are
# appended to build/bench/results-gomlx-next.jsonl of this checkout, beside `make bench`'s.
#
# Compare with the pinned version on the same machine at the same time:
#   GOEXPERIMENT=simd go run ./cmd/flowbench
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
next=${GOMLX_NEXT:-v0.28.16}
steps=${GOMLX_NEXT_STEPS:-200}
export GOTOOLCHAIN=${GOMLX_NEXT_TOOLCHAIN:-go1.27.3}
export GOEXPERIMENT=${GOEXPERIMENT-simd}

work=$(mktemp -d "${TMPDIR:-/tmp}/flowkit-gomlx-next.XXXXXX")
trap 'rm -rf "$work"' EXIT
git -C "$root" archive HEAD | tar -x -C "$work"
mkdir -p "$root/build/bench"
cd "$work"

echo "== GoMLX $next with $GOTOOLCHAIN in $work"
go get "github.com/gomlx/gomlx@$next" 2>&1 | grep -E 'gomlx|compute' || true
grep -E '^go |gomlx/(gomlx|compute) ' go.mod
go build ./...

echo
echo "== benchmark suite (speed only, $steps timed steps per configuration)"
go run ./cmd/flowbench -steps "$steps" -out "$root/build/bench/results-gomlx-next.jsonl"

echo
echo "== flowkit's unit tests against GoMLX $next"
go test -count=1 ./flowkit/... 2>&1 | grep -E '^(ok|FAIL|--- FAIL|panic)' || true
echo
echo "(the pinned version passes all of these: GOEXPERIMENT=simd go test ./flowkit/...; there,"
echo " bench's TestPinnedGoMLXIsGoMod fails by design: the copy's go.mod no longer says v0.28.6)"
exit 0
