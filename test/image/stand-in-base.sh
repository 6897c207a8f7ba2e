#!/usr/bin/env bash
# Makes a stand-in of the Dockerfile's base image (node:20-bookworm-slim) without a registry: Debian
# bookworm from Debian's mirror (debootstrap, cached) plus this machine's node and npm at the paths
# the node image uses, and its unprivileged user `node` (uid/gid 1000). Prints the image name.
# Needs root, debootstrap and buildah. Cache: $ZTS_IMAGE_CACHE (default ~/.cache/zego-token-service).
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

cache="${ZTS_IMAGE_CACHE:-$HOME/.cache/zego-token-service}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
rootfs="$cache/debootstrap-bookworm"
node_bin="$(command -v node)"
node_version="$("$node_bin" --version)"
image="localhost/zts-node-stand-in:${node_version#v}"

if buildah inspect --type image "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

mkdir -p "$cache"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs.partial"
  debootstrap --variant=minbase bookworm "$rootfs.partial" "$mirror" >&2
  rm -rf "$rootfs.partial"/var/cache/apt/archives/*.deb "$rootfs.partial"/var/lib/apt/lists/*
  mv "$rootfs.partial" "$rootfs"
fi

npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
ctr="$(buildah from scratch)"
trap 'buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
mnt="$(buildah mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
install -D -m 0755 "$node_bin" "$mnt/usr/local/bin/node"
mkdir -p "$mnt/usr/local/lib/node_modules"
cp -a "$npm_dir" "$mnt/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
# This machine's extra CA certificates (e.g. a TLS-inspecting proxy on the way to the npm registry),
# so npm in the stand-in reaches the registry as npm here does; the real node image needs none.
extra_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$mnt/usr/local/share/zts-stand-in/extra-ca.crt"
  extra_ca=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/zts-stand-in/extra-ca.crt)
fi
chroot "$mnt" groupadd --gid 1000 node
chroot "$mnt" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="${node_version#v}" "${extra_ca[@]}" \
  --cmd node \
  --label org.opencontainers.image.description="stand-in for node:20-bookworm-slim (tests only)" \
  "$ctr" >&2
buildah commit --quiet "$ctr" "$image" >&2
echo "$image"
