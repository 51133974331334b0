#!/bin/sh
# The layer paths of containers computed with a plain shell, jq and sha256sum from the
# data-root's files: what a user would script without bundlefs (tools/bench's "peer"
# baseline). Prints, for each container in order, exactly the bytes of <mnt>/<id>/layerpaths:
# one layer folder a line, top-most first.
#   tools/bench-peer-layerpaths.sh DATAROOT ID...
# config.v2.json -> Image; image config -> rootfs.diff_ids; ChainIDs (base first):
# chain[0] = diff[0], chain[i] = sha256(chain[i-1] + " " + diff[i]); each layer's folder from
# layerdb/sha256/<chain>/cache-id and the storage driver. Only the "layers" rootfs type.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: bench-peer-layerpaths.sh DATAROOT ID..." >&2
    exit 2
fi
R=$1
shift
drv=$(ls "$R/image")
case $drv in
overlay2 | vfs | windowsfilter) ;;
*)
    echo "bench-peer-layerpaths.sh: $R/image: one of overlay2, vfs, windowsfilter expected, found: $drv" >&2
    exit 1
    ;;
esac
for id in "$@"; do
    img=$(jq -r .Image "$R/containers/$id/config.v2.json")
    cfg=$R/image/$drv/imagedb/content/sha256/${img#sha256:}
    type=$(jq -r .rootfs.type "$cfg")
    if [ "$type" != layers ]; then
        echo "bench-peer-layerpaths.sh: $cfg: rootfs type $type is not handled" >&2
        exit 1
    fi
    chain="" out=""
    for diff in $(jq -r '.rootfs.diff_ids[]' "$cfg"); do
        if [ -z "$chain" ]; then
            chain=$diff
        else
            chain="sha256:$(printf '%s %s' "$chain" "$diff" | sha256sum | cut -c1-64)"
        fi
        cache=$(cat "$R/image/$drv/layerdb/sha256/${chain#sha256:}/cache-id")
        case $drv in
        overlay2) dir=$R/overlay2/$cache/diff ;;
        vfs) dir=$R/vfs/dir/$cache ;;
        windowsfilter) dir=$R/windowsfilter/$cache ;;
        esac
        out="$dir
$out"
    done
    printf '%s' "$out"
done
