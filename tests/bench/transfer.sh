#!/usr/bin/env bash
# A big transfer read with `recv until eof` (1 KiB recv() calls): stickylab's table and
# JSON reports against two Python programs (tests/bench/transfer.py), for 60 MiB and
# 1 GiB, in turns, ROUNDS times; prints the median of each figure and the ratios.
#
#   tests/bench/transfer.sh [ROUNDS_60M] [ROUNDS_1G]   # default 5 and 3; 0 skips a size
#   BIN=/path/to/stickylab tests/bench/transfer.sh     # time another build
#
# The sender of 60 MiB is one `sendall bytes 60M`; the sender of 1 GiB is
# `repeat 16384 { sendall bytes 64K }`, because a value is made in memory before it is
# sent and a single 1 GiB value would take a gigabyte by itself. The Python programs
# send the same bytes the same way.
#
# Figures, per size and program:
#   wall   the whole command, process start to exit (for stickylab: the report written);
#   RSS    its peak resident set size (wait4(2) ru_maxrss, as /usr/bin/time -v);
#   loop   the recv loop alone, from the first recv() that returned bytes to the eof:
#          stickylab's from the events of one more JSON run (t_us, dur_us), Python's
#          from its clock; MB/s is 10^6 bytes per second of that loop.
# "python lab" does per recv(1024) what stickylab does: FIONREAD before and after, a
# timestamp, a record kept (1 GiB: counted, not kept, as a record of every recv would
# not fit in memory). "python plain" is a bare recv(1024) loop.
# Everything runs in a few minutes; each command is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds60=${1:-5}
rounds1g=${2:-3}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  bin=${CARGO_TARGET_DIR:-target}/release/stickylab
else
  bin=$BIN
fi
here=tests/bench
dir=$(mktemp -d)
# The JSON whose loop is timed is written to memory where there is a tmpfs for it: a
# disk's page cache can cost a slow machine more than the run it records.
jdir=$dir
if [ -d /dev/shm ] && [ -w /dev/shm ]; then jdir=$(mktemp -d -p /dev/shm); fi
trap 'rm -rf "$dir" "$jdir"' EXIT

cat > "$dir/60M.lab" <<'LAB'
timeout: 60s
server: listen
client: connect
server: accept
client: sendall bytes 60M
client: close
server: recv until eof
LAB
cat > "$dir/1G.lab" <<'LAB'
timeout: 60s
server: listen
client: connect
server: accept
repeat 16384 {
  client: sendall bytes 64K
}
client: close
server: recv until eof
LAB

measure() { timeout 300 python3 "$here/measure.py" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

bench() { # SIZE ROUNDS
  local size=$1 rounds=$2 bytes
  [ "$rounds" -gt 0 ] || return 0
  bytes=$(python3 -c "print({'60M': 60 << 20, '1G': 1 << 30}['$size'])")
  local jw=() jr=() tw=() tr=() jl=() lw=() lr=() ll=() pw=() pr=() pl=()
  local keep=() r
  [ "$size" = 1G ] && keep=(--keep-none)
  for _ in $(seq "$rounds"); do
    read -r w m < <(measure /dev/null -- "$bin" run "$dir/$size.lab" --format json)
    jw+=("$w"); jr+=("$m")
    # Once more, kept, for the loop's timing (at 60 MiB only: the JSON of 1 GiB is
    # 1.4 GB).
    if [ "$size" = 60M ]; then
      measure "$jdir/run.json" -- "$bin" run "$dir/$size.lab" --format json >/dev/null
      read -r s _ _ < <(python3 "$here/loop.py" < "$jdir/run.json")
      jl+=("$s")
      rm -f "$jdir/run.json"
    fi
    read -r w m < <(measure /dev/null -- "$bin" run "$dir/$size.lab")
    tw+=("$w"); tr+=("$m")
    r=$(measure "$dir/py.txt" -- python3 "$here/transfer.py" lab "$size" "${keep[@]}" \
        --terse $([ "$size" = 1G ] && echo --chunk 64K))
    read -r w m <<<"$r"; lw+=("$w"); lr+=("$m")
    read -r s _ _ < "$dir/py.txt"; ll+=("$s")
    r=$(measure "$dir/py.txt" -- python3 "$here/transfer.py" plain "$size" --terse \
        $([ "$size" = 1G ] && echo --chunk 64K))
    read -r w m <<<"$r"; pw+=("$w"); pr+=("$m")
    read -r s _ _ < "$dir/py.txt"; pl+=("$s")
  done
  local mjw mtw mlw mpw mjl mll mpl
  mjw=$(median "${jw[@]}"); mtw=$(median "${tw[@]}")
  mlw=$(median "${lw[@]}"); mpw=$(median "${pw[@]}")
  mll=$(median "${ll[@]}"); mpl=$(median "${pl[@]}")
  mbs() { python3 -c "print(round($bytes / $1 / 1e6))"; }
  mb() { python3 -c "print(round($1 / 1024))"; }
  echo "$size read with recv until eof (1 KiB recvs), median of $rounds:"
  printf '  %-22s %8s %8s %8s %10s\n' "" "wall s" "MB/s" "RSS MB" "loop MB/s"
  local lab_loop="-"
  if [ "${#jl[@]}" -gt 0 ]; then mjl=$(median "${jl[@]}"); lab_loop=$(mbs "$mjl"); fi
  printf '  %-22s %8s %8s %8s %10s\n' "stickylab json" "$mjw" "$(mbs "$mjw")" \
    "$(mb "$(median "${jr[@]}")")" "$lab_loop"
  printf '  %-22s %8s %8s %8s %10s\n' "stickylab table" "$mtw" "$(mbs "$mtw")" \
    "$(mb "$(median "${tr[@]}")")" "-"
  printf '  %-22s %8s %8s %8s %10s\n' "python lab" "$mlw" "$(mbs "$mlw")" \
    "$(mb "$(median "${lr[@]}")")" "$(mbs "$mll")"
  printf '  %-22s %8s %8s %8s %10s\n' "python plain" "$mpw" "$(mbs "$mpw")" \
    "$(mb "$(median "${pr[@]}")")" "$(mbs "$mpl")"
  echo "  table wall / json wall          $(ratio "$mtw" "$mjw")"
  if [ "$lab_loop" != "-" ]; then
    echo "  stickylab loop / python lab loop    $(ratio "$mll" "$mjl") (speed)"
    echo "  stickylab loop / python plain loop  $(ratio "$mpl" "$mjl") (speed)"
  fi
  echo "  stickylab json wall / python lab wall   $(ratio "$mlw" "$mjw") (speed)"
  echo "  stickylab table wall / python lab wall  $(ratio "$mlw" "$mtw") (speed)"
  echo "  (all: json ${jw[*]}; table ${tw[*]}; python lab ${lw[*]}; plain ${pw[*]})"
}

bench 60M "$rounds60"
bench 1G "$rounds1g"
