#!/bin/bash
# bundlefsctl over generated data-roots (all three drivers), checked against independent
# computations in shell: image IDs are the sha256 of their bytes, ChainIDs recomputed with
# sha256sum, layer paths from the windowsfilter layerchain.json files (written the way a
# Windows host writes them) and from walking the layerdb `parent` files. Each container's file
# set (`files`): Windows ones have createoptions.json, Linux ones (overlay2, vfs) do not, and
# on overlay2 have mountopts, built here from the layers' `link` files (the -init layer's,
# then the image's top-most first; each l/<link> resolving to that layer's diff). Asking for a
# file a container does not have exits 1 and says so.
# Env (from meson): BUNDLEFSCTL, GEN_DATAROOT.
set -euo pipefail
ctl=${BUNDLEFSCTL:?} gen=${GEN_DATAROOT:?}
work=$(mktemp -d /tmp/bf-ctlgen-XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

# shellcheck source=lib/chainid.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/chainid.sh"

# Determinism.
"$gen" --quiet --seed 7 --containers 6 "$work/a"
"$gen" --quiet --seed 7 --containers 6 "$work/b"
"$gen" --quiet --seed 8 --containers 6 "$work/c"
if diff -r "$work/a" "$work/b" >/dev/null; then ok "same seed, same tree"; else bad "same seed differs"; fi
if ! diff -r "$work/a" "$work/c" >/dev/null; then ok "other seed, other tree"; else bad "seeds 7 and 8 equal"; fi

for drv in windowsfilter overlay2 vfs; do
    R=$work/$drv
    "$gen" --quiet --driver "$drv" --seed 3 --containers 15 --images 5 --layers 1-14 "$R"
    ldb=$R/image/$drv/layerdb

    # Image IDs and ChainIDs.
    for f in "$R/image/$drv/imagedb/content/sha256/"*; do
        name=$(basename "$f")
        [ "$(sha256sum <"$f" | cut -c1-64)" = "$name" ] || { bad "$drv: image $name: hash"; continue; }
        expect=$(jq -r '.rootfs.diff_ids[]' "$f" | chain_ids | tac)
        got=$("$ctl" "$R" layers "$name" | cut -f1)
        if [ "$expect" = "$got" ]; then ok "$drv: image ${name:0:12}: chain ids"; else bad "$drv: image $name: chain ids"; fi
        for c in $expect; do
            [ -d "$ldb/sha256/${c#sha256:}" ] || bad "$drv: layerdb has no $c"
        done
    done

    # Containers: count, layer paths two independent ways.
    n=$("$ctl" "$R" containers | wc -l)
    if [ "$n" -eq 15 ]; then ok "$drv: 15 containers listed"; else bad "$drv: $n containers listed"; fi
    for d in "$R/containers/"*/; do
        id=$(basename "$d")
        got=$("$ctl" "$R" layerpaths "$id")
        # walk parent files from mounts/<id>/parent
        walk="" c=$(cat "$ldb/mounts/$id/parent")
        while [ -n "$c" ]; do
            cache=$(cat "$ldb/sha256/${c#sha256:}/cache-id")
            case $drv in
            windowsfilter) p=$R/windowsfilter/$cache ;;
            overlay2) p=$R/overlay2/$cache/diff ;;
            vfs) p=$R/vfs/dir/$cache ;;
            esac
            walk+="$p"$'\n'
            pf=$ldb/sha256/${c#sha256:}/parent
            if [ -f "$pf" ]; then c=$(cat "$pf"); else c=""; fi
        done
        if [ "$got"$'\n' = "$walk" ]; then ok "$drv: $id: layerpaths = parent walk"; else bad "$drv: $id: layerpaths vs parent walk"; fi
        if [ "$drv" = windowsfilter ]; then
            lc=$(jq -r '.[]' "$R/windowsfilter/$id/layerchain.json" |
                sed -e 's|^C:\\ProgramData\\docker\\||' -e 's|\\|/|g' -e "s|^|$R/|")
            if [ "$got" = "$lc" ]; then ok "$drv: $id: layerpaths = layerchain.json"; else bad "$drv: $id: layerpaths vs layerchain.json"; fi
            win=$("$ctl" --hostroot='C:\ProgramData\docker' "$R" layerpaths "$id")
            if [ "$win" = "$(jq -r '.[]' "$R/windowsfilter/$id/layerchain.json")" ]; then
                ok "$drv: $id: Windows rendering = layerchain.json"
            else bad "$drv: $id: Windows rendering"; fi
        fi
        # layerpaths is newline-terminated, one path per line: byte count = sum of lines + n
        bytes=$("$ctl" "$R" layerpaths "$id" | wc -c)
        [ "$bytes" -eq $(( $(printf '%s\n' "$got" | wc -c) )) ] || bad "$drv: $id: byte count"

        # The file set, and what a container does not have.
        case $drv in
        windowsfilter)
            want="config.json createoptions.json layerpaths"
            if "$ctl" "$R" utilityvm "$id" >/dev/null 2>&1; then want+=" utilityvm"; fi ;;
        overlay2) want="config.json layerpaths mountopts" ;;
        vfs) want="config.json layerpaths" ;;
        esac
        same "$drv: $id: files" "$want" "$("$ctl" "$R" files "$id" | tr '\n' ' ' | sed 's/ $//')"
        same "$drv: $id: no errors" "" "$("$ctl" "$R" errors "$id" 2>&1)"
        for f in createoptions:createoptions.json utilityvm:utilityvm mountopts:mountopts; do
            case " $want " in *" ${f#*:} "*) continue ;; esac
            rc=0
            out=$("$ctl" "$R" "${f%%:*}" "$id" 2>"$work/err") || rc=$?
            name=${f#*:}
            [ "$name" = utilityvm ] && name="utility VM"
            if [ "$rc" -eq 1 ] && [ -z "$out" ] && grep -q "^bundlefsctl: container $id has no $name (.*)\$" "$work/err"; then
                ok "$drv: $id: has no ${f#*:}"
            else bad "$drv: $id: ${f%%:*}: want exit 1 and 'has no $name', got exit $rc: $out $(cat "$work/err")"; fi
        done
        if [ "$drv" = overlay2 ]; then
            # mountopts from the layers' link files, each l/ link checked to be that layer's diff
            mid=$(cat "$ldb/mounts/$id/mount-id") init=$(cat "$ldb/mounts/$id/init-id")
            [ "$init" = "$mid-init" ] || bad "$drv: $id: init-id is not <mount-id>-init (test setup)"
            lowers="" dirs=("$R/overlay2/$init/diff") c=$(cat "$ldb/mounts/$id/parent")
            while [ -n "$c" ]; do
                dirs+=("$R/overlay2/$(cat "$ldb/sha256/${c#sha256:}/cache-id")/diff")
                pf=$ldb/sha256/${c#sha256:}/parent
                if [ -f "$pf" ]; then c=$(cat "$pf"); else c=""; fi
            done
            for ld in "${dirs[@]}"; do
                link=$(cat "${ld%/diff}/link")
                [ "$(readlink -f "$R/overlay2/l/$link")" = "$(readlink -f "$ld")" ] ||
                    bad "$drv: $id: overlay2/l/$link is not $ld (gen-dataroot)"
                lowers+=${lowers:+:}$R/overlay2/l/$link
            done
            index=""
            [ -e /sys/module/overlay/parameters/index ] && index="index=off,"
            same "$drv: $id: mountopts" \
                "${index}lowerdir=$lowers,upperdir=$R/overlay2/$mid/diff,workdir=$R/overlay2/$mid/work" \
                "$("$ctl" "$R" mountopts "$id")"
            same "$drv: $id: mountopts ends with one newline" "1" "$("$ctl" "$R" mountopts "$id" | wc -l)"
        fi
    done
done
# Every container's files in both formats: valid JSON, OCI configs valid against the official
# runtime-spec 1.3.0 schema, and a failed file always explained by the `errors` output.
validate=${VALIDATE_OCI:?}
for drv in windowsfilter overlay2 vfs; do
    R=$work/$drv
    out=$work/out-$drv
    mkdir -p "$out"
    for id in $("$ctl" "$R" containers | cut -f1); do
        for fmt in oci windowsoci; do
            if "$ctl" --spec=$fmt "$R" config "$id" >"$out/$id.$fmt.json" 2>"$out/$id.$fmt.err"; then
                if jq -e . "$out/$id.$fmt.json" >/dev/null; then ok "$drv: $id: $fmt config.json is JSON"; else bad "$drv: $id: $fmt config.json is not JSON"; fi
            else
                rm -f "$out/$id.$fmt.json"
                msg=$(sed 's/^bundlefsctl: //' "$out/$id.$fmt.err")
                if "$ctl" --spec=$fmt "$R" errors "$id" | grep -qxF "$msg"; then
                    ok "$drv: $id: $fmt config.json failure is in the error file ($msg)"
                else bad "$drv: $id: $fmt failure not in the error file: $msg"; fi
            fi
        done
        if [ "$drv" != windowsfilter ]; then
            # Linux: no createoptions.json (checked above); config.json is a Linux spec
            if jq -e '.root.path != null and .linux != null and .windows == null' "$out/$id.oci.json" >/dev/null 2>&1; then
                ok "$drv: $id: config.json is a Linux spec"
            else bad "$drv: $id: config.json is not a Linux spec"; fi
        elif "$ctl" "$R" createoptions "$id" | jq -e 'type == "array" and .[0].type != null' >/dev/null; then
            ok "$drv: $id: createoptions.json"
        else bad "$drv: $id: createoptions.json"; fi
    done
    flag=""
    [ "$drv" = windowsfilter ] && flag=--windows
    n=$(ls "$out"/*.oci.json | wc -l)
    if "$validate" $flag "$out"/*.oci.json >"$out/validate.log"; then
        ok "$drv: all $n OCI config.json files pass validate-oci-config $flag"
    else
        bad "$drv: validate-oci-config"
        grep -v ': OK$' "$out/validate.log" | head -n 20
    fi
done
echo "ctl-generated: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
