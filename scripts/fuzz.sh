#!/usr/bin/env bash
# scripts/fuzz.sh: runs every `go test -fuzz` target of flowkit for FUZZTIME each.
#
#   FUZZTIME=5m scripts/fuzz.sh                   # all targets, 5 minutes each (the default)
#   FUZZTIME=30s FUZZ_PKGS=./flowkit/transformer scripts/fuzz.sh
#   FUZZ_TARGETS='^FuzzRQSpline$' scripts/fuzz.sh  # only targets matching a regexp
#   FUZZ_KEEP=16 scripts/fuzz.sh                   # also copy 16 new corpus entries per target
#                                                  # into <pkg>/testdata/fuzz/<Target>/ to commit
#
# Environment: FUZZTIME (a go duration or Nx, default 5m), FUZZ_PKGS (package dirs, default
# every package under flowkit/ holding a Fuzz function), FUZZ_TARGETS (regexp on target names,
# default all), FUZZ_PARALLEL (fuzz workers, default GOMAXPROCS), FUZZ_MINIMIZE (time spent
# minimizing each new corpus entry or crasher, default 2s: GoMLX's kernels make many inputs
# "interesting", and Go's default of 60s each would leave little time to fuzz), FUZZ_LOGDIR
# (default build/fuzz: one log per target), FUZZ_KEEP (default 0). Crashers are written by Go to
# <pkg>/testdata/fuzz/<Target>/: fix the bug and keep the file, so `go test` (and `make test`)
# re-runs it with the seed corpus. The summary lists, per target, the executions and the time.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5m}
export GOEXPERIMENT=${GOEXPERIMENT-simd}
GO=${GO:-go}
LOGDIR=${FUZZ_LOGDIR:-build/fuzz}
KEEP=${FUZZ_KEEP:-0}
mkdir -p "$LOGDIR"
if [[ -n "${FUZZ_PKGS:-}" ]]; then
	pkgs=$FUZZ_PKGS
else
	pkgs=$(grep -l --include='*_test.go' -r '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' flowkit | xargs -r -n1 dirname | sort -u | sed 's|^|./|')
fi
cache=$($GO env GOCACHE)/fuzz
status=0
summary=()
for pkg in $pkgs; do
	targets=$(grep -h --include='*_test.go' -r -o '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' "$pkg" | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | sort -u)
	for t in $targets; do
		if [[ -n "${FUZZ_TARGETS:-}" ]] && ! [[ $t =~ $FUZZ_TARGETS ]]; then
			continue
		fi
		log="$LOGDIR/$(basename "$pkg")_$t.log"
		echo "== $pkg $t for $FUZZTIME (log $log)"
		if $GO test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "${FUZZ_MINIMIZE:-2s}" \
			${FUZZ_PARALLEL:+-parallel "$FUZZ_PARALLEL"} "$pkg" >"$log" 2>&1; then
			result=ok
		else
			result=FAIL
			status=1
			tail -n 30 "$log"
		fi
		last=$(grep -E '^fuzz: elapsed' "$log" | tail -n 1 || true)
		summary+=("$result $pkg $t: ${last#fuzz: }")
		echo "   $result ${last#fuzz: }"
		if [[ $KEEP -gt 0 ]]; then
			src="$cache/$($GO list "$pkg")/$t"
			dst="$pkg/testdata/fuzz/$t"
			if [[ -d $src ]]; then
				mkdir -p "$dst"
				# The newest entries the fuzzer found interesting, not already kept.
				ls -t "$src" | head -n "$KEEP" | while read -r f; do
					[[ -e "$dst/$f" ]] || cp "$src/$f" "$dst/$f"
				done
				echo "   kept $(ls "$dst" | wc -l) corpus entries in $dst"
			fi
		fi
	done
done
echo
echo "fuzz summary (FUZZTIME=$FUZZTIME):"
printf '  %s\n' "${summary[@]}"
exit $status
