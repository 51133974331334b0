#!/bin/bash
# Hostile data-root served through the mount: containers whose config is a link out of R,
# whose hostconfig.json is a FIFO (with a writer blocked on it) or a device node, whose
# config.v2.json is a 2 GiB sparse file, whose layer's cache-id climbs out with "..", plus a
# directory named like no container. The mount must list every real container, serve each
# attacked one's `error` file exactly as `bundlefsctl errors` prints it and fail its other
# files with EIO at once (10 s bound: nothing blocks), serve the untouched container byte for
# byte, never open the FIFO (its writer is still blocked at the end), and exit cleanly.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=../integration/lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-hostilefs-XXXXXX)
writer=""
cleanup() {
    [ -z "$writer" ] || kill "$writer" 2>/dev/null || true
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

R=$work/root
"$gen" --quiet --seed 43 --containers 7 --images 1 --layers 2 "$R"
mapfile -t ids < <(ls "$R/containers")
LINK=${ids[0]} FIFO=${ids[1]} DEV=${ids[2]} BIG=${ids[3]} CLIMB=${ids[4]} GOOD=${ids[5]} LONG=${ids[6]}
# LONG's name is a valid Docker name of 4,100 bytes: longer than a directory entry can be
long=$(head -c 4099 /dev/zero | tr '\0' 'n')
jq -c --arg n "/L$long" '.Name = $n' "$R/containers/$LONG/config.v2.json" >"$work/long.json"
cat "$work/long.json" >"$R/containers/$LONG/config.v2.json"
mkdir -p "$work/outside"
mv "$R/containers/$LINK/config.v2.json" "$work/outside/config.v2.json"
ln -s "$work/outside/config.v2.json" "$R/containers/$LINK/config.v2.json"
rm "$R/containers/$FIFO/hostconfig.json"
mkfifo "$R/containers/$FIFO/hostconfig.json"
(exec 3>"$R/containers/$FIFO/hostconfig.json"; echo opened >"$work/fifo-opened") &
writer=$!
rm "$R/containers/$DEV/hostconfig.json"
mknod "$R/containers/$DEV/hostconfig.json" c 240 0
truncate -s 2G "$R/containers/$BIG/config.v2.json"
# CLIMB's own read-write layer id climbs out of R
printf '../../../../../etc' >"$R/image/windowsfilter/layerdb/mounts/$CLIMB/mount-id"
mkdir -p "$R/containers/not-a-container" "$R/containers/${GOOD^^}"

M=$work/mnt
mount_start "$M" "$R"
listed=$(ls "$M" | grep -v by-name | sort | tr '\n' ' ')
want=$(printf '%s\n' "${ids[@]}" | sort | tr '\n' ' ')
[ "$listed" = "$want" ] && ok || bad "readdir lists '$listed', want '$want'"
for c in "$LINK" "$FIFO" "$DEV" "$BIG" "$CLIMB"; do
    exp=$("$BUNDLEFSCTL" "$R" errors "$c")
    [ -n "$exp" ] || bad "$c: bundlefsctl reports no error (test setup)"
    got=$(timeout 10 cat "$M/$c/error") && [ "$got" = "$exp" ] && ok ||
        bad "$c/error: got '$got', want '$exp'"
    for f in config.json createoptions.json layerpaths; do
        rc=0
        err=$(timeout 10 cat "$M/$c/$f" 2>&1 >/dev/null) || rc=$?
        if [ "$rc" -eq 124 ]; then
            bad "$c/$f: read blocked"
        elif [[ $err == *"Input/output error"* ]]; then
            ok
        else
            bad "$c/$f: want EIO, got exit $rc: $err"
        fi
    done
done
echo "errors served: $(timeout 10 cat "$M/$LINK/error")"
for f in config.json createoptions.json layerpaths; do
    "$BUNDLEFSCTL" "$R" "${f%.json}" "$GOOD" >"$work/exp"
    timeout 10 cat "$M/$GOOD/$f" | cmp -s - "$work/exp" && ok || bad "$GOOD/$f differs from bundlefsctl"
done
[ ! -e "$work/fifo-opened" ] && kill -0 "$writer" 2>/dev/null && ok || bad "the FIFO was opened"
# The long name hides nobody: by-name lists every other container (ls and Python's listdir),
# LONG's error file says why it is not there, its files are served.
want_names=$(for c in "$GOOD" "$CLIMB"; do jq -r '.Name | ltrimstr("/")' "$R/containers/$c/config.v2.json"; done | sort | tr '\n' ' ')
got_names=$(ls "$M/by-name" | sort | tr '\n' ' ')
for n in $want_names; do [[ " $got_names " == *" $n "* ]] && ok || bad "by-name lacks $n (got: $got_names)"; done
[[ " $got_names " != *" L"* ]] && ok || bad "by-name has the long name"
py=$(python3 -c 'import os,sys; print(len(os.listdir(sys.argv[1])))' "$M/by-name" 2>&1) && ok || bad "listdir by-name: $py"
exp=$("$BUNDLEFSCTL" "$R" errors "$LONG")
[[ $exp == *"Name is 4100 bytes, more than a directory entry can be (255): not in by-name"* ]] && ok || bad "bundlefsctl errors $LONG: $exp"
got=$(timeout 10 cat "$M/$LONG/error") && [ "$got" = "$exp" ] && ok || bad "$LONG/error: got '$got', want '$exp'"
"$BUNDLEFSCTL" "$R" config "$LONG" >"$work/exp"
timeout 10 cat "$M/$LONG/config.json" | cmp -s - "$work/exp" && ok || bad "$LONG/config.json differs from bundlefsctl"
mount_stop_clean "$M" && ok || bad "unclean daemon exit"
echo "hostile root through the mount: $pass checks passed, $fail failed"
[ "$fail" -eq 0 ]
