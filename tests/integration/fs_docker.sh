#!/bin/bash
# bundlefs over what a real Docker engine wrote: a private dockerd (Debian's docker.io) per
# storage driver (overlay2, vfs), images of 1, 3 and 12 layers, containers from `docker
# create`. The data-root is mounted while dockerd runs: containers created, renamed and
# removed with the docker CLI show up in the mount (observed delay printed). After dockerd
# stops, every file is checked against bundlefsctl (lib/fscheck.py: bytes, st_size, modes,
# owners, prefixes, by-name; plus cat, cp, tail -c and jq) and against `docker inspect` (by-name links,
# process args, env, hostname, tty, layer folders), and every config.json passes
# validate-oci-config. These are Linux containers: config.json, layerpaths and, on overlay2,
# mountopts (its lowerdir links resolve to GraphDriver.Data.LowerDir, init layer first; upperdir
# and workdir are UpperDir and WorkDir); no createoptions.json or utilityvm; config.json's
# root.path is MergedDir (overlay2) or vfs/dir/<mount-id>.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, SOURCE_ROOT, VALIDATE_OCI.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
src=${SOURCE_ROOT:?} validate=${VALIDATE_OCI:?}
lib=$src/tests/integration/lib
# shellcheck source=lib/dockerd.sh
source "$lib/dockerd.sh"
# shellcheck source=lib/mount.sh
source "$lib/mount.sh"
# shellcheck source=lib/expected.sh
source "$lib/expected.sh"
work=$(mktemp -d /tmp/bf-fsdocker-XXXXXX)
cleanup() {
    mount_cleanup
    dockerd_stop
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

# A Linux container's process.env as Docker 20.10 makes it (container.CreateDaemonEnvironment):
# the default PATH, HOSTNAME, TERM=xterm with a TTY, then Config.Env over them as
# ReplaceOrAppendEnvValues does (a key of the defaults replaced in its slot, even after an
# unset; "KEY" alone unsets it; anything else appended). No links here.
linux_env='def key: split("=")[0];
    (["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + .Config.Hostname]
        + (if .Config.Tty then ["TERM=xterm"] else [] end)) as $d
    | reduce (.Config.Env // [])[] as $v ($d;
        ([range(0; $d | length) | select(($d[.] | key) == ($v | key))] | last) as $i
        | if ($v | contains("=")) then (if $i == null then . + [$v] else .[$i] = $v end)
          elif $i == null then . else .[$i] = "" end)
    | map(select(. != ""))'
for drv in overlay2 vfs; do
    w=$work/$drv M=$work/mnt-$drv
    mkdir -p "$w"
    dockerd_start "$drv" "$w"
    R=$DOCKER_ROOT
    dockerd_make_images
    dk create --name one bf-1layer:latest sh >/dev/null
    dk create --name three -t -e FOO=bar -e 'SPACED=a b' --hostname myhost -w /tmp bf-3layer:latest sh -c 'echo "hi there"' >/dev/null
    dk create --name twelve --entrypoint /bin/busybox bf-12layer:latest ls -l / >/dev/null

    # Mounted while dockerd runs: the docker CLI's changes appear.
    mount_start "$M" "$R"
    dk create --name late bf-3layer:latest true >/dev/null
    late=$(dk inspect -f '{{.Id}}' late)
    appeared() { [ "$(readlink "$M/by-name/late" 2>/dev/null)" = "../$late" ] && [ -s "$M/$late/config.json" ]; }
    if poll_until 10 "$drv: docker create seen" appeared; then ok "$drv: docker create seen"; else bad "$drv: docker create not seen"; fi
    dk rename late later
    renamed() { [ "$(readlink "$M/by-name/later" 2>/dev/null)" = "../$late" ] && [ ! -L "$M/by-name/late" ]; }
    if poll_until 10 "$drv: docker rename seen" renamed; then ok "$drv: docker rename seen"; else bad "$drv: docker rename not seen"; fi
    dk rm later >/dev/null
    removed() { [ ! -e "$M/$late" ] && ! ls "$M" | grep -xF "$late" >/dev/null && [ ! -L "$M/by-name/later" ]; }
    if poll_until 10 "$drv: docker rm seen" removed; then ok "$drv: docker rm seen"; else bad "$drv: docker rm not seen"; fi

    dk inspect $(dk ps -aq --no-trunc) >"$w/containers.json"
    dockerd_stop

    # Every file = bundlefsctl's bytes, with Python's file APIs and with cat/jq.
    expected_tree "$w/exp" "$R"
    same "$drv: container count" "$(jq length "$w/containers.json")" "$(wc -l <"$w/exp/ids")"
    for id in $(cat "$w/exp/ids"); do
        [ -e "$w/exp/$id/error" ] && bad "$drv: $id has errors: $(cat "$w/exp/$id/error")"
        want="config.json layerpaths"
        [ "$drv" = overlay2 ] && want+=" mountopts"
        same "$drv: $id: files" "$want" "$(tr '\n' ' ' <"$w/exp/$id/files" | sed 's/ $//')"
        same "$drv: $id: no createoptions.json" "No such file or directory" \
            "$(cat "$M/$id/createoptions.json" 2>&1 >/dev/null | sed 's/.*: //')"
        for f in $want; do
            if cmp -s <(cat "$M/$id/$f") "$w/exp/$id/$f"; then ok "$drv: cat $id/$f"; else bad "$drv: cat $id/$f differs from bundlefsctl"; fi
            rm -f "$w/cp"
            cp "$M/$id/$f" "$w/cp" && cmp -s "$w/cp" "$w/exp/$id/$f" && ok "$drv: cp $id/$f" || bad "$drv: cp $id/$f differs from bundlefsctl"
            same "$drv: tail -c 30 $id/$f" "$(tail -c 30 "$w/exp/$id/$f" | od -An -c)" "$(tail -c 30 "$M/$id/$f" | od -An -c)"
            case $f in *.json) same "$drv: jq -S . $id/$f" "$(jq -S . "$w/exp/$id/$f")" "$(jq -S . "$M/$id/$f" 2>&1)" ;; esac
        done
    done
    if python3 "$lib/fscheck.py" "$M" "$w/exp" "$R" >"$w/fscheck.log"; then ok "$drv: $(tail -n 1 "$w/fscheck.log")"; else
        bad "$drv: fscheck.py"
        head -n 40 "$w/fscheck.log"
    fi

    # Against docker inspect.
    for cid in $(jq -r '.[].Id' "$w/containers.json"); do
        c=$(jq --arg i "$cid" '.[] | select(.Id == $i)' "$w/containers.json")
        name=$(jq -r '.Name | ltrimstr("/")' <<<"$c")
        cfg=$M/by-name/$name/config.json
        same "$drv: by-name/$name" "../$cid" "$(readlink "$M/by-name/$name")"
        same "$drv: $name: process.args = Path + Args" "$(jq -c '[.Path] + .Args' <<<"$c")" "$(jq -c '.process.args' "$cfg")"
        same "$drv: $name: process.env = Docker's Linux environment from Config" "$(jq -c "$linux_env" <<<"$c")" "$(jq -c '.process.env' "$cfg")"
        same "$drv: $name: hostname" "$(jq -r '.Config.Hostname' <<<"$c")" "$(jq -r '.hostname' "$cfg")"
        same "$drv: $name: terminal = Tty" "$(jq '.Config.Tty' <<<"$c")" "$(jq '.process.terminal // false' "$cfg")"
        if [ "$(jq -r '.Config.WorkingDir' <<<"$c")" != "" ]; then
            same "$drv: $name: cwd = WorkingDir" "$(jq -r '.Config.WorkingDir' <<<"$c")" "$(jq -r '.process.cwd' "$cfg")"
        fi
        root=$(jq -r '.root.path' "$cfg")
        if [ "$drv" = overlay2 ]; then
            same "$drv: $name: layerpaths = LowerDir without the init layer" \
                "$(jq -r '.GraphDriver.Data.LowerDir | split(":") | .[1:] | .[]' <<<"$c")" "$(cat "$M/$cid/layerpaths")"
            same "$drv: $name: root.path = MergedDir" "$(jq -r '.GraphDriver.Data.MergedDir' <<<"$c")" "$root"
            # mountopts: [index=off,]lowerdir=<R>/overlay2/l/<link>:...,upperdir=...,workdir=...
            mo=$(cat "$M/$cid/mountopts")
            mo=${mo#index=off,}
            IFS=, read -r lo up wk extra <<<"$mo"
            same "$drv: $name: mountopts upperdir = UpperDir" "upperdir=$(jq -r '.GraphDriver.Data.UpperDir' <<<"$c")" "$up"
            same "$drv: $name: mountopts workdir = WorkDir" "workdir=$(jq -r '.GraphDriver.Data.WorkDir' <<<"$c")" "$wk"
            same "$drv: $name: mountopts has three options" "" "$extra"
            resolved=""
            IFS=: read -r -a links <<<"${lo#lowerdir=}"
            for l in "${links[@]}"; do
                case $l in "$R/overlay2/l/"*) ;; *) bad "$drv: $name: mountopts lower $l is not under $R/overlay2/l/" ;; esac
                resolved+="$(readlink -f "$l")"$'\n'
            done
            same "$drv: $name: mountopts lowerdir resolves to LowerDir (init layer first)" \
                "$(jq -r '.GraphDriver.Data.LowerDir | split(":") | .[]' <<<"$c" | xargs -r -n1 readlink -f)" "${resolved%$'\n'}"
        else
            same "$drv: $name: root.path = vfs/dir/<mount-id>" \
                "$R/vfs/dir/$(cat "$R/image/vfs/layerdb/mounts/$cid/mount-id")" "$root"
        fi
    done
    mkdir -p "$w/oci"
    for id in $(cat "$w/exp/ids"); do cp "$M/$id/config.json" "$w/oci/$id.json"; done
    if "$validate" "$w/oci/"*.json >"$w/validate.log" 2>&1; then ok "$drv: every config.json passes validate-oci-config"; else
        bad "$drv: validate-oci-config"
        grep -v ': OK$' "$w/validate.log" | head -n 20
    fi
    if mount_stop_clean "$M"; then ok "$drv: daemon exited cleanly"; else bad "$drv: daemon exit"; fi
done
echo "fs-docker: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
