#!/usr/bin/env bash
# Runs immutad in place: installs what the build needs, builds, and serves ./data over ./immuta.sock.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
swift build --product immutad
swift build --product immutactl
exec .build/debug/immutad --data-dir ./data --socket ./immuta.sock "$@"
