# shellcheck shell=bash
# Mount helpers for integration tests (source this file). Every mount is a bundlefs daemon
# in the foreground (-f) started by this shell; mount_cleanup (call it from the EXIT trap)
# unmounts every mount point and stops every daemon by its own PID, even after a failure.
#   mount_start MNT DATAROOT [ARGS...]  -> $BUNDLEFS -f ARGS DATAROOT MNT, log in MNT.log;
#                                          waits (bounded) until MNT is a fuse mount; sets
#                                          MOUNT_PID. Fails, printing the log, otherwise.
#   mount_stop MNT                      -> fusermount3 -u (retried, then lazy), TERM, bounded
#                                          wait, KILL
#                                          (MOUNT_RC = the daemon's exit status)
#   mount_stop_clean MNT                -> mount_stop, then fail unless the daemon exited 0
#                                          with no sanitizer report in its log
#   mount_cleanup                       -> mount_stop for every mount still registered
#   is_mounted MNT                      -> true when MNT is a fuse mount point right now
#   poll_until BOUND_S DESC CMD...      -> run CMD every 50 ms until it succeeds; prints
#                                          "DESC: after N.NNN s" (the observed delay) and
#                                          returns 0, or prints "DESC: not within BOUND_S s"
#                                          and returns 1. Never an assertion on time itself.
BUNDLEFS=${BUNDLEFS:-}
MOUNT_PID=""
MOUNT_RC=0
declare -A BF_MOUNT_PIDS=()

now_ns() { date +%s%N; }

is_mounted() {
    local mnt
    mnt=$(realpath -m "$1")
    findmnt -n -M "$mnt" -o FSTYPE 2>/dev/null | grep -q '^fuse'
}

poll_until() {
    local bound=$1 desc=$2 t0 t deadline
    shift 2
    t0=$(now_ns)
    deadline=$((t0 + bound * 1000000000))
    while :; do
        if "$@"; then
            t=$(now_ns)
            printf '%s: after %d.%03d s\n' "$desc" $(((t - t0) / 1000000000)) $((((t - t0) / 1000000) % 1000))
            return 0
        fi
        if [ "$(now_ns)" -ge "$deadline" ]; then
            printf '%s: not within %s s\n' "$desc" "$bound"
            return 1
        fi
        sleep 0.05
    done
}

mount_start() {
    local mnt=$1 root=$2 log pid
    shift 2
    [ -n "$BUNDLEFS" ] || { echo "mount_start: BUNDLEFS is not set" >&2; return 1; }
    mkdir -p "$mnt"
    log=$mnt.log
    "$BUNDLEFS" -f "$@" "$root" "$mnt" >"$log" 2>&1 &
    pid=$!
    BF_MOUNT_PIDS[$mnt]=$pid
    MOUNT_PID=$pid
    if ! poll_until 10 "mount $mnt" is_mounted "$mnt" >/dev/null; then
        echo "mount_start: $mnt is not mounted after 10 s (daemon $(kill -0 "$pid" 2>/dev/null && echo alive || echo dead)); its log:" >&2
        cat "$log" >&2
        mount_stop "$mnt"
        return 1
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "mount_start: daemon for $mnt exited; its log:" >&2
        cat "$log" >&2
        mount_stop "$mnt"
        return 1
    fi
}

mount_stop() {
    local mnt=$1 pid i
    pid=${BF_MOUNT_PIDS[$mnt]:-}
    for i in 1 2 3 4 5 6 7 8 9 10; do
        is_mounted "$mnt" || break
        fusermount3 -u "$mnt" 2>/dev/null && break
        sleep 0.2
    done
    if is_mounted "$mnt"; then
        echo "mount_stop: $mnt busy; lazy unmount" >&2
        fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
    if [ -n "$pid" ]; then
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$i" -eq 20 ] && kill -TERM "$pid" 2>/dev/null
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        MOUNT_RC=0
        wait "$pid" 2>/dev/null || MOUNT_RC=$?
    fi
    unset "BF_MOUNT_PIDS[$mnt]"
}

# Unmount, then succeed only if the daemon exited 0 and its log has no sanitizer report.
mount_stop_clean() {
    local mnt=$1
    mount_stop "$mnt"
    if [ "$MOUNT_RC" -ne 0 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$mnt.log"; then
        echo "daemon of $mnt: exit status $MOUNT_RC; its log:"
        tail -n 40 "$mnt.log"
        return 1
    fi
}

mount_cleanup() {
    local m
    for m in "${!BF_MOUNT_PIDS[@]}"; do
        mount_stop "$m"
    done
}
