#!/usr/bin/env bash
# `run hello-world --repeat N` against its Python baseline (tests/bench/hello_world.py,
# one thread and one thread per actor), interleaved in one run so that both see the same
# machine, ROUNDS times; prints each figure's median and the ratios.
#
#   tests/bench/repeat.sh [RUNS] [ROUNDS]
#   BIN=/path/to/other/stickylab tests/bench/repeat.sh   # compare another build too
#
# Runs per second are the runs divided by the command's wall time (process start
# included), so a figure is what a user waits for.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-2000}
rounds=${2:-7}

cargo build --release -q
bin=target/release/stickylab
other=${BIN:-}

rate() { # command... -> runs per second of `runs` runs
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  python3 -c "print(round($runs / (($end - $start) / 1e9)))"
}

lab=() ; base=() ; py=() ; pyt=()
for _ in $(seq "$rounds"); do
  lab+=("$(rate "$bin" run hello-world --repeat "$runs" --seed 1 --format json)")
  if [ -n "$other" ]; then
    base+=("$(rate "$other" run hello-world --repeat "$runs" --seed 1 --format json)")
  fi
  py+=("$(rate python3 tests/bench/hello_world.py "$runs")")
  pyt+=("$(rate python3 tests/bench/hello_world.py "$runs" --threads)")
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_lab=$(median "${lab[@]}")
m_py=$(median "${py[@]}")
m_pyt=$(median "${pyt[@]}")
echo "hello-world --repeat $runs, median of $rounds rounds (runs/s):"
echo "  stickylab                    $m_lab   (all: ${lab[*]})"
if [ -n "$other" ]; then
  m_base=$(median "${base[@]}")
  echo "  $other  $m_base   (all: ${base[*]})"
  python3 -c "print(f'  this build / other build     {$m_lab / $m_base:.2f}')"
fi
echo "  python, one thread           $m_py   (all: ${py[*]})"
echo "  python, a thread per actor   $m_pyt   (all: ${pyt[*]})"
python3 -c "print(f'  stickylab / python           {$m_lab / $m_py:.2f}')"
python3 -c "print(f'  stickylab / threaded python  {$m_lab / $m_pyt:.2f}')"
