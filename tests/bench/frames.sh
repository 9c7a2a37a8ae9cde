#!/usr/bin/env bash
# Many small frames: N json-header frames of 64 body bytes, `send frame` by the client
# and `recv frame` by the server in one `repeat`, against the tutorials' framing in
# Python (tests/bench/frames.py: struct.pack('<i') header length + JSON header with
# total_size + body, one send() per frame; the receiver's recv loop parses them), in
# turns, ROUNDS times; prints the medians of frames per second (the whole command:
# N / wall time), peak RSS, and the ratios.
#
#   tests/bench/frames.sh [N] [ROUNDS]     # default 200000 and 5
#   BIN=/path/to/stickylab tests/bench/frames.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-200000}
rounds=${2:-5}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  bin=${CARGO_TARGET_DIR:-target}/release/stickylab
else
  bin=$BIN
fi
here=tests/bench
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat > "$dir/frames.lab" <<LAB
timeout: 60s
server: listen
client: connect
server: accept
repeat $n {
  client: send frame json-header bytes 64
  server: recv frame json-header
}
client: close
server: recv 1024 => eof
LAB

measure() { timeout 300 python3 "$here/measure.py" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { python3 -c "print(round($n / $1))"; }

jw=() jr=() tw=() tr=() pw=() pr=()
for _ in $(seq "$rounds"); do
  read -r w m < <(measure /dev/null -- "$bin" run "$dir/frames.lab" --format json)
  jw+=("$w"); jr+=("$m")
  read -r w m < <(measure /dev/null -- "$bin" run "$dir/frames.lab")
  tw+=("$w"); tr+=("$m")
  read -r w m < <(measure /dev/null -- python3 "$here/frames.py" "$n" --terse)
  pw+=("$w"); pr+=("$m")
done
mjw=$(median "${jw[@]}"); mtw=$(median "${tw[@]}"); mpw=$(median "${pw[@]}")
mb() { python3 -c "print(round($1 / 1024))"; }
echo "$n json-header frames of 64 bytes, median of $rounds:"
printf '  %-18s %8s %10s %8s\n' "" "wall s" "msgs/s" "RSS MB"
printf '  %-18s %8s %10s %8s\n' "stickylab json" "$mjw" "$(rate "$mjw")" "$(mb "$(median "${jr[@]}")")"
printf '  %-18s %8s %10s %8s\n' "stickylab table" "$mtw" "$(rate "$mtw")" "$(mb "$(median "${tr[@]}")")"
printf '  %-18s %8s %10s %8s\n' "python framing" "$mpw" "$(rate "$mpw")" "$(mb "$(median "${pr[@]}")")"
python3 -c "print(f'  stickylab json / python   {$mpw / $mjw:.2f} (speed)')"
python3 -c "print(f'  stickylab table / python  {$mpw / $mtw:.2f} (speed)')"
echo "  (all: json ${jw[*]}; table ${tw[*]}; python ${pw[*]})"
