#!/usr/bin/env bash
# The runner `.ci/mutants` gives cargo for the test binaries of a mutation run at unit speed
# (CARGO_TARGET_<host>_RUNNER): it runs the binary with a CPU-time limit, so that a mutant
# that makes a test spin (a loop that never ends and never waits) is stopped after
# MUTANTS_TEST_CPU_LIMIT seconds of CPU (default 5) and counts as caught, instead of holding
# its slot for the whole wall-clock timeout. CPU time, unlike wall time, does not grow when the
# machine is busy, so a slow but honest run is not cut off by it: the unmutated `--lib` run
# takes 0.5 to 0.75 s of CPU (the two core tests it skips left out), and `.ci/mutants` fails the run when the baseline's CPU time
# (appended to MUTANTS_CPU_LOG, one line a run, as `times` prints it) is more than a quarter of
# the limit.
# A mutant that hangs without using the CPU (waiting forever) still ends at cargo-mutants'
# wall-clock timeout.
limit="${MUTANTS_TEST_CPU_LIMIT:-5}"
ulimit -c 0
ulimit -t "$limit"
status=0
"$@" || status=$?
# `times` prints the shell's own times, then its children's (the test binary's); not in a pipe
# or `$(...)`, whose subshell has no children.
times_file="$(mktemp)"
times >"$times_file"
cpu="$(sed -n 2p "$times_file")"
rm -f "$times_file"
if [ -n "${MUTANTS_CPU_LOG:-}" ]; then
  echo "$cpu" >>"$MUTANTS_CPU_LOG"
fi
# Killed (SIGKILL at the hard limit, SIGXCPU at the soft one) after using up the limit.
if { [ "$status" = 137 ] || [ "$status" = 152 ]; } &&
  echo "$cpu" | sed 's/m/ /g; s/s//g' |
  awk -v limit="$limit" '{ exit !($1 * 60 + $2 + $3 * 60 + $4 >= limit - 0.5) }'; then
  echo "mutants_test_runner: stopped by the CPU-time limit (${limit} s of CPU)" >&2
fi
exit "$status"
