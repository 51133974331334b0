#!/bin/bash
# Linux bundles against the spec Docker 20.10 itself hands to runc. Per storage driver (overlay2,
# vfs): a private dockerd whose default runtime is lib/capture-runtime (runc, recording
# <bundle>/config.json at `create`), the containers of lib/linux_cases.sh (each started once),
# dockerd stopped, the data-root mounted with bundlefs. Then for every container:
#  - MNT/<id>/config.json = the captured spec, after removing exactly the differences a stopped
#    daemon explains (norm below); a readable diff on mismatch; then the members' order;
#  - a container Docker made no spec for (createSpec failed): reading its config.json fails;
#  - every served config.json passes validate-oci-config;
#  - `runc run` of the served bundle (MNT/<id>, read-only; for overlay2 the rootfs mounted first
#    from MNT/<id>/mountopts) prints what `docker logs` printed (the probe of linux_cases.sh).
#    Not run (and said so), see lib/runc_probe.sh: TTY containers (no console socket here),
#    containers that did not run under Docker either (this host refuses --privileged and
#    --cap-add ALL: its bounding set lacks CAP_SYS_RESOURCE), namespaces of processes gone
#    (container:X, --network host), and, for safety, a served config without its own mount
#    namespace or with another root.path than Docker's.
# Every mismatch is reported; nothing stops at the first. Everything made is undone by the trap.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, SOURCE_ROOT, VALIDATE_OCI.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?}
src=${SOURCE_ROOT:?} validate=${VALIDATE_OCI:?}
lib=$src/tests/integration/lib
# shellcheck source=lib/dockerd.sh
source "$lib/dockerd.sh"
# shellcheck source=lib/mount.sh
source "$lib/mount.sh"
# shellcheck source=lib/linux_cases.sh
source "$lib/linux_cases.sh"
# shellcheck source=lib/check.sh
source "$lib/check.sh"
# shellcheck source=lib/runc_probe.sh
source "$lib/runc_probe.sh"

work=$(mktemp -d /tmp/bf-dlinux-XXXXXX)
RP_ROOT=$work/runc-root
BR=bfdl$$ made_bridge=0
cleanup() {
    rp_cleanup
    mount_cleanup
    dockerd_stop
    linux_cases_cleanup
    if [ "$made_bridge" = 1 ]; then ip link del "$BR" 2>/dev/null || true; fi
    made_bridge=0
    # Never rm -rf across a mount that is still there.
    if findmnt -rn -o TARGET | grep -qF "$work/"; then
        echo "cleanup: mounts left under $work, not removed:" >&2
        findmnt -rn -o TARGET | grep -F "$work/" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# The documented differences between the spec a live dockerd hands to runc and the one bundlefs
# serves from a stopped daemon's files, and nothing else:
#  - ociVersion: bundlefs writes "1.3.0" (Docker 20.10: "1.0.2-dev");
#  - hooks: the prestart hook `/proc/<dockerd-pid>/exe libnetwork-setkey ...` exists only for a
#    live dockerd (and is {} without a sandbox);
#  - --network host: 20.10 joins the daemon's <exec-root>/netns/default (the host's namespace,
#    a mount only the running daemon keeps); bundlefs lists no network namespace, which is the
#    same host network without the daemon (as today's Docker writes it).
# shellcheck disable=SC2016 # jq's $nethost
norm='del(.ociVersion, .hooks)
  | if $nethost then del(.linux.namespaces[]? | select(.type == "network")) else . end'

# validate-oci-config over DIR/*.json, as lines NAME<TAB>ERROR (nothing for a valid file).
validate_errors() { # dir
    "$validate" "$1"/*.json 2>&1 | awk '
        /^\/.*: (OK|INVALID)/ {
            f = $0; sub(/: (OK|INVALID).*/, "", f); n = split(f, a, "/"); name = a[n]; sub(/\.json$/, "", name)
            if ($0 ~ /INVALID \(not valid JSON/) print name "\tnot valid JSON"
            next
        }
        /^  / { sub(/^  /, ""); print name "\t" $0 }' || true
}

for drv in ${DOCKER_LINUX_DRIVERS:-overlay2 vfs}; do
    w=$work/$drv M=$work/mnt-$drv TD=$work/$drv/truth
    mkdir -p "$w/run" "$RP_ROOT"
    "$lib/capture-runtime" install "$w/run/capture-runtime" "$w/run/capture"
    extra=(--add-runtime "bfcapture=$w/run/capture-runtime" --default-runtime bfcapture)
    # A default bridge: dockerd makes only "docker0" itself; another name must exist first.
    if ip link show "$BR" >/dev/null 2>&1 || { ip link add "$BR" type bridge 2>/dev/null && made_bridge=1; }; then
        extra+=(--bridge="$BR")
    else
        echo "note: no bridge interface could be made; the default network is none (--bridge=none)"
    fi
    dockerd_start "$drv" "$w/run" "${extra[@]}"
    R=$DOCKER_ROOT
    dockerd_make_images
    linux_cases_setup "$w"
    linux_cases_run "$w"
    linux_cases_collect "$w" "$w/run/capture" "$TD"
    dockerd_stop
    if [ "$made_bridge" = 1 ]; then ip link del "$BR" 2>/dev/null || true; made_bridge=0; fi
    ncase=$(wc -l <"$TD/cases.tsv")
    echo "$drv: $ncase cases, $(find "$TD/spec" -name '*.json' | wc -l) specs captured:"
    awk -F '\t' '{ print "  " $1 ": " $2 }' "$TD/cases.tsv"

    # A container:X mode or a legacy link needs X running: stopping dockerd stopped the targets
    # and cleared their state. Put back, in each target's config.v2.json, the state Docker's own
    # file had while the specs were made (docker inspect, taken before the stop): Running, Pid
    # and the networks' IP addresses. Written as Docker writes it (a temporary file, renamed).
    for tgt in target bftarget; do
        tid=$(awk -F '\t' -v n="$tgt" '$1 == n { print $2 }' "$TD/ids.tsv")
        [ -n "$tid" ] || continue
        live=$(jq -c --arg id "$tid" '.[] | select(.Id == $id) | {pid: .State.Pid, ips: (.NetworkSettings.Networks | map_values(.IPAddress))}' "$TD/inspect.json")
        f=$R/containers/$tid/config.v2.json
        jq -c --argjson live "$live" '.State.Running = true | .State.Pid = $live.pid
            | reduce ($live.ips | to_entries[]) as $e (.; .NetworkSettings.Networks[$e.key].IPAddress = $e.value)' \
            "$f" >"$f.bftmp" && mv "$f.bftmp" "$f"
    done

    mount_start "$M" "$R"

    # Every served config.json is a valid OCI config, except where Docker's own spec is not:
    # 20.10 writes rootfsPropagation "rslave" (bind-rslave), which the schema's enum lacks, and
    # bundlefs is to equal Docker. So a served file may fail validation only with errors that
    # the captured spec of the same container has too.
    mkdir -p "$w/oci" "$w/oci-docker"
    while IFS=$'\t' read -r name id; do
        [ -f "$TD/spec/$name.json" ] || continue
        cp "$TD/spec/$name.json" "$w/oci-docker/$name.json"
        cp "$M/$id/config.json" "$w/oci/$name.json" 2>/dev/null || : >"$w/oci/$name.json"
    done <"$TD/ids.tsv"
    validate_errors "$w/oci" >"$w/validate.bundlefs"
    validate_errors "$w/oci-docker" >"$w/validate.docker"
    extra_err=$(grep -vxF -f "$w/validate.docker" "$w/validate.bundlefs" || true)
    if [ -z "$extra_err" ]; then
        also=""
        [ ! -s "$w/validate.docker" ] || also=" (but for the errors Docker's own spec has: $(cut -f1 "$w/validate.docker" | sort -u | tr '\n' ' '))"
        ok "$drv: every served config.json passes validate-oci-config$also"
    else
        bad "$drv: validate-oci-config (errors Docker's own spec of the container does not have):"
        printf '%s\n' "$extra_err" | head -n 40 | sed 's/^/    /'
    fi

    while IFS=$'\t' read -r -u 3 name id; do
        status=$(awk -F '\t' -v n="$name" '$1 == n { print $2 }' "$TD/cases.tsv")
        truth=$TD/spec/$name.json served=$M/$id/config.json
        if [ ! -f "$truth" ]; then
            # Docker made no spec (createSpec failed, e.g. -u nobody without /etc/passwd): there
            # is nothing runc could be given, so reading the bundle's config.json must fail.
            if cat "$served" >/dev/null 2>"$w/read.err"; then
                bad "$drv: $name: config.json is served, but Docker made no spec ($status: $(head -c 300 "$w/lc/err/$name.txt" 2>/dev/null))"
            else
                ok "$drv: $name: no spec, as with Docker ($(head -c 200 "$w/lc/err/$name.txt" 2>/dev/null)); reading config.json fails: $(head -c 200 "$w/read.err")"
            fi
            continue
        fi
        nethost=false
        [ "$(jq -r '.[] | select(.Id == "'"$id"'") | .HostConfig.NetworkMode' "$TD/inspect.json")" = host ] && nethost=true
        if ! cat "$served" >/dev/null 2>"$w/read.err"; then
            bad "$drv: $name: reading config.json fails: $(head -c 300 "$w/read.err")"
            continue
        fi
        if ! jq -e . "$served" >/dev/null 2>&1; then
            bad "$drv: $name: $served is not JSON: $(head -c 200 "$served")"
            continue
        fi
        if cmp -s <(jq -S --argjson nethost "$nethost" "$norm" "$truth") <(jq -S --argjson nethost "$nethost" "$norm" "$served"); then
            ok "$drv: $name: config.json = Docker's spec"
            # Same content; the members in Docker's order too (encoding/json: struct field order).
            if cmp -s <(jq -c --argjson nethost "$nethost" "$norm" "$truth") <(jq -c --argjson nethost "$nethost" "$norm" "$served"); then
                ok "$drv: $name: config.json members in Docker's order"
            else
                bad "$drv: $name: config.json has Docker's content, members in another order (- docker, + bundlefs):"
                diff -u --label docker --label bundlefs \
                    <(jq --argjson nethost "$nethost" "$norm" "$truth") \
                    <(jq --argjson nethost "$nethost" "$norm" "$served") | sed 1,2d | head -n 40 | sed 's/^/    /' || true
            fi
        else
            bad "$drv: $name: config.json differs from Docker's spec (- docker, + bundlefs):"
            diff -u --label docker --label bundlefs \
                <(jq -S --argjson nethost "$nethost" "$norm" "$truth") \
                <(jq -S --argjson nethost "$nethost" "$norm" "$served") | sed 1,2d | head -n 60 | sed 's/^/    /' || true
        fi

        rp_compare "$drv: $name" "$status" "$M/$id" "$truth" "$TD/logs/$name.txt" "$R" "$w/runc-$name" "bfdl-$drv-$name-$$"
    done 3<"$TD/ids.tsv"
    if mount_stop_clean "$M"; then ok "$drv: daemon exited cleanly"; else bad "$drv: daemon exit"; fi
    linux_cases_cleanup
done
echo "docker-linux: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
