#!/usr/bin/env bash
# Builds localhost/debian-python:bookworm (Debian bookworm + Python 3.11) with debootstrap, for
# machines that cannot pull python:3.11-slim-bookworm. Cached: does nothing when the image exists.
# Usage: bash docker/build-base.sh [IMAGE]
set -euo pipefail
IMAGE=${1:-localhost/debian-python:bookworm}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/containers.conf}

if podman image exists "$IMAGE"; then
    echo "base image $IMAGE: cached"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d /var/tmp/searchbench-base.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT

echo "base image $IMAGE: debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"

# What a slim image leaves out too: package lists and caches, docs, man pages, locales.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/cache/debconf/*-old \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/*
find "$ROOTFS"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# Keep the stock sources so apt-get works inside builds (the log shipper installs rsyslog).
tar -C "$ROOTFS" -c . | podman import \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "base image $IMAGE: built ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
