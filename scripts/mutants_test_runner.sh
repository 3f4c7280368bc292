#!/usr/bin/env bash
# The runner `.ci/mutants` gives cargo for the test binaries of a mutation run
# (CARGO_TARGET_<host>_RUNNER): it runs the binary with a CPU-time limit, so that a mutant
# that makes a test spin (a loop that never ends and never waits) is stopped after
# MUTANTS_TEST_CPU_LIMIT seconds of CPU (default 10) and counts as caught, instead of holding
# its slot for the whole wall-clock timeout. CPU time, unlike wall time, does not grow when the
# machine is busy, so a slow but honest run is never cut off by it (the unmutated `--lib` run
# takes 0.6 s of CPU). A mutant that hangs without using the CPU (waiting forever) still ends
# at cargo-mutants' wall-clock timeout.
ulimit -c 0
ulimit -t "${MUTANTS_TEST_CPU_LIMIT:-10}"
exec "$@"
