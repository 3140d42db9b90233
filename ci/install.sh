#!/usr/bin/env bash
# Install regulens into its own venv (in the runner's temp dir) and put it on the PATH.
set -euo pipefail
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/regulens-venv"
python3 -m venv "$venv"
# default: the action's own checkout (GITHUB_ACTION_PATH), built from source
requirement=${REGULENS_REQUIREMENT:-${GITHUB_ACTION_PATH:?set REGULENS_REQUIREMENT (a pip requirement or wheel)}}
"$venv/bin/python" -m pip install --quiet "$requirement"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$venv/bin" >> "$GITHUB_PATH"; fi
"$venv/bin/regulens" --version
