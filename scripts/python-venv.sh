#!/usr/bin/env bash
# Make sure `$1 -m venv` works. Debian's python3 ships without ensurepip (venv creation
# then fails); install Debian's python3-venv with apt, as scripts/components.sh installs
# the test components. Any other interpreter without venv support is reported, not patched.
set -euo pipefail
python=${1:-python3}

if "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$python has no ensurepip/venv and apt-get is not available: install the venv module for $python" >&2
  exit 1
fi
version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
echo "installing python3-venv (python$version-venv) from Debian: $python lacks ensurepip"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  python3-venv "python$version-venv" >/dev/null
"$python" -c 'import ensurepip, venv'
