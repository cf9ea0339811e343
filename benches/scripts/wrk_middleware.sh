#!/usr/bin/env bash
# Throughput of a hello-world axum route with and without the tollgate layer,
# measured with wrk (Debian package `wrk`) over 127.0.0.1.
#
#   benches/scripts/wrk_middleware.sh [ROUNDS] [SECONDS]
#
# Modes (see examples/hello_server.rs): `bare` (no layer), `context` (the
# layer on an unprotected route) and `protected` (the route evaluated as a
# login under the default policy). The server is pinned to CPU 0 and wrk to
# CPU 1 when there are two, so the figure is the server's work rather than
# how the scheduler shares cores between server and load generator. Modes run
# interleaved, round by round, in an order that rotates, so drift on a shared
# VM hits every mode alike; the median per mode is reported with its ratio
# against `bare`.
#
# Requests per second still move with whatever else the machine runs. When
# `perf` is installed the script also measures the server's CPU time per
# request (`perf stat -e task-clock -p`): it hardly depends on other load, so
# its ratio is the steadier estimate of the layer's cost. (Virtual machines
# usually expose no hardware counters, so instructions are not counted.)
set -euo pipefail

rounds=${1:-5}
seconds=${2:-5}
port=38471
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
cargo build --quiet --release -p tollgate-benches --example hello_server
server=${CARGO_TARGET_DIR:-target}/release/examples/hello_server
stat=$(mktemp)
trap 'rm -f "$stat"' EXIT

pin_server=() pin_wrk=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
use_perf=
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
  use_perf=1
fi

declare -A rps cpu_us
modes=(bare context protected)
for ((r = 1; r <= rounds; r++)); do
  order=("${modes[@]:r%3}" "${modes[@]:0:r%3}")
  for mode in "${order[@]}"; do
    "${pin_server[@]}" "$server" "$port" "$mode" &
    pid=$!
    for _ in $(seq 50); do
      (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
      sleep 0.1
    done
    if [ -n "$use_perf" ]; then
      perf stat -x, -e task-clock -p "$pid" -o "$stat" -- sleep "$((seconds + 1))" &
      perf_pid=$!
    fi
    out=$("${pin_wrk[@]}" wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:$port/hello")
    [ -n "$use_perf" ] && wait "$perf_pid"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    rps[$mode]+="$rate "
    line="round $r $mode: $rate req/s"
    if [ -n "$use_perf" ]; then
      requests=$(awk '/requests in/ {print $1}' <<<"$out")
      # The server idles for the second after wrk stops: that costs nothing.
      us=$(awk -F, -v n="$requests" '$3 == "task-clock" {printf "%.2f", $1 * 1000 / n}' "$stat")
      cpu_us[$mode]+="$us "
      line+=", $us µs server CPU per request"
    fi
    echo "$line"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report() { # NAME ARRAY-NAME HIGHER-IS-BETTER
  local -n values=$2
  local base m
  base=$(echo "${values[bare]}" | median)
  for mode in "${modes[@]}"; do
    m=$(echo "${values[$mode]}" | median)
    awk -v what="$1" -v mode="$mode" -v m="$m" -v b="$base" -v up="$3" 'BEGIN {
      cost = up ? (1 - m / b) : (1 - b / m)
      printf "%-24s %-10s median %12.2f  ratio to bare %.3f  (throughput cost %.1f %%)\n", what, mode, m, m / b, cost * 100 }'
  done
}
report "requests/s" rps 1
if [ -n "$use_perf" ]; then
  report "server CPU µs/request" cpu_us 0
fi
