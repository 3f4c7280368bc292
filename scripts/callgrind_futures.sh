#!/usr/bin/env bash
# Instructions per frame of the futures-io adapters (`Sink::feed`, `write_frame`,
# `Stream::next`, `read_frame`) next to asynchronous-codec's `FramedWrite`/`FramedRead` with
# `LengthCodec` (`ac_sink`, `ac_stream`), counted by callgrind: deterministic, so two commits can
# be compared exactly on a busy machine.
#
#   bash scripts/callgrind_futures.sh [SIZE ...]      (default sizes: 64 4096)
#
# Builds benches/futures_callgrind.rs in release mode, runs each mode under
# `valgrind --tool=callgrind`, subtracts the `none` run (which only builds the input) and
# divides by the number of frames. MODES="sink ac_sink" picks the modes. For an older commit,
# run this script in a worktree of that commit (copy benches/futures_callgrind.rs there if it
# lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(64 4096)
read -r -a MODES <<<"${MODES:-sink ac_sink write stream ac_stream read}"

# cargo prints "Executable benches/futures_callgrind.rs (target/release/deps/...)".
bin=$(cargo bench --bench futures_callgrind --features futures-io --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))$/\1/p')
[ -x "$bin" ] || { echo "could not build benches/futures_callgrind.rs" >&2; exit 1; }

# About 16 MiB of input (8-byte headers), and at least 10,000 frames.
frames_for() { local n=$(( (16 << 20) / ($1 + 8) )); echo $(( n < 10000 ? 10000 : n )); }

count() {
  ARGS="$1 $2 $3" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-8s %-10s %10s %16s %12s\n' size mode frames instructions per_frame
for size in "${SIZES[@]}"; do
  frames=$(frames_for "$size")
  base=$(count "$size" "$frames" none)
  for mode in "${MODES[@]}"; do
    ir=$(count "$size" "$frames" "$mode")
    per=$(python3 -c "print(f'{($ir - $base) / $frames:.1f}')")
    printf '%-8s %-10s %10s %16s %12s\n' "$size" "$mode" "$frames" "$((ir - base))" "$per"
  done
done
