#!/usr/bin/env bash
# Instructions per decoded (and encoded) frame, counted by callgrind: deterministic, unlike
# wall-clock time, so a hot-path change can be measured on a busy machine.
#
#   bash scripts/callgrind_decode.sh [SIZE ...]      (default sizes: 16 4096)
#
# Builds benches/decode_callgrind.rs in release mode, then for each payload size and each
# implementation runs it under `valgrind --tool=callgrind`, counting only the instructions
# executed inside that implementation's `count_*` function (the input is built before counting
# starts), and prints them divided by the number of frames, with the ratio to the plain loop
# (decoding) or to the naive two-`put_slice` encoder (encoding).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(16 4096)
IMPLS=(plain codec_slice decoder_slice bytesmut codec_slice_net bytesmut_net codec_slice_short
  bytesmut_short encode_naive encode header)

bin=$(cargo bench --bench decode_callgrind --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "decode_callgrind" and m.get("executable"):
        print(m["executable"])')
[ -x "$bin" ] || { echo "could not build benches/decode_callgrind.rs" >&2; exit 1; }

# About 4 MiB of input (and at least 10,000 frames), so the per-call constant is negligible.
frames_for() { local n=$(( (4 << 20) / ($1 + 4) )); echo $(( n < 10000 ? 10000 : n )); }

printf '%-8s %-14s %10s %16s %12s\n' size impl frames instructions per_frame
for size in "${SIZES[@]}"; do
  frames=$(frames_for "$size")
  plain=""
  for impl in "${IMPLS[@]}"; do
    function=${impl%_net}
    function=${function%_short}
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
      "--toggle-collect=*count_${function}*" "$bin" "$impl" "$size" "$frames" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    per=$(python3 -c "print(f'{$ir / $frames:.2f}')")
    case $impl in plain | encode_naive) plain=$per ;; esac
    ratio=$(python3 -c "print(f'{$per / $plain:.2f}x')")
    printf '%-8s %-14s %10s %16s %12s  %s\n' "$size" "$impl" "$frames" "$ir" "$per" "$ratio"
  done
done
