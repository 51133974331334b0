#!/bin/bash
# bundlefsctl against what a real Docker engine wrote: a private dockerd (Debian's docker.io)
# per storage driver (overlay2, vfs), images of 1, 3 and 12 layers built without a registry,
# containers created from them. Compared with Docker's own reports:
#   - ChainIDs: recomputed from `docker image inspect .RootFS.Layers` with sha256sum, and the
#     layerdb directory names;
#   - overlay2 layer folders: `docker inspect .GraphDriver.Data` (LowerDir/UpperDir) of every
#     image and container;
#   - vfs layer folders: a shell walk of the layerdb `parent`/`cache-id` files;
#   - names, image IDs and ID-prefix lookup: `docker inspect`.
#   - config.json of every container: valid against the official OCI 1.3.0 schema.
# Env (from meson): BUNDLEFSCTL, SOURCE_ROOT, VALIDATE_OCI.
set -euo pipefail
ctl=${BUNDLEFSCTL:?}
src=${SOURCE_ROOT:?}
# shellcheck source=lib/dockerd.sh
source "$src/tests/integration/lib/dockerd.sh"

work=$(mktemp -d /tmp/bf-docker-XXXXXX)
cleanup() {
    dockerd_stop
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

# shellcheck source=lib/chainid.sh
source "$src/tests/integration/lib/chainid.sh"

for drv in overlay2 vfs; do
    w=$work/$drv
    mkdir -p "$w"
    dockerd_start "$drv" "$w"
    R=$DOCKER_ROOT
    dockerd_make_images
    dk create --name one bf-1layer:latest sh >/dev/null
    dk create --name three-a bf-3layer:latest sh >/dev/null
    dk create --name three-b bf-3layer:latest sh >/dev/null
    dk create --name twelve bf-12layer:latest sh >/dev/null
    # A container that has run, if this machine can run one (runc in a VM may be refused).
    if dk run --name ran bf-1layer:latest true >"$w/run.log" 2>&1; then
        ok "$drv: ran a container"
    else
        echo "note: $drv: 'docker run' is not possible here ($(tail -n 1 "$w/run.log")); created containers only"
        dk rm -f ran >/dev/null 2>&1 || true
    fi

    # Read while the daemon runs, too.
    if "$ctl" "$R" containers >"$w/live.txt"; then ok "$drv: containers while dockerd runs"; else bad "$drv: containers while dockerd runs"; fi

    dk inspect $(dk ps -aq --no-trunc) >"$w/containers.json"
    dk image inspect $(dk images -q --no-trunc | sort -u) >"$w/images.json"
    dockerd_stop

    # Images: ChainIDs, diff IDs, layer folders.
    for iid in $(jq -r '.[].Id' "$w/images.json"); do
        img=$(jq --arg i "$iid" '.[] | select(.Id == $i)' "$w/images.json")
        short=${iid#sha256:}; short=${short:0:12}
        chains=$(jq -r '.RootFS.Layers[]' <<<"$img" | chain_ids | tac)
        out=$("$ctl" "$R" layers "$iid")
        same "$drv: image $short: chain ids" "$chains" "$(cut -f1 <<<"$out")"
        same "$drv: image $short: diff ids" "$(jq -r '.RootFS.Layers[]' <<<"$img" | tac)" "$(cut -f2 <<<"$out")"
        missing=0
        for c in $chains; do [ -d "$R/image/$drv/layerdb/sha256/${c#sha256:}" ] || missing=1; done
        if [ $missing -eq 0 ]; then ok "$drv: image $short: layerdb has every chain id"; else bad "$drv: image $short: layerdb lacks a chain id"; fi
        if [ "$drv" = overlay2 ]; then
            want=$(jq -r '.GraphDriver.Data | [.UpperDir] + (if .LowerDir then (.LowerDir | split(":")) else [] end) | .[]' <<<"$img")
            same "$drv: image $short: layer folders = GraphDriver.Data" "$want" "$(cut -f4 <<<"$out")"
        fi
    done

    # Containers: listing, layer paths, own folder, lookups.
    for cid in $(jq -r '.[].Id' "$w/containers.json"); do
        c=$(jq --arg i "$cid" '.[] | select(.Id == $i)' "$w/containers.json")
        name=$(jq -r '.Name' <<<"$c")
        image=$(jq -r '.Image' <<<"$c")
        nlayers=$(jq --arg i "$image" '.[] | select(.Id == $i) | .RootFS.Layers | length' "$w/images.json")
        same "$drv: ${name#/}: containers line" "$cid	${name#/}	$image	$nlayers" "$(grep "^$cid" <<<"$("$ctl" "$R" containers)")"
        paths=$("$ctl" "$R" layerpaths "$cid")
        folder=$("$ctl" "$R" layerfolder "$cid")
        if [ "$drv" = overlay2 ]; then
            # LowerDir = <mount-id>-init/diff : image layers top-most first.
            same "$drv: ${name#/}: layerpaths = LowerDir without the init layer" \
                "$(jq -r '.GraphDriver.Data.LowerDir | split(":") | .[1:] | .[]' <<<"$c")" "$paths"
            same "$drv: ${name#/}: layerfolder = UpperDir" "$(jq -r '.GraphDriver.Data.UpperDir' <<<"$c")" "$folder"
        else
            ldb=$R/image/vfs/layerdb
            walk="" ch=$(cat "$ldb/mounts/$cid/parent")
            while [ -n "$ch" ]; do
                walk+="$R/vfs/dir/$(cat "$ldb/sha256/${ch#sha256:}/cache-id")"$'\n'
                if [ -f "$ldb/sha256/${ch#sha256:}/parent" ]; then ch=$(cat "$ldb/sha256/${ch#sha256:}/parent"); else ch=""; fi
            done
            same "$drv: ${name#/}: layerpaths = layerdb parent walk" "${walk%$'\n'}" "$paths"
            same "$drv: ${name#/}: layerfolder = vfs/dir/<mount-id>" "$R/vfs/dir/$(cat "$ldb/mounts/$cid/mount-id")" "$folder"
        fi
        same "$drv: ${name#/}: layerpaths ends with a newline" "1" "$("$ctl" "$R" layerpaths "$cid" | tail -c1 | wc -l)"
        same "$drv: resolve by name $name" "$cid" "$("$ctl" "$R" resolve "${name#/}")"
        same "$drv: resolve by prefix ${cid:0:12}" "$cid" "$("$ctl" "$R" resolve "${cid:0:12}")"
    done
    n=$(jq length "$w/containers.json")
    same "$drv: container count" "$n" "$("$ctl" "$R" containers | wc -l)"

    # config.json of every real container: valid OCI 1.3.0 (Linux images: no windows section).
    mkdir -p "$w/configs"
    for cid in $(jq -r '.[].Id' "$w/containers.json"); do
        "$ctl" "$R" config "$cid" >"$w/configs/$cid.json" || bad "$drv: $cid: config.json failed"
    done
    if "${VALIDATE_OCI:?}" "$w/configs/"*.json >"$w/validate.log"; then
        ok "$drv: every config.json passes validate-oci-config"
    else
        bad "$drv: validate-oci-config"
        grep -v ': OK$' "$w/validate.log" | head -n 20
    fi
done
echo "docker-layerstore: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
