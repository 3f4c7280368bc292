#!/usr/bin/env bash
# Instructions per frame of tokio-util's `Framed` with `lenframe::FramedCodec`, with tokio-util's
# `LengthDelimitedCodec` (4-byte little-endian, lenframe's default layout) and with lenframe's
# drop-in `LengthDelimitedCodec`, and lenframe's own tokio `FrameWriter`/`FrameReader`
# (`tokio_*`): `SinkExt::feed` + one flush (`*_sink`) and `StreamExt::next` (`*_stream`), in
# memory, counted by callgrind.
#
#   bash scripts/callgrind_framed.sh [SIZE ...]      (default sizes: 64 4096)
#
# Builds benches/framed_callgrind.rs in release mode, runs each mode under
# `valgrind --tool=callgrind`, subtracts the `none` run (which only builds the input) and
# divides by the number of frames. `BIN=path` runs an already built binary (another commit's);
# `MODES="framed_sink ldc_sink"` picks the modes.
#
# Two columns: `per_frame` with glibc's defaults, and `per_frame_vec` with
# GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=<max>. glibc copies blocks over 2 KiB with
# `rep movsb` (up to its non-temporal threshold), and callgrind counts each byte `rep movsb`
# moves as an instruction, where the vector loop used for smaller blocks moves 32 bytes an
# instruction: with the defaults, a reader whose in-memory reads are large (lenframe's grow to
# 256 KiB when they come back full) is charged about one instruction per byte it reads, the
# same bytes copied in 8 KiB reads far less. The second column copies every block with the
# vector loop, so it compares the work, not the copy instruction glibc picked.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(64 4096)
read -r -a MODES <<<"${MODES:-framed_sink ldc_sink dropin_sink tokio_sink framed_stream ldc_stream dropin_stream tokio_stream}"
VEC=glibc.cpu.x86_rep_movsb_threshold=0xffffffffffffffff

bin=${BIN:-$(cargo bench --features tokio-util --bench framed_callgrind --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))$/\1/p')}
[ -x "$bin" ] || { echo "could not build benches/framed_callgrind.rs" >&2; exit 1; }

# About 16 MiB of input (and at least 10,000 frames).
frames_for() { local n=$(( (16 << 20) / ($1 + 4) )); echo $(( n < 10000 ? 10000 : n )); }

# count TUNABLES SIZE FRAMES MODE
count() {
  GLIBC_TUNABLES="$1" ARGS="$2 $3 $4" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-8s %-14s %10s %12s %14s\n' size mode frames per_frame per_frame_vec
for size in "${SIZES[@]}"; do
  frames=$(frames_for "$size")
  base=$(count "" "$size" "$frames" none)
  base_vec=$(count "$VEC" "$size" "$frames" none)
  for mode in "${MODES[@]}"; do
    ir=$(count "" "$size" "$frames" "$mode")
    ir_vec=$(count "$VEC" "$size" "$frames" "$mode")
    per=$(python3 -c "print(f'{($ir - $base) / $frames:.1f}')")
    per_vec=$(python3 -c "print(f'{($ir_vec - $base_vec) / $frames:.1f}')")
    printf '%-8s %-14s %10s %12s %14s\n' "$size" "$mode" "$frames" "$per" "$per_vec"
  done
done
