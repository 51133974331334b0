#!/bin/bash
# Fault injection into the bundlefs daemon while it serves. The daemon is mounted once per
# call kind with the shim armed by SIGUSR2 (BF_FAULT_ARM_SIGNAL): round n changes container
# A's hostconfig.json (so its files must be generated again), arms the shim to fail the n-th
# counted call from then on, and reads every file of A and of an untouched container B.
# Each read must give a valid version of the file (the previous or the new one: freshness
# allows the old one for about a second) or EIO, never hang (10 s bound) and never anything
# else; then the daemon must keep serving: B's bytes exactly, and A's new bytes at once or,
# when a generation failed, within 10 s with A's inputs unchanged (a failed version is
# generated again after the trust period); at the end it must exit cleanly (no sanitizer report or leak in
# the ASan build). Rounds continue until a round no longer reaches the n-th call.
# Env: BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT, FAULT_SHIM. FAULT_FS_ROUNDS caps the
# rounds per kind (default 40).
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
shim=${FAULT_SHIM:?}
# shellcheck source=../integration/lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-faultfs-XXXXXX)
trap 'mount_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
max_rounds=${FAULT_FS_ROUNDS:-40}
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/fault/lsan.supp

R=$work/root
"$gen" --quiet --seed 37 --containers 3 --images 2 --layers 2-3 "$R"
mapfile -t ids < <(ls "$R/containers")
A=${ids[0]} B=${ids[1]}
cp "$R/containers/$A/hostconfig.json" "$work/hc0"
files=(config.json createoptions.json layerpaths)
snapshot() { # dir: what bundlefsctl says now, for A and B
    local d=$1 c f
    mkdir -p "$d"
    for c in "$A" "$B"; do
        for f in "${files[@]}"; do
            "$BUNDLEFSCTL" "$R" "${f%.json}" "$c" >"$d/$c.$f" 2>/dev/null || rm -f "$d/$c.$f"
        done
    done
}
same_as() { # dir: A's and B's files served equal the snapshot
    local d=$1 c f
    for c in "$A" "$B"; do
        for f in "${files[@]}"; do
            timeout 10 cat "$M/$c/$f" 2>/dev/null | cmp -s - "$d/$c.$f" || return 1
        done
    done
}
fail=0 total=0 eio=0
M=$work/mnt
for kind in read openat2 fstat malloc; do
    log=$work/log.$kind
    wrapper=$work/bundlefs-$kind
    cat >"$wrapper" <<WRAP
#!/bin/sh
LD_PRELOAD=$shim BF_FAULT_CALLS=$kind BF_FAULT_NTH=1 BF_FAULT_ARM_SIGNAL=1 BF_FAULT_LOG=$log \
    BF_FAULT_SKIP_LIB=libfuse3 exec "$BUNDLEFS" "\$@"
WRAP
    chmod +x "$wrapper"
    cp "$work/hc0" "$R/containers/$A/hostconfig.json"
    BUNDLEFS=$wrapper mount_start "$M" "$R"
    daemon=$MOUNT_PID
    snapshot "$work/v0"
    poll_until 10 "$kind: first state served" same_as "$work/v0" >/dev/null || {
        echo "FAIL $kind: the daemon does not serve the root before any fault"; fail=1; }
    prev=$work/v0 rounds=0 hit=0 healed=0
    for n in $(seq 1 "$max_rounds"); do
        jq -c --argjson m $((1073741824 + n * 4096)) '.Memory = $m' "$work/hc0" >"$work/hc" &&
            mv "$work/hc" "$R/containers/$A/hostconfig.json"
        snapshot "$work/v$n"
        before=$(cat "$log" 2>/dev/null | grep -c '^injected' || true)
        kill -USR2 "$daemon"
        for c in "$A" "$B"; do
            for f in "${files[@]}" error; do
                rc=0
                timeout 10 cat "$M/$c/$f" >"$work/got" 2>"$work/err" || rc=$?
                total=$((total + 1))
                if [ "$rc" -eq 0 ]; then
                    if [ "$f" != error ] && ! cmp -s "$work/got" "$work/v$n/$c.$f" &&
                        ! cmp -s "$work/got" "$prev/$c.$f"; then
                        echo "FAIL $kind round $n: $c/$f is neither version"; fail=1
                    fi
                elif grep -q 'Input/output error' "$work/err"; then
                    eio=$((eio + 1))
                elif [ "$f" = error ] && grep -q 'No such file' "$work/err"; then
                    : # no error file: every file of the container was generated
                else
                    echo "FAIL $kind round $n: $c/$f: exit $rc: $(cat "$work/err")"; fail=1
                fi
            done
        done
        rounds=$n
        after=$(cat "$log" 2>/dev/null | grep -c '^injected' || true)
        if ! kill -0 "$daemon" 2>/dev/null; then
            echo "FAIL $kind round $n: the daemon died"; tail -n 20 "$M.log"; fail=1; break
        fi
        # Keeps serving: B exactly, at once; A recovers on its own, without any change to its
        # inputs: a version with a failed file is generated again after the trust period
        # (1 s), so a transient failure heals. Whether it was right at once is counted.
        for f in "${files[@]}"; do
            if ! timeout 10 cat "$M/$B/$f" 2>/dev/null | cmp -s - "$work/v$n/$B.$f"; then
                echo "FAIL $kind round $n: untouched container B's $f is not served exactly"; fail=1
            fi
        done
        if same_as "$work/v$n"; then
            healed=$((healed + 1))
        elif ! poll_until 10 "$kind round $n: recovered" same_as "$work/v$n" >/dev/null; then
            echo "FAIL $kind round $n: A is still not served 10 s after the fault, inputs unchanged"
            fail=1
        fi
        prev=$work/v$n
        if [ "$after" -eq "$before" ]; then
            break # the round no longer reaches call n
        fi
        hit=$((hit + 1))
    done
    mount_stop_clean "$M" || { echo "FAIL $kind: unclean daemon exit"; fail=1; }
    echo "$kind: $rounds rounds, $hit with a fault injected into the serving daemon;" \
        "A served right after the fault in $healed, after the trust period in the others"
done
echo "fault injection (daemon): $total reads, $eio EIO, failures: $fail"
exit "$fail"
