#!/bin/sh
# The main job on a fresh Debian 12 machine, as root: install, build, generate a demo
# Windows data-root, mount it with bundlefs, and show what a user sees.
#   tools/demo.sh [DEMO_DIR]        (default /tmp/bundlefs-demo)
# Leaves the filesystem mounted; the last lines say how to unmount.
set -eu
cd "$(dirname "$0")/.."
demo=${1:-/tmp/bundlefs-demo}

tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

root=$demo/data-root
mnt=$demo/mnt
if mountpoint -q "$mnt" 2>/dev/null; then
    fusermount3 -u "$mnt"
fi
rm -rf "$root"
mkdir -p "$demo" "$mnt"
build/tools/gen-dataroot --containers 12 --images 4 --layers 3-8 --seed 2016 --quiet "$root"

build/fs/bundlefs -o auto_unmount "$root" "$mnt"
# Wait (bounded) for the mount to appear.
i=0
until mountpoint -q "$mnt"; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "demo: bundlefs did not mount $mnt" >&2
        exit 1
    fi
    sleep 0.1
done

echo "== ls $mnt"
ls "$mnt"
first=$(ls "$mnt" | grep -v '^by-name$' | head -n 1)
echo
echo "== ls -l $mnt/$first"
ls -l "$mnt/$first"
echo
echo "== ls -l $mnt/by-name | head -n 4"
ls -l "$mnt/by-name" | head -n 4
echo
echo "== cat $mnt/$first/layerpaths"
cat "$mnt/$first/layerpaths"
echo
echo "== cat $mnt/$first/config.json"
cat "$mnt/$first/config.json"
echo
echo "bundlefs is mounted on $mnt (data-root $root)."
echo "Unmount with:  fusermount3 -u $mnt"
