#!/usr/bin/env bash
# Install regulens into its own venv (in the runner's temp dir) and put it on the PATH.
set -euo pipefail
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/regulens-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "${REGULENS_REQUIREMENT:-regulens}"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$venv/bin" >> "$GITHUB_PATH"; fi
"$venv/bin/regulens" --version
