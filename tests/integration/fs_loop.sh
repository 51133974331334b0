#!/bin/bash
# The session loop: concurrent readers get the same bytes as one reader in every loop mode
# (the default, one thread, threads that leave, clone_fd, -s); every FUSE_IOCTL of concurrent
# buffered opens is answered; an idle daemon stops at once on SIGTERM, SIGINT and SIGHUP
# (whatever waits for the device woken); under many concurrent cold readers each of those
# signals, repeated, makes it answer, unmount and exit 0, with no sanitizer report, and leaves
# no reader waiting.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
: "${BUNDLEFS:?}" "${BUNDLEFSCTL:?}"
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-fsloop-XXXXXX)
readers=()
cleanup() {
    for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; done
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "$src/tests/integration/lib/check.sh"

R=$work/root
"$gen" --quiet --seed 29 --containers 150 --images 3 --layers 2-4 "$R"
# A reader: Python's buffered open (one FUSE_IOCTL each) over every file ROUNDS times (0: until
# an open fails, as at unmount), printing the SHA-256 of what it read, or "stopped".
cat >"$work/reader.py" <<'EOF'
import hashlib, os, sys
root, rounds = sys.argv[1], int(sys.argv[2])
files, h, n = [], hashlib.sha256(), 0
try:
    for c in sorted(os.listdir(root)):
        if c != "by-name":
            d = os.path.join(root, c)
            files += [p for p in (os.path.join(d, f) for f in sorted(os.listdir(d)))
                      if not os.path.islink(p)]  # utilityvm: a link out of the mount
    if not files:  # listed after the unmount
        raise OSError("no files")
    while rounds == 0 or n < rounds:
        for p in files:
            with open(p, "rb") as f:
                h.update(f.read())
        n += 1
except OSError:
    print("stopped")
    sys.exit(0)
print(len(files), h.hexdigest())
EOF
reader() { python3 "$work/reader.py" "$@"; }
# A script's background jobs start with SIGINT ignored (nohup: SIGHUP), and libfuse only takes over
# signals left at their default: the daemon is started with them back at the default.
cat >"$work/bundlefs" <<'EOF'
#!/bin/bash
exec python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BUNDLEFS_REAL" "$@"
EOF
chmod +x "$work/bundlefs"
export BUNDLEFS_REAL=$BUNDLEFS
BUNDLEFS=$work/bundlefs
# The daemon's end after a signal: within 20 s, exit status 0, unmounted, no sanitizer report.
signalled() { # name pid mnt
    local name=$1 pid=$2 mnt=$3 rc=0
    gone() { ! kill -0 "$pid" 2>/dev/null; }
    if poll_until 20 "$name: the daemon exits" gone; then ok "$name: exited"; else
        bad "$name: still running"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    same "$name: exit status" 0 "$rc"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$mnt.log"; then bad "$name: sanitizer report"; tail -n 30 "$mnt.log"; else ok "$name: no sanitizer report"; fi
    if is_mounted "$mnt"; then bad "$name: still mounted"; else ok "$name: unmounted"; fi
    unset "BF_MOUNT_PIDS[$mnt]"
}

# 1. Every mode: 6 concurrent cold readers read what one warm reader reads afterwards.
modes=("" "-o max_threads=1" "-o max_threads=2 -o max_idle_threads=0" "-o clone_fd" "-s")
for mode in "${modes[@]}"; do
    name="loop ${mode:-(default)}"
    M=$work/mnt
    # shellcheck disable=SC2086
    mount_start "$M" "$R" $mode
    pids=()
    for i in 1 2 3 4 5 6; do
        reader "$M" 1 >"$work/r$i" &
        pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    one=$(reader "$M" 1)
    [ "$failed" = 0 ] && ok "$name: 6 concurrent readers finished" || bad "$name: a reader failed"
    diff=0
    for i in 1 2 3 4 5 6; do [ "$(cat "$work/r$i")" = "$one" ] || diff=1; done
    [ "$diff" = 0 ] && [[ "$one" == [1-9]* ]] && ok "$name: the same bytes ($one)" ||
        bad "$name: readers differ from one reader ($one)"
    if mount_stop_clean "$M"; then ok "$name: unmounted, exit 0"; else bad "$name: exit"; fi
done

# 2. -d: 4 concurrent buffered readers, warm: one IOCTL per open, each answered ENOTTY, and no
# READ: what the page cache holds stays. The pages are pinned (mmap + mlock, by a process that
# holds them through the warm readers), so the kernel's own reclaim, which may drop an unpinned
# page under a loaded machine's memory pressure, cannot send a READ; one can only come from an
# invalidation of ours (a changed mtime or size, a notify, an inode given a new number).
M=$work/mnt-d
mount_start "$M" "$R" -d
one=$(reader "$M" 1)
n=${one%% *}
coproc PIN { python3 "$src/tests/integration/lib/pin_pages.py" "$M"; }
pin_pid=$PIN_PID
readers+=("$pin_pid")
read -r pinned <&"${PIN[0]}" || pinned=none
same "-d: every file's pages pinned" "$n" "$pinned"
l0=$(($(wc -l <"$M.log") + 1))
pids=()
for i in 1 2 3 4; do
    reader "$M" 1 >/dev/null &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
tail -n +"$l0" "$M.log" >"$work/warm.log"
same "-d: IOCTLs of 4 warm concurrent readers" $((4 * n)) "$(grep -c "opcode: IOCTL" "$work/warm.log" || true)"
same "-d: each answered ENOTTY" $((4 * n)) "$(grep -c "error: -25 (Inappropriate ioctl for device)" "$work/warm.log" || true)"
reads=$(grep -c "opcode: READ " "$work/warm.log" || true)
same "-d: no READ on the warm path" 0 "$reads"
if [ "$reads" != 0 ]; then
    echo "  the READs, and what the warm log has of their nodes:"
    grep "opcode: READ " "$work/warm.log" | head -n 5 | sed 's/^/    /'
    for node in $(grep "opcode: READ " "$work/warm.log" | grep -o "nodeid: [0-9]*" | sort -u | head -n 3); do
        grep -E "nodeid: ${node#nodeid: }[^0-9]|NOTIFY" "$work/warm.log" | grep -v "opcode: READ " | head -n 5 | sed 's/^/    /'
    done
fi
exec {PIN[1]}>&-
wait "$pin_pid" || true
if mount_stop_clean "$M"; then ok "-d: unmounted, exit 0"; else bad "-d: exit"; fi

# 3. An idle daemon: its one reader of the device waits in poll, woken by the stop.
sigs=(TERM INT HUP)
for s in "${sigs[@]}"; do
    M=$work/mnt-idle
    mount_start "$M" "$R"
    pid=$MOUNT_PID
    reader "$M" 1 >/dev/null
    sleep 0.2
    kill -"$s" "$pid"
    signalled "idle SIG$s" "$pid" "$M"
done

# 4. Signals under load, repeated: 8 cold readers (IOCTLs and READs, generations under way),
#    the signal after a varying delay; requests arriving during the stop.
for round in 1 2 3 4 5 6 7 8 9; do
    s=${sigs[$((round % 3))]}
    case $((round % 3)) in
    0) opt=() ;;
    1) opt=(-o max_threads=2) ;;
    2) opt=(-o max_idle_threads=0) ;;
    esac
    name="load $round SIG$s ${opt[*]}"
    M=$work/mnt-load
    rm -rf "$M"
    mount_start "$M" "$R" "${opt[@]}"
    pid=$MOUNT_PID
    readers=()
    for i in 1 2 3 4 5 6 7 8; do
        reader "$M" 0 >"$work/load$i" 2>&1 &
        readers+=($!)
    done
    sleep "0.$((round * 7 % 10))"
    kill -"$s" "$pid"
    signalled "$name" "$pid" "$M"
    left() { for p in "${readers[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
    if poll_until 10 "$name: readers done" left; then ok "$name: no reader left waiting"; else bad "$name: a reader still waits"; fi
    for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    readers=()
done
echo "fs-loop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
