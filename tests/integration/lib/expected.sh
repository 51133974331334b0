# shellcheck shell=bash
# What a bundlefs mount must serve, as bundlefsctl prints it (source this file).
#   expected_tree EXP DATAROOT [CTL OPTIONS...]
# writes EXP in the layout tests/integration/lib/fscheck.py reads: EXP/ids, EXP/names and per
# container EXP/<id>/<file> (bytes), <file>.fail (cannot be generated), utilityvm.link
# (target without the trailing newline bundlefsctl prints), error (only when non-empty).
# Needs BUNDLEFSCTL.
expected_tree() {
    local exp=$1 root=$2 id name f
    shift 2
    mkdir -p "$exp"
    "$BUNDLEFSCTL" "$@" "$root" containers 2>/dev/null | cut -f1,2 >"$exp/list" || true
    cut -f1 "$exp/list" >"$exp/ids"
    # by-name: every container whose config.v2.json is JSON with a Name (read with jq, not
    # bundlefsctl: `containers` prints "-" for any broken container, named or not)
    : >"$exp/names"
    while read -r id; do
        name=$(jq -r '.Name // empty | ltrimstr("/")' "$root/containers/$id/config.v2.json" 2>/dev/null) || name=""
        # a duplicate name (a broken root) stays with the smallest ID: the first in sorted order
        if [ -n "$name" ] && ! cut -d' ' -f1 "$exp/names" | grep -xF "$name" >/dev/null; then
            echo "$name $id" >>"$exp/names"
        fi
    done <"$exp/ids"
    while read -r id; do
        mkdir -p "$exp/$id"
        for f in config:config.json createoptions:createoptions.json layerpaths:layerpaths; do
            if ! "$BUNDLEFSCTL" "$@" "$root" "${f%%:*}" "$id" >"$exp/$id/${f#*:}" 2>/dev/null; then
                mv "$exp/$id/${f#*:}" "$exp/$id/${f#*:}.fail"
            fi
        done
        if "$BUNDLEFSCTL" "$@" "$root" utilityvm "$id" >"$exp/$id/utilityvm.out" 2>/dev/null; then
            # exactly one trailing newline is bundlefsctl's; the link target is the rest
            head -c -1 "$exp/$id/utilityvm.out" >"$exp/$id/utilityvm.link"
        fi
        rm -f "$exp/$id/utilityvm.out"
        "$BUNDLEFSCTL" "$@" "$root" errors "$id" >"$exp/$id/error" 2>/dev/null || true
        [ -s "$exp/$id/error" ] || rm -f "$exp/$id/error"
    done <"$exp/ids"
}
