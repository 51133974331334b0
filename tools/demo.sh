#!/bin/sh
# The main job on a fresh Debian 12 machine, as root: install, build, then show bundlefs with
# ordinary tools, on two generated data-roots:
#  1. Linux: an overlay2 data-root whose image layers hold a static busybox; one container's
#     bundle is run with runc exactly as Docker's runtime would get it: its root filesystem
#     mounted with the served `mountopts` at the served root.path, `runc run` of MNT/<id>, the
#     output printed, then the rootfs unmounted and runc's state removed;
#  2. Windows: a windowsfilter data-root of 12 containers, its files shown.
#   tools/demo.sh [DEMO_DIR]        (default /tmp/bundlefs-demo)
# Both filesystems stay mounted (DEMO_DIR/linux/mnt, DEMO_DIR/mnt) for you to explore; the last
# lines say how to unmount them. Running the demo again first undoes what the previous run left
# (its runc containers, mounts under DEMO_DIR). On any failure everything this run started is
# undone (trap) and the status is not 0.
set -eu
demo=$(realpath -m "${1:-/tmp/bundlefs-demo}")
cd "$(dirname "$0")/.."
t0=$(date +%s)

lx=$demo/linux
lroot=$lx/data-root lmnt=$lx/mnt runc_root=$lx/runc
root=$demo/data-root mnt=$demo/mnt

# -- cleanup ---------------------------------------------------------------------------------
done_ok=0 fuse_started="" rootfs="" runc_name="" runc_pid="" cg_before=""

cgroup_dirs() { ls -d /sys/fs/cgroup/docker /sys/fs/cgroup/*/docker 2>/dev/null || true; }

unmount_fuse() {
    fusermount3 -u "$1" 2>/dev/null || umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || true
}

# runc containers of a runc root: killed and deleted; then the root itself removed.
runc_forget() { # RUNC_ROOT
    [ -d "$1" ] || return 0
    for n in $(runc --root "$1" list -q 2>/dev/null); do
        runc --root "$1" delete -f "$n" >/dev/null 2>&1 || true
    done
    rm -rf "$1"
}

# cgroups runc made for the container and left empty (its parent /docker), when they were not
# there before this run.
cgroups_forget() {
    for d in $(cgroup_dirs); do
        case " $cg_before " in *" $d "*) ;; *) rmdir "$d" 2>/dev/null || true ;; esac
    done
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$runc_pid" ]; then
        kill "$runc_pid" 2>/dev/null || true
        wait "$runc_pid" 2>/dev/null || true
    fi
    if [ -n "$runc_name" ]; then
        runc --root "$runc_root" delete -f "$runc_name" >/dev/null 2>&1 || true
        runc_forget "$runc_root"
    fi
    cgroups_forget
    if [ -n "$rootfs" ]; then
        umount "$rootfs" 2>/dev/null || umount -l "$rootfs" 2>/dev/null || true
        rmdir "$rootfs" 2>/dev/null || true
    fi
    if [ "$done_ok" != 1 ]; then
        for m in $fuse_started; do unmount_fuse "$m"; done
        [ "$rc" -ne 0 ] || rc=1
        echo "demo: failed (status $rc); what this run started is undone" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# What a previous run left: its runc containers, then every mount under DEMO_DIR, deepest
# first (overlay rootfs, then the bundlefs mounts); never rm -rf across a mount.
undo_previous() {
    runc_forget "$runc_root"
    findmnt -rn -o TARGET,FSTYPE | awk -v p="$demo/" 'index($1, p) == 1' | sort -r |
        while read -r target fstype; do
            case $fstype in
            fuse*) unmount_fuse "$target" ;;
            *) umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true ;;
            esac
        done
    if findmnt -rn -o TARGET | grep -qF "$demo/"; then
        echo "demo: mounts under $demo are still there:" >&2
        findmnt -rn -o TARGET | grep -F "$demo/" >&2
        exit 1
    fi
}

# -- install, build --------------------------------------------------------------------------
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

undo_previous
rm -rf "$root" "$lroot"
mkdir -p "$mnt" "$lmnt"

# -- 1. Linux: overlay2, busybox, runc -------------------------------------------------------
tools/gen-dataroot --driver overlay2 --busybox /bin/busybox --containers 6 --images 2 \
    --layers 2-4 --seed 2016 --quiet "$lroot"
# Daemonizes once mounted; errors (bad data-root, bad option) are printed here, exit 1.
build/fs/bundlefs "$lroot" "$lmnt"
fuse_started="$lmnt"

echo "== Linux: $lroot (a synthetic overlay2 host: 6 containers on 2 busybox images)"
echo "== mounted: build/fs/bundlefs $lroot $lmnt"
echo
echo "== ls -l $lmnt/by-name"
ls -l "$lmnt/by-name"
id=$(build/tools/bundlefsctl "$lroot" resolve busybox-demo)
bundle=$lmnt/$id
echo
echo "== ls -l $bundle/"
ls -l "$bundle/"
echo
echo "== jq over $bundle/config.json    (what Docker 20.10 hands to runc)"
jq -r '{args: .process.args[0:2], user: .process.user, env: .process.env, cwd: .process.cwd,
        root: .root, hostname, cgroupsPath: .linux.cgroupsPath,
        mounts: [.mounts[].destination], namespaces: [.linux.namespaces[].type]}
       | to_entries[] | "  \(.key): \(.value | tojson)"' "$bundle/config.json"
echo
echo "== cat $bundle/mountopts"
cat "$bundle/mountopts"
echo
rootfs=$(jq -r .root.path "$bundle/config.json")
cgroups=""
case $(jq -r '.linux.cgroupsPath // ""' "$bundle/config.json") in *:*) cgroups=--systemd-cgroup ;; esac
echo "== the bundle run with runc:"
echo "   cd $lroot/overlay2"
echo "   mkdir -p $rootfs"
echo "   mount -t overlay overlay -o \"\$(cat $bundle/mountopts)\" $rootfs"
echo "   runc --root $runc_root ${cgroups:+$cgroups }run -b $bundle busybox-demo"
cg_before=$(cgroup_dirs)
mkdir -p "$rootfs"
(cd "$lroot/overlay2" && mount -t overlay overlay -o "$(cat "$bundle/mountopts")" "$rootfs")
runc_name=bundlefs-demo-$$
mkdir -p "$runc_root"
rc=0
# In the background so that a signal to this script is handled at once (wait returns).
# shellcheck disable=SC2086 # $cgroups is one flag or none
timeout 60 runc --root "$runc_root" $cgroups run -b "$bundle" "$runc_name" \
    </dev/null >"$lx/runc.out" 2>&1 &
runc_pid=$!
wait "$runc_pid" || rc=$?
runc_pid=""
sed 's/^/    | /' "$lx/runc.out"
if [ "$rc" -ne 0 ]; then
    echo "demo: runc run failed (status $rc)" >&2
    exit 1
fi
runc --root "$runc_root" delete -f "$runc_name" >/dev/null 2>&1 || true
runc_forget "$runc_root"
runc_name=""
cgroups_forget
umount "$rootfs"
rmdir "$rootfs" # as Docker does when it unmounts
rootfs=""
echo "   (runc's state removed, rootfs unmounted and its mount point removed)"
echo
echo "== jq over every Linux container: name, uid:gid, TTY, command (or its error file)"
for d in "$lmnt"/by-name/*; do
    if [ -e "$d/error" ]; then
        printf '%s\terror: %s\n' "$(basename "$d")" "$(head -c 200 "$d/error")"
        continue
    fi
    printf '%s\t%s\n' "$(basename "$d")" "$(jq -r '"\(.process.user.uid):\(.process.user.gid)\t" +
        (if .process.terminal then "tty" else "-" end) + "\t" +
        (.process.args | join(" ") | gsub("\n"; "; ") | .[0:60])' "$d/config.json")"
done
echo

# -- 2. Windows: windowsfilter ---------------------------------------------------------------
tools/gen-dataroot --containers 12 --images 4 --layers 3-8 --seed 2016 --quiet "$root"
build/fs/bundlefs "$root" "$mnt"
fuse_started="$fuse_started $mnt"

echo "== Windows: $root (a synthetic Windows host: windowsfilter, 12 containers)"
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

done_ok=1
echo "demo: done in $(($(date +%s) - t0)) s (install, build, generate, mount, run)"
echo "bundlefs is still mounted at $lmnt and $mnt. Unmount them with:"
echo "    fusermount3 -u $lmnt; fusermount3 -u $mnt"
