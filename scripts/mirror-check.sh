#!/usr/bin/env bash
# The mirroring tests against a real 3-node nats-server cluster on loopback (docs/MIRRORING.md).
#
#   scripts/mirror-check.sh           # the short mode the test command runs (a few minutes)
#   scripts/mirror-check.sh --long    # the fault loop: 1M records mirrored steadily, and five
#                                     # rounds of each fault (stream leader and follower kill -9,
#                                     # 15 s without quorum) over 300,000 records, ten immutad
#                                     # SIGKILLs while mirroring and ten while sourcing
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --long ]]; then
    export IMMUTA_MIRROR_LONG=1
    shift
fi
scripts/setup-deps.sh
swift build --build-tests
source scripts/test-phases.sh
swift test --skip-build --no-parallel --filter "$mirror_suites" "$@"
