#!/usr/bin/env bash
# Checks that every `exclude_re` entry of .cargo/mutants.toml (an equivalent mutant, named by
# file:line:col) still names exactly one mutant. An entry goes stale silently when the code
# above it moves: it then matches nothing, and the mutant it meant is tested again (and shows
# up as missed) while the entry stays; or it matches a different mutant than the one its reason
# is about. This lists every mutant of the crate with the config's other settings but without
# the exclusions (`cargo mutants --list`: parses the source, no build, about a second) and fails,
# naming the entry, when an entry matches no mutant or more than one.
#
#   bash scripts/check_mutant_exclusions.sh      (also: MUTANTS_CHECK=1 bash .ci/mutants)
#
# Needs cargo-mutants (.ci/mutants installs the version it uses) and python3 (3.11+: tomllib).
# Python's `re` is used for the match; the entries use only the syntax it shares with the
# regex crate cargo-mutants uses (escapes, literals).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=.cargo/mutants.toml
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The config without `exclude_re`, every other top-level key as it is (features, skip_calls,
# globs, ...: whatever changes the list of mutants). JSON values are valid TOML here (strings,
# numbers, booleans, arrays of strings).
python3 - "$CONFIG" "$work/config.toml" <<'EOF'
import json, sys, tomllib
with open(sys.argv[1], "rb") as f:
    config = tomllib.load(f)
with open(sys.argv[2], "w") as out:
    for key, value in config.items():
        if key == "exclude_re":
            continue
        if isinstance(value, dict):
            sys.exit(f"check_mutant_exclusions: table [{key}] in {sys.argv[1]} not handled")
        out.write(f"{key} = {json.dumps(value)}\n")
EOF

cargo mutants --list --config "$work/config.toml" >"$work/mutants.txt"

python3 - "$CONFIG" "$work/mutants.txt" <<'EOF'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    entries = tomllib.load(f).get("exclude_re", [])
with open(sys.argv[2]) as f:
    mutants = f.read().splitlines()
bad = 0
for entry in entries:
    matched = [m for m in mutants if re.search(entry, m)]
    if len(matched) != 1:
        bad += 1
        print(f"STALE ({len(matched)} mutants): {entry}", file=sys.stderr)
        for m in matched:
            print(f"    matches {m}", file=sys.stderr)
print(f"check_mutant_exclusions: {len(entries)} entries in {sys.argv[1]}, {len(mutants)} mutants "
      f"listed, {bad} stale")
if bad:
    print("each entry must name exactly one mutant (file:line:col: description); find the "
          "mutant its reason is about in `cargo mutants --list` and update the line and column "
          "(docs/testing.md, Mutation testing)", file=sys.stderr)
    sys.exit(1)
EOF
