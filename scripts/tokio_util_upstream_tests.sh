#!/usr/bin/env bash
# tokio-util's own published tests of LengthDelimitedCodec, run against lenframe's drop-in with
# only the import line changed: the proof that `lenframe::tokio_util` is a drop-in.
#
#   bash scripts/tokio_util_upstream_tests.sh
#
# The test file is not part of this repository (it is tokio-util's code, MIT-licensed, and
# stays theirs). The script has cargo download the published tokio-util crate (its .crate
# ships tests/), copies tests/length_delimited.rs into a throwaway crate under target/ that
# depends on lenframe by path, adds one import line after tokio-util's
# `use tokio_util::codec::*;` (an explicit import shadows a glob, so `LengthDelimitedCodec` and
# `length_delimited` are lenframe's while `Framed*`, `Decoder`, `Encoder` stay tokio-util's),
# and runs it. Any missing piece fails the script loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${TOKIO_UTIL_VERSION:-0.7.20}"
ROOT="$PWD"
WORK="$ROOT/target/tokio_util_upstream"
mkdir -p "$WORK/fetch/src" "$WORK/port/src" "$WORK/port/tests"

# 1. Have cargo download tokio-util $VERSION's published source into its registry cache.
cat >"$WORK/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-tokio-util"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio-util = { version = "=$VERSION", default-features = false }

[workspace]
TOML
: >"$WORK/fetch/src/lib.rs"
cargo fetch --quiet --manifest-path "$WORK/fetch/Cargo.toml"

CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
upstream=""
for dir in "$CARGO_HOME"/registry/src/*/tokio-util-"$VERSION"; do
  if [ -f "$dir/tests/length_delimited.rs" ]; then
    upstream="$dir/tests/length_delimited.rs"
    break
  fi
done
if [ -z "$upstream" ]; then
  echo "FAILED: tokio-util-$VERSION/tests/length_delimited.rs not found under $CARGO_HOME/registry/src" >&2
  echo "(cargo fetch succeeded, so the published crate may no longer ship tests/)" >&2
  exit 1
fi
echo "upstream tests: $upstream"

# 2. The throwaway crate: lenframe by path, and what tokio-util's test file uses.
cat >"$WORK/port/Cargo.toml" <<TOML
[package]
name = "tokio-util-upstream-port"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
lenframe = { path = "$ROOT", features = ["tokio-util"] }

[dev-dependencies]
bytes = "1"
futures = "0.3"
tokio = { version = "1", features = ["full"] }
tokio-test = "0.4"
tokio-util = { version = "0.7.12", features = ["codec"] }

[workspace]
TOML
: >"$WORK/port/src/lib.rs"
# lenframe's own lock first, so shared dependencies resolve (and build) as in lenframe.
cp "$ROOT/Cargo.lock" "$WORK/port/Cargo.lock"

# 3. The import change, and nothing else.
glob='use tokio_util::codec::*;'
[ "$(grep -cxF "$glob" "$upstream")" = 1 ] || {
  echo "FAILED: expected exactly one line '$glob' in $upstream" >&2
  exit 1
}
sed "s|^use tokio_util::codec::\*;\$|&\nuse lenframe::tokio_util::{length_delimited, LengthDelimitedCodec};|" \
  "$upstream" >"$WORK/port/tests/length_delimited.rs"
diff "$upstream" "$WORK/port/tests/length_delimited.rs" || true

# 4. Run, sharing lenframe's target directory so shared dependencies are built once.
log="$WORK/test.log"
if ! CARGO_TARGET_DIR="$ROOT/target" cargo test --manifest-path "$WORK/port/Cargo.toml" \
  --test length_delimited 2>&1 | tee "$log"; then
  echo "FAILED: tokio-util $VERSION's length_delimited tests against lenframe::tokio_util" >&2
  exit 1
fi
passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | tail -1)
tests=$(grep -c '^#\[test\]\|^#\[tokio::test' "$upstream" || true)
[ -n "$passed" ] && [ "$passed" -gt 0 ] && [ "$passed" = "$tests" ] || {
  echo "FAILED: $passed tests passed, $tests in the upstream file" >&2
  exit 1
}
echo "tokio-util $VERSION length_delimited tests against lenframe::tokio_util: $passed/$tests passed"
