#!/bin/sh
# Install everything bundlefs needs to build, test and benchmark on Debian 12, as root.
# Usage: tools/install-deps.sh [--test]
#   (no flag)  build + run dependencies, and what tools/demo.sh runs a Linux bundle with
#              (busybox-static for its rootfs, runc)
#   --test     also what the test suite needs (criterion, a private Docker engine,
#              python3-jsonschema for the OCI validator, valgrind,
#              Go and its bbolt package to cross-check the BoltDB reader)
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="meson ninja-build pkg-config gcc libfuse3-dev fuse3 libjansson-dev libbsd-dev libmd-dev jq python3 busybox-static runc"
if [ "${1:-}" = "--test" ]; then
    pkgs="$pkgs libcriterion-dev docker.io python3-jsonschema valgrind clang libclang-rt-14-dev hyperfine time golang-go golang-github-coreos-bbolt-dev debhelper lintian man-db systemd"
fi
need=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $need
fi
