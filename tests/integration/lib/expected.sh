# shellcheck shell=bash
# What a bundlefs mount must serve, as bundlefsctl prints it (source this file).
#   expected_tree EXP DATAROOT [CTL OPTIONS...]
# writes EXP in the layout tests/integration/lib/fscheck.py reads: EXP/ids, EXP/names and per
# container EXP/files (`bundlefsctl files`: the names its folder has, in the mount's order;
# files.fail when that fails) and, for each name listed, EXP/<id>/<file> (bytes), <file>.fail
# (cannot be generated), utilityvm.link (target without the trailing newline bundlefsctl
# prints), error (`bundlefsctl errors`). A name not listed gets nothing (the container has no
# such file), except error: its bytes are kept as error.unlisted when `errors` prints any.
# Needs BUNDLEFSCTL.
expected_tree() {
    local exp=$1 root=$2 id name f cmd
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
        if ! "$BUNDLEFSCTL" "$@" "$root" files "$id" >"$exp/$id/files" 2>"$exp/$id/files.fail"; then
            rm -f "$exp/$id/files"
            continue
        fi
        rm -f "$exp/$id/files.fail"
        while read -r f; do
            case $f in
            config.json) cmd=config ;;
            createoptions.json) cmd=createoptions ;;
            layerpaths | mountopts) cmd=$f ;;
            utilityvm)
                if "$BUNDLEFSCTL" "$@" "$root" utilityvm "$id" >"$exp/$id/utilityvm.out" 2>/dev/null; then
                    # exactly one trailing newline is bundlefsctl's; the link target is the rest
                    head -c -1 "$exp/$id/utilityvm.out" >"$exp/$id/utilityvm.link"
                else
                    mv "$exp/$id/utilityvm.out" "$exp/$id/utilityvm.fail"
                fi
                rm -f "$exp/$id/utilityvm.out"
                continue
                ;;
            error) continue ;;
            *) # a name this helper does not know: fscheck.py fails on it
                : >"$exp/$id/$f.unknown"
                continue
                ;;
            esac
            if ! "$BUNDLEFSCTL" "$@" "$root" "$cmd" "$id" >"$exp/$id/$f" 2>/dev/null; then
                mv "$exp/$id/$f" "$exp/$id/$f.fail"
            fi
        done <"$exp/$id/files"
        "$BUNDLEFSCTL" "$@" "$root" errors "$id" >"$exp/$id/error" 2>/dev/null || true
        if ! grep -xF error "$exp/$id/files" >/dev/null; then
            # not listed: must be empty (fscheck.py fails on error.unlisted)
            if [ -s "$exp/$id/error" ]; then mv "$exp/$id/error" "$exp/$id/error.unlisted"; else rm -f "$exp/$id/error"; fi
        fi
    done <"$exp/ids"
}
