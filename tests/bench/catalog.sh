#!/usr/bin/env bash
# Runs every built-in scenario many times and prints how many runs passed and how long
# they took: 1000 runs of each scenario whose run takes under 100 ms, 100 of the others.
# With --load, two CPU-bound processes keep both cores busy meanwhile.
#
#   tests/bench/catalog.sh [--load] [FAST_RUNS] [SLOW_RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."

load=0
if [ "${1:-}" = "--load" ]; then load=1; shift; fi
fast=${1:-1000}
slow=${2:-100}

cargo build --release -q
bin=target/release/stickylab

hogs=()
if [ "$load" = 1 ]; then
  for _ in 1 2; do
    ( end=$((SECONDS + 3600)); while [ $SECONDS -lt $end ]; do :; done ) &
    hogs+=($!)
  done
  trap 'kill "${hogs[@]}" 2>/dev/null || true' EXIT
fi

printf '%-24s %6s %8s %10s %10s\n' scenario runs passed wall_s per_run_ms
for name in $($bin list | awk '{print $1}'); do
  # The fastest of three runs decides whether the scenario is fast (FAST_RUNS runs) or
  # slow (SLOW_RUNS): a run's own wall time, without the process start.
  probe=$($bin run "$name" --repeat 3 --seed 1 --format json | tail -n 1 || true)
  one_us=$(printf '%s' "$probe" | python3 -c 'import json,sys; print(json.load(sys.stdin)["wall_min_us"])')
  runs=$fast
  if [ "$one_us" -ge 100000 ]; then runs=$slow; fi
  start=$(date +%s%N)
  summary=$($bin run "$name" --repeat "$runs" --seed 1 --format json | tail -n 1 || true)
  wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  passed=$(printf '%s' "$summary" | python3 -c 'import json,sys; d = json.load(sys.stdin); print(d.get("passed_runs", int(d["passed"])))')
  awk -v n="$name" -v r="$runs" -v p="$passed" -v w="$wall_ms" \
    'BEGIN { printf "%-24s %6d %8d %10.1f %10.2f\n", n, r, p, w / 1000, w / r }'
done
