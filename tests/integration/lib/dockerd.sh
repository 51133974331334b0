# Private dockerd for tests (source this file). Everything lives under one work dir; the
# daemon is stopped by its own PID only. Debian's docker.io: /usr/sbin/dockerd, /usr/bin/docker.
#   dockerd_start DRIVER WORKDIR [DOCKERD_ARGS...]
#                                   -> sets DOCKERD_PID, DOCKER_SOCK, DOCKER_ROOT; runs `dk`.
#                                      Extra dockerd arguments: the ones after WORKDIR, then
#                                      the words of $DOCKERD_EXTRA_ARGS (unset: none), e.g.
#                                      --add-runtime bfcapture=PATH --default-runtime bfcapture.
#                                      DOCKERD_DATA_ROOT (unset: WORKDIR/data-root) places
#                                      the data-root elsewhere.
#   dk ARGS...                      -> /usr/bin/docker against the private daemon
#   dockerd_make_images             -> images bf-1layer, bf-3layer, bf-12layer (no registry)
#   dockerd_stop                    -> kill running containers, prune user networks (their
#                                      bridge interfaces outlive the daemon), then TERM,
#                                      bounded wait, KILL; then unmount the network
#                                      namespace files dockerd leaves mounted under its
#                                      exec-root (netns/default, made for --network host)
DOCKERD_BIN=${DOCKERD_BIN:-/usr/sbin/dockerd}
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
DOCKERD_PID=""
DOCKERD_EXEC=""

dk() {
    DOCKER_BUILDKIT=0 "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" "$@"
}

dockerd_start() {
    local driver=$1 work=$2 i
    local -a extra=("${@:3}")
    # shellcheck disable=SC2206
    extra+=(${DOCKERD_EXTRA_ARGS:-})
    DOCKER_ROOT=${DOCKERD_DATA_ROOT:-$work/data-root}
    DOCKER_SOCK=$work/docker.sock
    DOCKERD_EXEC=$work/exec
    mkdir -p "$DOCKER_ROOT" "$work/exec"
    # The trust key path can only be set through a config file.
    printf '{"deprecated-key-path": "%s"}\n' "$work/key.json" >"$work/daemon.json"
    "$DOCKERD_BIN" --config-file "$work/daemon.json" \
        --data-root "$DOCKER_ROOT" --exec-root "$work/exec" \
        --host "unix://$DOCKER_SOCK" --pidfile "$work/dockerd.pid" \
        --storage-driver "$driver" --iptables=false --ip6tables=false --bridge=none \
        "${extra[@]}" >"$work/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for i in $(seq 1 150); do
        if dk info >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    echo "dockerd ($driver) did not come up; its log:" >&2
    cat "$work/dockerd.log" >&2
    dockerd_stop
    return 1
}

dockerd_stop() {
    local i running
    [ -n "$DOCKERD_PID" ] || return 0
    # A user network is a bridge interface in the host's namespace, and it outlives the
    # daemon: 31 leaked ones use up Docker's default address pools and every later
    # `network create` on this machine fails. So: stop what runs, remove the networks the
    # test made (containers and the data-root stay as they are), then stop the daemon.
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
        running=$(dk ps -q 2>/dev/null || true)
        # shellcheck disable=SC2086
        [ -z "$running" ] || dk kill $running >/dev/null 2>&1 || true
        dk network prune -f >/dev/null 2>&1 || true
    fi
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=""
    local m
    while read -r m; do
        case $m in "$DOCKERD_EXEC"/netns/*) umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true ;; esac
    done < <(findmnt -rn -o TARGET 2>/dev/null | sed 's/\\x20/ /g')
}

# Images of 1, 3 and 12 layers from a busybox-static rootfs; no registry involved.
dockerd_make_images() {
    local ctx
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/bf-imgctx-XXXXXX")
    mkdir -p "$ctx/rootfs/bin"
    cp /bin/busybox "$ctx/rootfs/bin/busybox"
    ln -s busybox "$ctx/rootfs/bin/sh"
    tar -C "$ctx/rootfs" -cf "$ctx/rootfs.tar" .
    dk import "$ctx/rootfs.tar" bf-1layer:latest >/dev/null
    for k in 1 2 3 4 5 6 7 8 9 10 11; do echo "file $k" >"$ctx/f$k"; done
    printf 'FROM bf-1layer:latest\nCOPY f1 /f1\nADD f2 /f2\n' >"$ctx/Dockerfile.3"
    {
        echo 'FROM bf-1layer:latest'
        for k in 1 2 3 4 5 6 7 8 9 10 11; do
            if [ $((k % 2)) -eq 0 ]; then echo "ADD f$k /f$k"; else echo "COPY f$k /f$k"; fi
        done
    } >"$ctx/Dockerfile.12"
    dk build -q -f "$ctx/Dockerfile.3" -t bf-3layer:latest "$ctx" >/dev/null
    dk build -q -f "$ctx/Dockerfile.12" -t bf-12layer:latest "$ctx" >/dev/null
    rm -rf "$ctx"
}
