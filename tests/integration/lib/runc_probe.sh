# shellcheck shell=bash
# `runc run` of a served Linux bundle, compared with what the same container printed under Docker
# (the probe of lib/linux_cases.sh). Source after lib/check.sh (ok/bad).
#   RP_ROOT                  runc's state folder (--root); set it before rp_compare
#   RP_RUNC                  runc (default /usr/sbin/runc)
#   rp_compare WHAT STATUS BUNDLE TRUTH LOGS ROOT OUT CNAME
#       BUNDLE: the served bundle folder (config.json, mountopts); TRUTH: Docker's spec of the
#       container; LOGS: its `docker logs`; STATUS: the case status of lib/linux_cases.sh; ROOT:
#       the data-root; OUT: a prefix for output files; CNAME: a unique runc container name.
#       Prints why when it does not run the bundle (see rp_skip_reason); else, for overlay2 (a
#       root.path .../overlay2/<id>/merged), mounts the rootfs from BUNDLE/mountopts (relative
#       paths are relative to ROOT/overlay2; the merged folder is made when dockerd removed it,
#       and removed again), runs runc with stdin /dev/null, kills a target
#       once its probe is done, compares (ok/bad, with a diff), unmounts.
#   rp_cleanup               kills and deletes every runc container rp_compare made and
#                            unmounts every rootfs it mounted (call it from the EXIT trap)
RP_RUNC=${RP_RUNC:-/usr/sbin/runc}
RP_ROOT=${RP_ROOT:-}
RP_NAME="" RP_PID="" RP_MOUNTS=()

# Why the bundle is not run, or nothing. Safety first: a served config without its own mount
# namespace, or with another root than Docker's, is never run.
rp_skip_reason() { # status served truth
    local status=$1 served=$2 truth=$3 p
    case $status in
    "exited 0" | running) ;;
    *) echo "it did not run under Docker either ($status)"; return ;;
    esac
    if [ "$(jq -r '.process.terminal // false' "$truth")" = true ]; then
        echo "TTY container (runc run would need a console socket; docker logs holds the TTY's CR LF output)"
        return
    fi
    if ! jq -e '[.linux.namespaces[]? | select(.type == "mount" and (has("path") | not))] | length == 1' "$served" >/dev/null 2>&1; then
        echo "the served config has no private mount namespace (linux.namespaces); not run"
        return
    fi
    if [ "$(jq -r .root.path "$served")" != "$(jq -r .root.path "$truth")" ]; then
        echo "the served root.path differs from Docker's; not run"
        return
    fi
    # container:X namespaces name /proc/<pid of X>, a process gone since dockerd stopped (and
    # its pid may be reused); --network host names <exec-root>/netns/default, a bind mount of a
    # namespace file that only the running daemon keeps. Only a mounted nsfs is joined.
    for p in $(jq -r '.linux.namespaces[]? | .path // empty' "$served"); do
        if ! findmnt -rn -o FSTYPE -M "$p" 2>/dev/null | grep -qx nsfs; then
            echo "namespace $p is gone (it belonged to a running container or daemon)"
            return
        fi
    done
}

# One overlay path, canonical: relative ones are relative to ROOT/overlay2 (where Docker and the
# test mount from), l/<short> links resolved.
rp_ovl_path() { # root path
    local p=$2
    case $p in /*) ;; *) p=$1/overlay2/$p ;; esac
    realpath -m "$p"
}

# The probe's output with the lines that legitimately differ between `docker run` and `runc run`
# of the same bundle after dockerd stopped made equal (stdin -> stdout):
#  - the rootfs ("/ overlay ...") line: lowerdir/upperdir/workdir spelled canonically. Docker
#    passes absolute l/<short> names (relative ones past a page); mountopts may spell the same
#    layers otherwise (relative to ROOT/overlay2). The layers and their order must be the same.
#  - /dev/shm when the spec binds <data-root>/containers/<id>/mounts/shm there (--ipc shareable,
#    --ipc container:X): while the container ran, dockerd had a tmpfs "shm" mounted on that
#    folder; after dockerd stops it is a plain folder of the data-root's file system, so the
#    mount line's type and options are that file system's. The line is dropped.
rp_norm() { # spec root
    local spec=$1 root=$2 shmbind=0 line opts o out l parts
    if jq -e '[.mounts[] | select(.destination == "/dev/shm" and .type == "bind"
            and (.source | test("/containers/[0-9a-f]{64}/mounts/shm$")))] | length > 0' "$spec" >/dev/null; then
        shmbind=1
    fi
    while IFS= read -r line; do
        case $line in
        "/dev/shm "*) [ "$shmbind" = 1 ] && continue ;;
        "/ overlay "*)
            opts=${line#/ overlay }
            out=""
            IFS=, read -ra parts <<<"$opts"
            for o in "${parts[@]}"; do
                case $o in
                lowerdir=*)
                    local -a lows=() canon=()
                    IFS=: read -ra lows <<<"${o#lowerdir=}"
                    for l in "${lows[@]}"; do canon+=("$(rp_ovl_path "$root" "$l")"); done
                    o="lowerdir=$(
                        IFS=:
                        echo "${canon[*]}"
                    )"
                    ;;
                upperdir=* | workdir=*) o="${o%%=*}=$(rp_ovl_path "$root" "${o#*=}")" ;;
                esac
                out+=${out:+,}$o
            done
            line="/ overlay $out"
            ;;
        esac
        printf '%s\n' "$line"
    done
}

# runc run of BUNDLE, output to OUT; a target (sleeps after the probe) is killed once the probe
# has printed probe-end. Returns runc's status, 0 when the probe ended.
rp_run() { # bundle cname out
    local bundle=$1 cname=$2 out=$3 pid _ rc=0
    RP_NAME=$cname
    "$RP_RUNC" --root "$RP_ROOT" --log "$out.runc-log" run -b "$bundle" "$cname" </dev/null >"$out" 2>&1 &
    pid=$!
    RP_PID=$pid
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || break
        if grep -qx probe-end "$out" 2>/dev/null; then
            sleep 0.2
            if kill -0 "$pid" 2>/dev/null; then
                "$RP_RUNC" --root "$RP_ROOT" kill "$cname" KILL >/dev/null 2>&1 || true
            fi
            break
        fi
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "runc run $cname: still running after 60 s; killed" >>"$out.runc-log"
        "$RP_RUNC" --root "$RP_ROOT" kill "$cname" KILL >/dev/null 2>&1 || true
    fi
    wait "$pid" || rc=$?
    RP_PID="" # waited for: the number may be anyone's now
    "$RP_RUNC" --root "$RP_ROOT" delete -f "$cname" >/dev/null 2>&1 || true
    RP_NAME=""
    if grep -qx probe-end "$out"; then rc=0; fi
    return "$rc"
}

rp_compare() { # what status bundle truth logs root out cname
    local what=$1 status=$2 bundle=$3 truth=$4 logs=$5 root=$6 out=$7 cname=$8
    local served=$3/config.json why rootfs mounted="" made="" err
    [ -n "$RP_ROOT" ] || { bad "$what: rp_compare: RP_ROOT is not set"; return 0; }
    mkdir -p "$RP_ROOT"
    why=$(rp_skip_reason "$status" "$served" "$truth")
    if [ -n "$why" ]; then
        echo "$what: runc run skipped: $why"
        return 0
    fi
    rootfs=$(jq -r .root.path "$served")
    case $rootfs in
    */overlay2/*/merged)
        if [ ! -r "$bundle/mountopts" ]; then
            bad "$what: no $bundle/mountopts; runc run not attempted"
            return 0
        fi
        # dockerd removes the merged folder when it unmounts a container's layer.
        if [ ! -d "$rootfs" ]; then
            mkdir "$rootfs" && made=$rootfs
        fi
        if err=$(cd "$root/overlay2" && mount -t overlay overlay -o "$(cat "$bundle/mountopts")" "$rootfs" 2>&1); then
            mounted=$rootfs
            RP_MOUNTS+=("$rootfs")
        else
            bad "$what: mount -t overlay -o \"\$(cat $bundle/mountopts)\" $rootfs failed: $err"
            [ -z "$made" ] || rmdir "$made" 2>/dev/null || true
            return 0
        fi
        ;;
    esac
    if rp_run "$bundle" "$cname" "$out"; then
        if cmp -s <(rp_norm "$truth" "$root" <"$logs") <(rp_norm "$truth" "$root" <"$out"); then
            ok "$what: runc run of the served bundle prints what docker logs printed"
        else
            bad "$what: runc run of the served bundle prints otherwise than docker logs (- docker logs, + runc run):"
            diff -u --label "docker logs" --label "runc run" <(rp_norm "$truth" "$root" <"$logs") \
                <(rp_norm "$truth" "$root" <"$out") | sed 1,2d | head -n 40 | sed 's/^/    /' || true
        fi
    else
        bad "$what: runc run of the served bundle failed: $(tail -n 5 "$out" "$out.runc-log" 2>/dev/null | tr '\n' ' ' | head -c 1500)"
    fi
    if [ -n "$mounted" ]; then
        if umount "$mounted" 2>/dev/null || umount -l "$mounted"; then
            RP_MOUNTS=("${RP_MOUNTS[@]/#$mounted/}")
        else
            bad "$what: cannot unmount $mounted"
        fi
    fi
    [ -z "$made" ] || rmdir "$made" 2>/dev/null || true
    return 0
}

rp_cleanup() {
    local m
    if [ -n "$RP_PID" ]; then kill -KILL "$RP_PID" 2>/dev/null || true; wait "$RP_PID" 2>/dev/null || true; fi
    if [ -n "$RP_NAME" ]; then
        "$RP_RUNC" --root "$RP_ROOT" kill "$RP_NAME" KILL >/dev/null 2>&1 || true
        "$RP_RUNC" --root "$RP_ROOT" delete -f "$RP_NAME" >/dev/null 2>&1 || true
    fi
    for m in "${RP_MOUNTS[@]}"; do
        [ -n "$m" ] || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    RP_PID="" RP_NAME="" RP_MOUNTS=()
}
