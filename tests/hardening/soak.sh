#!/bin/bash
# The daemon under sustained load: readers read every file of the mount in a loop while a
# writer keeps mutating the data-root (a new hostconfig.json version every round, a container
# created and removed, one renamed back and forth, a broken file appearing and going away).
# After a warm-up (which fills the daemon's bounded bytes cache, -o cache=4) its resident
# memory and open file descriptors are sampled every few seconds; the run fails if, from the
# warm-up to the end, descriptors grow by more than 4 or memory by more than 25% + 4 MiB
# (allocator slack), if a reader sees an error other than ENOENT (for the container that
# comes and goes) and EIO (for the broken one), or if the daemon does not exit cleanly.
# Prints both series. SOAK_SECONDS (default 30, CI) sets the measured time; long run:
#   SOAK_SECONDS=600 meson test -C build soak
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=../integration/lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
SECONDS_MEASURED=${SOAK_SECONDS:-30}
WARMUP=5
NREADERS=3
work=$(mktemp -d /tmp/bf-soak-XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT

R=$work/root
"$gen" --quiet --seed 41 --containers 12 --images 3 --layers 2-5 "$R"
mapfile -t ids < <(ls "$R/containers")
X=${ids[0]} Y=${ids[1]} B=${ids[2]} T=${ids[3]}
M=$work/mnt
mount_start "$M" "$R" -o cache=4
daemon=$MOUNT_PID

reader() { # me deadline_file
    local me=$1 reads=0 errs=0 f out
    while [ ! -e "$work/stop" ]; do
        for f in "$M"/[0-9a-f]*/*; do
            if [ -L "$f" ]; then # utilityvm
                readlink "$f" >/dev/null 2>&1 || true
                continue
            fi
            if out=$(cat "$f" 2>&1 >/dev/null); then
                reads=$((reads + 1))
            elif [[ " ${ids[*]} " != *" $(basename "$(dirname "$f")") "* ]]; then
                : # the container that comes and goes: any error while it is half there
            else
                case $out in
                *"No such file or directory"*) ;;
                *"Input/output error"*) [[ $f == "$M/$B/"* ]] || { errs=$((errs + 1)); echo "reader $me: $f: $out"; } ;;
                *) errs=$((errs + 1)); echo "reader $me: $f: $out" ;;
                esac
            fi
        done
        ls "$M/by-name" >/dev/null 2>&1 || true
    done
    echo "$reads $errs" >"$work/reader.$me"
}

writer() {
    local i=0 hc=$R/containers/$X/hostconfig.json z
    cp "$hc" "$work/hc0"
    cp "$R/containers/$B/hostconfig.json" "$work/hcB"
    while [ ! -e "$work/stop" ]; do
        i=$((i + 1))
        jq -c --argjson m $((1073741824 + i * 4096)) '.Memory = $m' "$work/hc0" >"$hc.tmp" && mv "$hc.tmp" "$hc"
        # a container that comes and goes (4 IDs in turn: the kernel may keep a removed
        # container's inode until it forgets it, so ever new IDs would measure the kernel)
        z=$(printf 'soak %d' $((i % 4)) | sha256sum | cut -c1-64)
        cp -a "$R/containers/$Y" "$R/containers/$z.tmp"
        jq -c --arg id "$z" --arg n "/soak$i" '.ID = $id | .Name = $n' "$R/containers/$Y/config.v2.json" \
            >"$R/containers/$z.tmp/config.v2.json"
        cp -a "$R/image/windowsfilter/layerdb/mounts/$Y" "$R/image/windowsfilter/layerdb/mounts/$z"
        printf '%s' "$z" >"$R/image/windowsfilter/layerdb/mounts/$z/mount-id"
        mv "$R/containers/$z.tmp" "$R/containers/$z"
        # a broken file appears and goes away
        if [ $((i % 2)) -eq 0 ]; then
            printf '{"Isolation":"bogus"}' >"$R/containers/$B/hostconfig.json"
        else
            cp "$work/hcB" "$R/containers/$B/hostconfig.json"
        fi
        # a rename back and forth
        jq -c --arg n "/renamed$((i % 2))" '.Name = $n' "$R/containers/$T/config.v2.json" >"$work/t" &&
            mv "$work/t" "$R/containers/$T/config.v2.json"
        sleep 0.3
        rm -rf "${R:?}/containers/$z" "$R/image/windowsfilter/layerdb/mounts/$z"
    done
    echo "$i" >"$work/writer"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$daemon/status"; }
fds() { ls "/proc/$daemon/fd" | wc -l; }

for r in $(seq 1 $NREADERS); do reader "$r" & pids+=($!); done
writer & pids+=($!)
sleep "$WARMUP"
rss0=$(rss_kib) fd0=$(fds)
series_rss="$rss0" series_fd="$fd0"
step=$(((SECONDS_MEASURED + 3) / 4))
t=0
while [ "$t" -lt "$SECONDS_MEASURED" ]; do
    s=$((SECONDS_MEASURED - t < step ? SECONDS_MEASURED - t : step))
    sleep "$s"
    t=$((t + s))
    kill -0 "$daemon" 2>/dev/null || { echo "FAIL: the daemon died under load"; tail -n 30 "$M.log"; exit 1; }
    series_rss="$series_rss $(rss_kib)" series_fd="$series_fd $(fds)"
done
rss1=$(rss_kib) fd1=$(fds)
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
reads=0 errs=0
for r in $(seq 1 $NREADERS); do
    read -r a b <"$work/reader.$r"
    reads=$((reads + a)) errs=$((errs + b))
done
rounds=$(cat "$work/writer")
fail=0
echo "soak: ${SECONDS_MEASURED} s after ${WARMUP} s warm-up: $reads file reads by $NREADERS readers, $rounds writer rounds (each: a new hostconfig.json version, a container created and removed, a rename, a broken file flipped)"
echo "soak: RSS (KiB, every ${step} s): $series_rss; ratio end/start $(awk -v a="$rss1" -v b="$rss0" 'BEGIN {printf "%.3f", a / b}')"
echo "soak: open fds (every ${step} s): $series_fd"
if [ "$errs" -ne 0 ]; then echo "FAIL: $errs unexpected read errors"; fail=1; fi
if [ "$fd1" -gt $((fd0 + 4)) ]; then echo "FAIL: descriptors grew from $fd0 to $fd1"; fail=1; fi
if [ "$rss1" -gt $((rss0 + rss0 / 4 + 4096)) ]; then echo "FAIL: memory grew from $rss0 to $rss1 KiB"; fail=1; fi
if [ "$reads" -eq 0 ] || [ "$rounds" -eq 0 ]; then echo "FAIL: no load (reads $reads, rounds $rounds)"; fail=1; fi
mount_stop_clean "$M" || fail=1
[ "$fail" -eq 0 ] && echo "soak: held"
exit "$fail"
