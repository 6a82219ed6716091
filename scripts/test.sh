#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test target, then a short
# budget of protocol fuzzing (scripts/fuzz.sh runs the long ones).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
swift build --build-tests
source scripts/test-phases.sh
run_test_phases --skip-build --parallel --num-workers 2 "$@"
# Every saved fuzzer input (seeds and past crashes) still decodes without a trap.
.build/debug/immuta-fuzz-decoder Tests/FuzzCorpus/decoder
# 100,000 random and mutated frames over 50 connections to a live immutad, while a well-behaved
# client produces and reads back; fails on a crash, a hang or a failed check.
scripts/fuzz.sh network 100000
# The short crash check: 20 SIGKILL cycles under fsync producers and group consumers, damaged
# segment and offset files, and a full disk, all against a real immutad (about a minute).
scripts/crashcheck.sh
