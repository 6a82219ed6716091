#!/usr/bin/env bash
# Crash-loop, corruption and disk-full checks of a real immutad (Sources/immuta-crashcheck).
# Exits non-zero when a check fails; the seed it prints repeats a run.
#
#   scripts/crashcheck.sh                        the short run: 20 kill cycles, 16 damages, disk-full
#   scripts/crashcheck.sh --long                 300 kill cycles, 400 damages
#   scripts/crashcheck.sh kill --cycles 50 --seed 42
#   scripts/crashcheck.sh corrupt --damages 100 --dir /var/tmp/cc   (the directory must not be tmpfs)
#
# Every argument goes to immuta-crashcheck (see its --help). The disk-full scenario mounts a
# tmpfs and needs root; without it that scenario is reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product immutad
swift build --product immutactl
swift build --product immuta-crashcheck
exec .build/debug/immuta-crashcheck "$@"
