#!/usr/bin/env bash
# Build the image's base from Debian packages, with no registry: debootstrap (minbase)
# bookworm with python3 (and python3-venv, for the build stage), then import the directory
# as localhost/regulens-base:bookworm. Needs root, debootstrap and podman (Debian packages).
set -euo pipefail
tag=${1:-localhost/regulens-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if podman image exists "$tag"; then echo "base image $tag: present"; exit 0; fi
for bin in debootstrap podman; do
  command -v "$bin" >/dev/null 2>&1 || { echo "image-base: $bin is missing (apt-get install debootstrap podman)" >&2; exit 1; }
done
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror"
# what a base needs at run time is python3; drop the package caches and docs
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/locale/*
tar -C "$root" -c . | podman import --change 'CMD ["/usr/bin/python3"]' - "$tag"
echo "base image $tag: imported"
