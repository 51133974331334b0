#!/bin/bash
# bundlefs as mount(8) and /etc/fstab use it: `mount -t fuse.bundlefs DATAROOT MNT -o ...`,
# `mount -T FSTAB MNT` with an fstab line, `umount` ends the daemon; `kill -9` of a daemon
# mounted with auto_unmount leaves no stuck mount, and without it the documented recovery
# (fusermount3 -u, mount again) works; --help and --version; bad options and a missing
# data-root are refused with their exact message.
# mount(8) is setuid and drops PATH, so mount.fuse3's /bin/sh finds `bundlefs` only on the
# default PATH: the mount(8) part runs in a private mount namespace (unshare) where a temp dir
# holding a `bundlefs` link is bind-mounted on /usr/local/sbin; nothing outside sees it.
# Daemons started by mount(8) go to the background; they are found by their executable and
# mount point in /proc and stopped by that PID only if a test failed to unmount them.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
bfs_real=$(realpath "$BUNDLEFS")
# PIDs of bundlefs daemons serving MNT (by executable and command line).
daemon_pids() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$bfs_real" ] || continue
        tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -xF "$1" >/dev/null && echo "${p#/proc/}"
    done
    return 0
}
unmount_all() { # whatever a failed test left mounted under $work, and its daemons
    local m p
    for m in "$work"/m-*; do
        [ -d "$m" ] || continue
        if is_mounted "$m"; then umount "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || true; fi
        for p in $(daemon_pids "$m"); do kill "$p" 2>/dev/null || true; done
    done
}
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"
not_mounted() { ! is_mounted "$1"; }
no_daemon() { [ -z "$(daemon_pids "$1")" ]; }

if [ "${1:-}" = "--in-namespace" ]; then
    # Parts 1 and 2, run by the main script through `unshare --mount --propagation private`.
    work=$2 R=$3 id=$4
    trap unmount_all EXIT
    mount --bind "$work/bin" /usr/local/sbin
    [ "$(command -v bundlefs)" = /usr/local/sbin/bundlefs ] || bad "bundlefs is not /usr/local/sbin/bundlefs in the namespace"
# 1. mount -t fuse.bundlefs, options through mount.fuse3
M=$work/m-t
mkdir -p "$M"
if mount -t fuse.bundlefs "$R" "$M" -o ro,spec=windowsoci,isolation=hyperv 2>"$work/err"; then ok "mount -t fuse.bundlefs"; else bad "mount -t fuse.bundlefs: $(cat "$work/err")"; fi
same "mount -t: fstype" "fuse.bundlefs" "$(findmnt -n -M "$M" -o FSTYPE)"
same "mount -t: source" "$R" "$(findmnt -n -M "$M" -o SOURCE)"
same "mount -t: options reach the daemon (windowsoci, hyperv)" \
    "$("$BUNDLEFSCTL" --spec=windowsoci --isolation=hyperv "$R" config "$id" 2>&1)" "$(cat "$M/$id/config.json" 2>&1)"
same "mount -t: createoptions" \
    "$("$BUNDLEFSCTL" --isolation=hyperv "$R" createoptions "$id" 2>&1)" "$(cat "$M/$id/createoptions.json" 2>&1)"
[ -n "$(daemon_pids "$M")" ] && ok "mount -t: daemon runs in the background" || bad "mount -t: no daemon process for $M"
umount "$M" && ok "umount" || bad "umount $M"
poll_until 10 "umount: daemon exits" no_daemon "$M" || bad "daemon of $M still running after umount"

# 2. mount -T FSTAB MNT: the line a user puts in /etc/fstab
M=$work/m-fstab
mkdir -p "$M"
printf '# test fstab\n%s %s fuse.bundlefs ro,noauto,compact,spec=oci,cpus=2,allow_other 0 0\n' "$R" "$M" >"$work/fstab"
if mount -T "$work/fstab" "$M" 2>"$work/err"; then ok "mount -T fstab"; else bad "mount -T fstab: $(cat "$work/err")"; fi
same "fstab: options reach the daemon (compact, cpus=2)" \
    "$("$BUNDLEFSCTL" --compact --cpus=2 "$R" config "$id" 2>&1)" "$(cat "$M/$id/config.json" 2>&1)"
case ",$(findmnt -n -M "$M" -o FS-OPTIONS)," in *,allow_other,*) ok "fstab: allow_other" ;; *) bad "fstab: no allow_other: $(findmnt -n -M "$M" -o FS-OPTIONS)" ;; esac
umount "$M" && ok "umount (fstab)" || bad "umount $M"
poll_until 10 "umount (fstab): daemon exits" no_daemon "$M" || bad "daemon of $M still running after umount"

    echo "fs-mount (mount namespace): $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi

work=$(mktemp -d /tmp/bf-fsmount-XXXXXX)
cleanup() {
    mount_cleanup
    unmount_all
    rm -rf "$work"
}
trap cleanup EXIT
R=$work/root
"$gen" --quiet --seed 41 --containers 4 --images 2 --layers 2-3 "$R"
# a container whose windowsoci config.json exists (network mode nat has none without a store)
id=""
for c in $("$BUNDLEFSCTL" "$R" containers | cut -f1); do
    if "$BUNDLEFSCTL" --spec=windowsoci --isolation=hyperv "$R" config "$c" >/dev/null 2>&1; then id=$c; break; fi
done
[ -n "$id" ] || { echo "FAIL: no container with a windowsoci config.json (test data)"; exit 1; }
mkdir -p "$work/bin"
ln -s "$bfs_real" "$work/bin/bundlefs"

# --help, --version
out=$("$BUNDLEFS" --version 2>/dev/null) && ok "--version exits 0" || bad "--version failed: $out"
if grep -x 'bundlefs [0-9][0-9.]*' <<<"$out" >/dev/null; then ok "--version: $(grep -x 'bundlefs [0-9.]*' <<<"$out")"; else bad "--version: no 'bundlefs VERSION' line: $out"; fi
out=$("$BUNDLEFS" --help 2>&1) && ok "--help exits 0" || bad "--help failed"
for o in spec= isolation= hostroot= driver= compact credspec-registry= cpus= allow_other auto_unmount; do
    case $out in *"$o"*) ok "--help mentions $o" ;; *) bad "--help does not mention $o" ;; esac
done

# 1, 2: mount(8) in a private mount namespace (see the top)
if unshare --mount --propagation private "$0" --in-namespace "$work" "$R" "$id"; then ok "mount -t and mount -T (namespace part)"; else
    bad "mount -t and mount -T (namespace part)"; fi

# 3. kill -9 with auto_unmount: the mount goes away by itself
M=$work/m-kill
mount_start "$M" "$R" -o auto_unmount
pid=$MOUNT_PID
same "auto_unmount: mounted and serving" "$("$BUNDLEFSCTL" "$R" layerpaths "$id")" "$(cat "$M/$id/layerpaths" 2>&1)"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
if poll_until 10 "kill -9 with auto_unmount: unmounted" not_mounted "$M"; then ok "kill -9: no stuck mount"; else
    bad "kill -9 with auto_unmount: $M still mounted"
    fusermount3 -u -z "$M" || true
fi
mount_stop "$M"
# the mount point is usable again
mount_start "$M" "$R"
same "remount after kill -9" "$("$BUNDLEFSCTL" "$R" layerpaths "$id")" "$(cat "$M/$id/layerpaths" 2>&1)"
mount_stop_clean "$M" && ok "daemon exited cleanly" || bad "daemon exit"

# 4. kill -9 without auto_unmount: the documented recovery (README) works.
M=$work/m-recover
mount_start "$M" "$R"
pid=$MOUNT_PID
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
same "kill -9 without auto_unmount: the mount point says so" \
    "ls: cannot access '$M': Transport endpoint is not connected" "$(ls "$M" 2>&1)"
fusermount3 -u "$M" && ok "recovery: fusermount3 -u" || bad "recovery: fusermount3 -u failed"
not_mounted "$M" && ok "recovery: unmounted" || bad "recovery: still mounted"
mount_stop "$M"
mount_start "$M" "$R"
same "recovery: mounted again" "$("$BUNDLEFSCTL" "$R" layerpaths "$id")" "$(cat "$M/$id/layerpaths" 2>&1)"
mount_stop_clean "$M" && ok "daemon exited cleanly" || bad "daemon exit"

# 5. Bad input: the daemon refuses to mount with an exact message and leaves nothing mounted.
M=$work/m-bad
mkdir -p "$M"
refused() { # MESSAGE ARGS... (the whole output must be MESSAGE: one message, not two)
    local want=$1
    shift
    if timeout 20 "$BUNDLEFS" -f "$@" "$M" >"$work/out" 2>&1; then
        bad "bundlefs $*: exit 0"
    else
        same "bundlefs $*: refused" "$want" "$(cat "$work/out")"
    fi
    if is_mounted "$M"; then bad "bundlefs $*: left a mount"; fusermount3 -u "$M" || true; fi
}
refused "bundlefs: -o spec must be oci or windowsoci, not 'bogus'" -o spec=bogus "$R"
refused "bundlefs: -o isolation must be process or hyperv, not 'bogus'" -o isolation=bogus "$R"
refused "bundlefs: -o cpus must be at least 1" -o cpus=0 "$R"
refused "bundlefs: -o cpus must be a whole number up to 65536, not 'x'" -o cpus=x "$R"
refused "bundlefs: -o timeout must be a whole number up to 86400, not '-1'" -o timeout=-1 "$R"
refused "bundlefs: -o watch_timeout must be a whole number up to 86400, not '86401'" -o watch_timeout=86401 "$R"
# a number that does not parse is one message (it once read the value uninitialised and could
# add "must be at least 1")
refused "bundlefs: -o trust must be a whole number up to 3600000, not 'x'" -o trust=x "$R"
refused "bundlefs: -o cache must be a whole number up to 1048576, not 'x'" -o cache=x "$R"
refused "bundlefs: -o cache must be at least 1 (MiB)" -o cache=0 "$R"
refused "bundlefs: -o trust must be at least 1" -o trust=0 "$R"
refused "bundlefs: $work/nonexistent: No such file or directory" "$work/nonexistent"
echo "fs-mount: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
