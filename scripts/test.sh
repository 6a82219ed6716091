#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2 "$@"
