#!/usr/bin/env bash
# Runs scripts/bench-plot.py with matplotlib from PyPI, in a virtual environment of its own
# (.venv-plot, created on first use), so nothing is installed into the system's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv-plot/bin/pip ]]; then
    # Debian's python3 makes virtual environments only with python3-venv installed.
    python3 -m venv .venv-plot 2>/dev/null || {
        rm -rf .venv-plot
        apt-get update && apt-get install -y python3-venv
        python3 -m venv .venv-plot
    }
    .venv-plot/bin/pip install --quiet matplotlib
fi
exec .venv-plot/bin/python scripts/bench-plot.py "$@"
