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
#
# Two counts a row. `per_frame`: as the program runs. `no_rep`: with glibc told not to use
# `rep movsb`/`rep stosb` in memcpy/memset (GLIBC_TUNABLES below): callgrind counts each
# iteration of a `rep` instruction, i.e. one instruction a byte, so by default a large copy
# costs ~1 instruction a byte and a copy below glibc's threshold (e.g. 8 KiB) ~0.1: the
# readers' counts then depend on how large their reads are (lenframe reads up to 256 KiB from
# the in-memory source, asynchronous-codec 8 KiB), not on the work per frame. The hardware
# moves the same bytes either way.
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

NO_REP="glibc.cpu.x86_rep_movsb_threshold=1000000000:glibc.cpu.x86_rep_stosb_threshold=1000000000"

# count SIZE FRAMES MODE [TUNABLES]
count() {
  GLIBC_TUNABLES="${4:-}" ARGS="$1 $2 $3" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

per() { python3 -c "print(f'{($1 - $2) / $3:.1f}')"; }

printf '%-8s %-10s %10s %16s %12s %10s\n' size mode frames instructions per_frame no_rep
for size in "${SIZES[@]}"; do
  frames=$(frames_for "$size")
  base=$(count "$size" "$frames" none)
  base_nr=$(count "$size" "$frames" none "$NO_REP")
  for mode in "${MODES[@]}"; do
    ir=$(count "$size" "$frames" "$mode")
    ir_nr=$(count "$size" "$frames" "$mode" "$NO_REP")
    printf '%-8s %-10s %10s %16s %12s %10s\n' "$size" "$mode" "$frames" "$((ir - base))" \
      "$(per "$ir" "$base" "$frames")" "$(per "$ir_nr" "$base_nr" "$frames")"
  done
done
