#!/usr/bin/env bash
# `make promtool`: puts promtool (Prometheus's rule checker) at .venv/bin/promtool for
# tests/test_prometheus_rules.py, unless one is already on PATH.
#
# It comes from Debian's `prometheus` package, through apt: `apt-get download` fetches the .deb (~19 MB) and
# only the promtool binary is unpacked from it. Nothing is installed system-wide and no maintainer script
# runs, so no Prometheus server gets enabled on this machine. As root it runs `apt-get update` first when the
# package lists do not know the package yet.
#
# Never fails: without apt (another distribution, no network), it says so and the promtool tests skip,
# naming the missing tool. Install promtool yourself (any Prometheus release has it) to run them.
set -uo pipefail

dest="${1:-.venv/bin}"

if command -v promtool >/dev/null 2>&1; then
    exit 0
fi
if [ -x "$dest/promtool" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "promtool: not found and no apt-get here; the promtool tests will skip" >&2
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

download() {
    (cd "$work" && timeout 300 apt-get download -qq prometheus) >/dev/null 2>&1
}

if ! download && [ "$(id -u)" = 0 ]; then
    timeout 300 apt-get update -qq >/dev/null 2>&1  # bounded: a dead mirror must not hang `make test`
    download
fi
deb="$(find "$work" -maxdepth 1 -name 'prometheus_*.deb' | head -n 1)"
if [ -z "$deb" ]; then
    echo "promtool: could not download Debian's prometheus package; the promtool tests will skip" >&2
    exit 0
fi

mkdir -p "$work/root" "$dest"
if dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" ./usr/bin/promtool \
    && "$work/root/usr/bin/promtool" --version >/dev/null 2>&1; then
    install -m 0755 "$work/root/usr/bin/promtool" "$dest/promtool"
    echo "promtool: $("$dest/promtool" --version 2>&1 | head -n 1) in $dest" >&2
else
    echo "promtool: could not unpack it from $(basename "$deb"); the promtool tests will skip" >&2
fi
exit 0
