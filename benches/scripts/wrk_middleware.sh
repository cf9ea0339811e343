#!/usr/bin/env bash
# Throughput of a hello-world axum route with and without the tollgate layer,
# measured with wrk (Debian package `wrk`) over 127.0.0.1.
#
#   benches/scripts/wrk_middleware.sh [ROUNDS] [SECONDS]
#
# The server is pinned to CPU 0 and wrk to CPU 1 (when there are two), so the
# ratio measures the server's work rather than how the scheduler shares cores
# between server and load generator. Modes run interleaved, round by round,
# so drift on a shared VM hits every mode alike; the median per mode is
# reported, then each mode's ratio against `bare`.
set -euo pipefail

rounds=${1:-5}
seconds=${2:-5}
port=38471
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
cargo build --quiet --release -p tollgate-benches --example hello_server
server=target/release/examples/hello_server

pin_server=() pin_wrk=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi

declare -A results
modes=(bare context protected)
for ((r = 1; r <= rounds; r++)); do
  for mode in "${modes[@]}"; do
    "${pin_server[@]}" "$server" "$port" "$mode" &
    pid=$!
    for _ in $(seq 50); do
      (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
      sleep 0.1
    done
    rps=$("${pin_wrk[@]}" wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:$port/hello" |
      awk '/Requests\/sec/ {print $2}')
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    results[$mode]+="$rps "
    echo "round $r $mode $rps"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(echo "${results[bare]}" | median)
for mode in "${modes[@]}"; do
  m=$(echo "${results[$mode]}" | median)
  awk -v mode="$mode" -v m="$m" -v b="$base" \
    'BEGIN {printf "%-10s median %10.0f req/s  ratio %.3f  (loss %.1f %%)\n", mode, m, m / b, (1 - m / b) * 100}'
done
