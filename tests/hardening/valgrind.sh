#!/bin/bash
# Valgrind memcheck over integration-level runs, in the plain build (valgrind cannot run an
# ASan binary): bundlefsctl over generated windowsfilter and overlay2 roots (every command,
# both spec formats, a broken container's error paths), then the bundlefs daemon itself under
# valgrind serving a mount that is read, listed, changed and read again. Zero errors and zero
# leaks of every kind (definite, indirect, possible, reachable) are required.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFSCTL=${BUNDLEFSCTL:?} BUNDLEFS=${BUNDLEFS:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=../integration/lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-valgrind-XXXXXX)
trap 'mount_cleanup; rm -rf "$work"' EXIT
VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all
    --errors-for-leak-kinds=all --track-fds=no --num-callers=30)
pass=0 fail=0 runs=0
# Anything in a valgrind log but its note that it does not know openat2 (valgrind 3.19; the
# program then takes its O_NOFOLLOW fallback walk, which this test thereby covers too).
real_findings() {
    grep -v -e 'unhandled amd64-linux syscall: 437' -e 'write your own handler' \
        -e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
        -e 'valgrind.org/support/bug_reports' "$1" | grep -q .
}

# One bundlefsctl run under valgrind; the exit status must be the plain run's.
vg_ctl() {
    local want out rc=0
    want=0
    "$BUNDLEFSCTL" "$@" >/dev/null 2>&1 || want=$?
    out=$work/vg.$runs
    "${VG[@]}" --log-file="$out" "$BUNDLEFSCTL" "$@" >/dev/null 2>&1 || rc=$?
    runs=$((runs + 1))
    if [ "$rc" -ne "$want" ] || real_findings "$out"; then
        fail=$((fail + 1))
        echo "FAIL: valgrind bundlefsctl $* (exit $rc, plain $want):"
        head -n 60 "$out"
    else
        pass=$((pass + 1))
    fi
}

for drv in windowsfilter overlay2; do
    R=$work/$drv
    "$gen" --quiet --driver "$drv" --seed 23 --containers 4 --images 2 --layers 2-3 "$R"
    mapfile -t ids < <(ls "$R/containers")
    vg_ctl "$R" containers
    vg_ctl "$R" config "${ids[0]}"
    vg_ctl "$R" files "${ids[0]}"
    if [ "$drv" = windowsfilter ]; then
        vg_ctl "$R" images
        for id in "${ids[@]:1:1}"; do
            vg_ctl --spec=windowsoci --compact --hostroot='C:\ProgramData\docker' "$R" config "$id"
            vg_ctl "$R" createoptions "$id"
        done
    else
        # Linux: mountopts, and a file the container does not have (exit 1)
        vg_ctl "$R" mountopts "${ids[1]}"
        vg_ctl "$R" createoptions "${ids[1]}"
    fi
    # error paths: a broken hostconfig (isolation, credential spec), then a broken config
    bad=${ids[3]}
    printf '{"Isolation":"bogus","SecurityOpt":["credentialspec=file://missing.json"]}' \
        >"$R/containers/$bad/hostconfig.json"
    vg_ctl "$R" errors "$bad"
    printf '{"ID":' >"$R/containers/$bad/config.v2.json"
    vg_ctl "$R" containers
done
echo "bundlefsctl under valgrind: $pass clean runs, $fail failed"

# The daemon under valgrind, serving a mount.
R=$work/fsroot
"$gen" --quiet --seed 29 --containers 4 --images 2 --layers 2-3 "$R"
mapfile -t ids < <(ls "$R/containers")
wrapper=$work/bundlefs-vg
cat >"$wrapper" <<WRAP
#!/bin/sh
exec ${VG[*]} --log-file=$work/daemon.vg "$BUNDLEFS" "\$@"
WRAP
chmod +x "$wrapper"
M=$work/mnt
BUNDLEFS=$wrapper mount_start "$M" "$R"
reads=0
read_all() {
    local f
    for f in "$M"/*/*; do
        cat "$f" >/dev/null 2>&1 || true
        reads=$((reads + 1))
    done
    ls -la "$M" "$M/by-name" >/dev/null
    for id in "${ids[@]}"; do readlink "$M/${id:0:12}" >/dev/null || true; done
}
read_all
# change the root: a new file version, a broken container, a removed one
jq -c '.Memory = 1073741824' "$R/containers/${ids[0]}/hostconfig.json" >"$work/hc" &&
    mv "$work/hc" "$R/containers/${ids[0]}/hostconfig.json"
printf '{"Isolation":"bogus"}' >"$R/containers/${ids[1]}/hostconfig.json"
rm -rf "$R/containers/${ids[2]:?}"
sleep 2
read_all
cat "$M/${ids[1]}/error" >/dev/null
cat "$M/${ids[1]}/config.json" >/dev/null 2>&1 && { echo "FAIL: broken config.json readable"; fail=$((fail + 1)); }
mount_stop "$M"
if [ "$MOUNT_RC" -ne 0 ] || real_findings "$work/daemon.vg"; then
    fail=$((fail + 1))
    echo "FAIL: bundlefs under valgrind: exit $MOUNT_RC; valgrind says:"
    head -n 80 "$work/daemon.vg"
    tail -n 20 "$M.log"
else
    pass=$((pass + 1))
    echo "bundlefs under valgrind: $reads file reads over 2 states, unmounted, 0 errors, 0 leaks"
fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
