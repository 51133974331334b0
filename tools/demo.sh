#!/bin/sh
# The main job on a fresh Debian 12 machine, as root: install, build, generate a demo
# Windows data-root, mount it with bundlefs and show what it serves, with ordinary tools.
#   tools/demo.sh [DEMO_DIR]        (default /tmp/bundlefs-demo)
# The filesystem stays mounted at DEMO_DIR/mnt for you to explore; the last lines say how to
# unmount it. Running the demo again unmounts the previous one first.
set -eu
cd "$(dirname "$0")/.."
demo=${1:-/tmp/bundlefs-demo}

tools/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build >/dev/null
fi
mkdir -p "$demo"
if ! ninja -C build > "$demo/build.log" 2>&1; then
    cat "$demo/build.log"
    echo "demo: the build failed (log above)" >&2
    exit 1
fi

root=$demo/data-root
mnt=$demo/mnt
if mountpoint -q "$mnt" 2>/dev/null || grep -qs " $mnt fuse" /proc/mounts; then
    fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
fi
rm -rf "$root"
mkdir -p "$demo" "$mnt"
tools/gen-dataroot --containers 12 --images 4 --layers 3-8 --seed 2016 --quiet "$root"

# Daemonizes once mounted; errors (bad data-root, bad option) are printed here, exit 1.
build/fs/bundlefs "$root" "$mnt"

echo "== demo data-root: $root (a synthetic Windows host: windowsfilter, 12 containers)"
echo "== mounted: build/fs/bundlefs $root $mnt"
echo
echo "== ls -l $mnt"
ls -l "$mnt"
echo
echo "== ls -l $mnt/by-name"
ls -l "$mnt/by-name"
id=$(ls "$mnt" | grep -v by-name | head -n 1)
short=$(printf %.12s "$id")
echo
echo "== ls -l $mnt/$short/    (an ID prefix works as docker's does)"
ls -l "$mnt/$short/"
echo
echo "== cat $mnt/$id/layerpaths"
cat "$mnt/$id/layerpaths"
echo
echo "== cat $mnt/$id/config.json    (OCI runtime-spec 1.3.0, windows section)"
cat "$mnt/$id/config.json"
echo
echo "== jq over every container: name, isolation, layer count"
for d in "$mnt"/by-name/*; do
    printf '%s\t%s\t%s\n' "$(basename "$d")" \
        "$(jq -r 'if .windows.hyperv then "hyperv" else "process" end' "$d/config.json" 2>/dev/null || echo '-')" \
        "$(wc -l < "$d/layerpaths")"
done
echo
echo "== the same container as a Windows host's runtime sees it:"
echo "   build/fs/bundlefs -o hostroot='C:\\ProgramData\\docker',spec=windowsoci $root MNT"
echo
echo "bundlefs is still mounted at $mnt. Unmount it with:"
echo "    fusermount3 -u $mnt"
