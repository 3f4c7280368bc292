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
# Needs cargo-mutants (.ci/mutants installs the version it uses) and python3. Python's `re`
# does the matching; the entries use only the syntax it shares with the regex crate that
# cargo-mutants uses (escaped punctuation, literals).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=.cargo/mutants.toml
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The config without the `exclude_re` array, every other line as it is (features, skip_calls,
# globs, ...: whatever changes the list of mutants), and the array's entries one a line.
# tomllib reads them where Python has it (3.11+); otherwise they are read as the one-a-line
# literal strings the file uses.
python3 - "$CONFIG" "$work/config.toml" "$work/entries.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"^exclude_re\s*=\s*\[.*?^\]", text, re.S | re.M)
if not block:
    sys.exit(f"check_mutant_exclusions: no exclude_re array in {sys.argv[1]}")
with open(sys.argv[2], "w") as out:
    out.write(text[: block.start()] + text[block.end() :])
try:
    import tomllib
    entries = tomllib.loads(text)["exclude_re"]
except ImportError:
    entries = re.findall(r"^\s*'([^'\n]*)',?\s*(?:#.*)?$", block.group(0), re.M)
with open(sys.argv[3], "w") as out:
    out.writelines(entry + "\n" for entry in entries)
PY

cargo mutants --list --config "$work/config.toml" >"$work/mutants.txt"

python3 - "$CONFIG" "$work/entries.txt" "$work/mutants.txt" <<'PY'
import re, sys
with open(sys.argv[2]) as f:
    entries = f.read().splitlines()
with open(sys.argv[3]) as f:
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
PY
