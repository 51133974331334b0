#!/bin/bash
# Ground truth of Docker's Linux config.json: for each storage driver, a private dockerd
# (lib/dockerd.sh) whose default runtime is lib/capture-runtime (runc, recording
# <bundle>/config.json at `create`), the containers of lib/linux_cases.sh, then dockerd stopped.
#   capture_truth.sh [OUT [DRIVER...]]     (OUT default /tmp/bf-truth; drivers overlay2 vfs)
# Writes, per driver, OUT/DRIVER/:
#   root/           the data-root (kept; dockerd stopped, so it is consistent)
#   spec/NAME.json  the spec Docker handed to runc;  logs/NAME.txt  docker logs
#   inspect.json    docker inspect of every container;  cases.tsv, ids.tsv
#   run/            exec-root, dockerd.log, the capture runtime and its raw captures (by id)
#   lc/             bind sources and seccomp profiles the cases used (paths in the specs)
# and OUT/README.txt (each case -> its docker command line and status).
# An existing OUT/DRIVER is refused (move it away first). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/bf-truth}
shift || true
drivers=("$@")
[ ${#drivers[@]} -gt 0 ] || drivers=(overlay2 vfs)
# shellcheck source=dockerd.sh
source "$here/dockerd.sh"
# shellcheck source=linux_cases.sh
source "$here/linux_cases.sh"
BR=bfbr0
made_bridge=0
cleanup() {
    dockerd_stop
    linux_cases_cleanup
    if [ "$made_bridge" = 1 ]; then ip link del "$BR" 2>/dev/null || true; fi
    made_bridge=0
}
trap cleanup EXIT
mkdir -p "$out"
for drv in "${drivers[@]}"; do
    d=$out/$drv
    if [ -e "$d" ]; then
        echo "capture_truth: $d exists; move it away first" >&2
        exit 1
    fi
    mkdir -p "$d/run"
    "$here/capture-runtime" install "$d/run/capture-runtime" "$d/run/capture"
    # The default bridge: dockerd creates only "docker0" itself, another name must exist.
    if ! ip link show "$BR" >/dev/null 2>&1; then
        ip link add "$BR" type bridge
        made_bridge=1
    fi
    DOCKERD_DATA_ROOT=$d/root dockerd_start "$drv" "$d/run" \
        --add-runtime "bfcapture=$d/run/capture-runtime" --default-runtime bfcapture --bridge="$BR"
    dockerd_make_images
    linux_cases_setup "$d"
    linux_cases_run "$d"
    linux_cases_collect "$d" "$d/run/capture" "$d"
    dk version >"$d/docker-version.txt" 2>&1 || true
    dk info >"$d/docker-info.txt" 2>&1 || true
    cleanup
    echo "capture_truth: $drv done: $(wc -l <"$d/cases.tsv") cases, $(find "$d/spec" -name '*.json' | wc -l) specs"
done

{
    echo "bf-truth: ground truth of Docker $(/usr/sbin/dockerd --version | sed 's/^Docker version //') Linux specs"
    echo "(the config.json dockerd -> containerd -> containerd-shim-runc-v2 handed to runc at create,"
    echo "captured by tests/integration/lib/capture-runtime; made by tests/integration/lib/capture_truth.sh)"
    echo
    echo "Per driver (overlay2/, vfs/): root/ = the data-root (dockerd stopped), spec/NAME.json = captured"
    echo "config.json, logs/NAME.txt = docker logs, inspect.json = docker inspect of all, ids.tsv, cases.tsv,"
    echo "run/ = exec-root, dockerd.log, raw captures by id; lc/ = bind sources and seccomp profiles."
    echo "dockerd ran with: --iptables=false --ip6tables=false --bridge=$BR (a bridge made beforehand with"
    echo "ip link add, deleted afterwards) --add-runtime bfcapture=... --default-runtime bfcapture, cgroupfs"
    echo "driver, cgroup v1, no AppArmor/SELinux. Every container was started once (docker run -d)."
    echo "Targets 'target' (default bridge, --ipc shareable) and 'bftarget' (network bfnet) kept running"
    echo "until dockerd_stop killed them; so container:target namespace paths name a pid that is gone."
    echo
    echo "PROBE (the command of almost every case: sh -c \"\$PROBE\"):"
    printf '%s\n' "$LC_PROBE" | sed 's/^/    /'
    echo
    echo "Status: 'exited N' ran and exited N; 'running' a target; 'start-failed' container exists"
    echo "(created), spec captured, runc refused it (error below); 'refused' docker refused, no container."
    for drv in "${drivers[@]}"; do
        d=$out/$drv
        echo
        echo "== $drv =="
        while IFS=$'\t' read -r name status cmd; do
            spec=no
            [ -f "$d/spec/$name.json" ] && spec=yes
            printf '%-20s %-13s spec:%-3s  %s\n' "$name" "$status" "$spec" "$cmd"
            if [ -f "$d/lc/err/$name.txt" ]; then
                sed 's/^/                     ! /' "$d/lc/err/$name.txt"
            fi
        done <"$d/cases.tsv"
    done
} >"$out/README.txt.new"
mv -f "$out/README.txt.new" "$out/README.txt"
echo "capture_truth: wrote $out/README.txt"
