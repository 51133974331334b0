#!/bin/sh
# The main job on a fresh Debian 12 machine, as root: install, build, generate a demo
# Windows data-root and show what bundlefs serves for it.
#   tools/demo.sh [DEMO_DIR]        (default /tmp/bundlefs-demo)
# Until the FUSE front end lands (fs issue) the demo prints through bundlefsctl, which
# prints exactly the bytes the filesystem will serve; the command name stays the same.
set -eu
cd "$(dirname "$0")/.."
demo=${1:-/tmp/bundlefs-demo}

tools/install-deps.sh
if [ -d build ]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build >/dev/null
fi
ninja -C build >/dev/null

root=$demo/data-root
rm -rf "$root"
mkdir -p "$demo"
tools/gen-dataroot --containers 12 --images 4 --layers 3-8 --seed 2016 --quiet "$root"
ctl=build/tools/bundlefsctl

echo "== demo data-root: $root"
echo
echo "== bundlefsctl $root containers   (id, name, image, layers)"
$ctl "$root" containers
echo
echo "== bundlefsctl $root images"
$ctl "$root" images
for id in $($ctl "$root" containers | cut -f1 | head -n 3); do
    echo
    echo "== bundlefsctl $root layerpaths $id"
    $ctl "$root" layerpaths "$id"
done
echo
id=$($ctl "$root" containers | cut -f1 | head -n 1)
echo "== the same, as the Windows host sees it (--hostroot='C:\\ProgramData\\docker')"
$ctl --hostroot='C:\ProgramData\docker' "$root" layerpaths "$id"
echo
echo "== bundlefsctl $root config $id   (OCI runtime-spec 1.3.0)"
$ctl "$root" config "$id"
echo
echo "== bundlefsctl --compact $root createoptions $id"
$ctl --compact "$root" createoptions "$id"
echo
