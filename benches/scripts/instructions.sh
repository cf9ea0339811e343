#!/usr/bin/env bash
# Instructions per call of the decision path and of governor's keyed check,
# counted with callgrind (Debian package `valgrind`): steady on a shared VM
# where wall-clock medians are not. See examples/instructions.rs.
#
#   benches/scripts/instructions.sh [N]     # default 20000
#
# Only the `measured_*` functions are counted (callgrind's --toggle-collect):
# the setup and warm-up, where keys are created and governor's clock
# calibrates, are not.
set -euo pipefail

n=${1:-20000}
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind" >&2; exit 1; }
cargo build --quiet --release -p tollgate-benches --example instructions
bin=${CARGO_TARGET_DIR:-target}/release/examples/instructions
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() {
  valgrind --tool=callgrind --toggle-collect='*measured_*' --callgrind-out-file="$out/cg" \
    "$bin" "$1" "$2" >/dev/null 2>&1
  sed -n 's/^summary: //p' "$out/cg"
}

declare -A per_call
for mode in governor login_four_limits default_policy; do
  per_call[$mode]=$(( $(count "$mode" "$n") / n ))
  echo "$mode: ${per_call[$mode]} instructions per call"
done
for mode in login_four_limits default_policy; do
  awk -v a="${per_call[$mode]}" -v b="${per_call[governor]}" -v m="$mode" \
    'BEGIN { printf "ratio %s / governor: %.1f\n", m, a / b }'
done
