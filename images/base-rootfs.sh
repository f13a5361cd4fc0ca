#!/usr/bin/env bash
# Build a python-slim-like base image from Debian packages (debootstrap) when no registry serves python:3.12-slim.
#
#   images/base-rootfs.sh [--tag localhost/python-slim-local] [--cache-dir DIR] [--force]
#
# The rootfs tarball is cached (default /var/cache/cricket-stats/images) under a key made of this
# script's contents and the mirror, so repeated runs only re-import it (or do nothing when the image
# already carries the same key). Needs root, debootstrap and podman.
set -euo pipefail

TAG=localhost/python-slim-local
CACHE_DIR=${CRICKET_IMAGE_CACHE:-/var/cache/cricket-stats/images}
FORCE=0
SUITE=bookworm
# python3-venv gives `python3 -m venv`; pip and ca-certificates let pip reach an index from the build.
PACKAGES=python3,python3-venv,python3-pip,ca-certificates

while [[ $# -gt 0 ]]; do
  case $1 in
    --tag) TAG=$2; shift 2 ;;
    --cache-dir) CACHE_DIR=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "base-rootfs.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
done

die() { echo "base-rootfs.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (images/build.sh --ensure-tools installs it)"
command -v podman >/dev/null || die "podman is not installed (images/build.sh --ensure-tools installs it)"

# The machine's configured Debian mirror: deb822 "URIs:" or one-line "deb URL SUITE" entries.
mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(awk -v s="$SUITE" '
      /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && u != "") { print u; exit } }
      /^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^\[/) continue; else { url = $i; if ($(i+1) == s) { print url; exit } break } }
    ' "$f")
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  done
  echo http://deb.debian.org/debian
}

MIRROR=$(mirror)
KEY=$( { cat "$0"; echo "$MIRROR $SUITE $PACKAGES"; } | sha256sum | cut -c1-16)
TARBALL=$CACHE_DIR/rootfs-$SUITE-$KEY.tar

if [[ $FORCE -eq 0 ]] && [[ $(podman image inspect --format '{{index .Labels "org.cricket-stats.rootfs-key"}}' "$TAG" 2>/dev/null || true) == "$KEY" ]]; then
  echo "base-rootfs.sh: $TAG is current (rootfs key $KEY)"
  exit 0
fi

if [[ $FORCE -eq 1 || ! -s $TARBALL ]]; then
  mkdir -p "$CACHE_DIR"
  work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "base-rootfs.sh: debootstrap $SUITE from $MIRROR into $work/root"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  # What python:3.12-slim also leaves out: package lists, apt caches, docs, man pages and translations.
  rm -rf "$work/root"/var/lib/apt/lists/* "$work/root"/var/cache/apt/*.bin "$work/root"/var/cache/apt/archives/*.deb \
    "$work/root"/usr/share/doc/* "$work/root"/usr/share/man/* "$work/root"/usr/share/info/* \
    "$work/root"/usr/share/locale/* \
    "$work/root"/var/log/*.log "$work/root"/var/cache/debconf/*-old
  # The host's resolver and hostname must not be baked into the image.
  : >"$work/root/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$work/root" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$work"
  trap - EXIT
  # Keep only the current tarball: older keys are dead weight in the cache.
  find "$CACHE_DIR" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -name "$(basename "$TARBALL")" -delete
fi

echo "base-rootfs.sh: importing $TARBALL as $TAG"
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL org.cricket-stats.rootfs-key=$KEY" \
  --change "LABEL org.opencontainers.image.description=Debian $SUITE minbase with python3, venv and pip (debootstrap)" \
  "$TARBALL" "$TAG" >/dev/null
echo "base-rootfs.sh: $TAG ready (rootfs key $KEY)"
