#!/bin/bash
# bundlefs mounted for real over generated data-roots (windowsfilter with several option
# combinations, overlay2), read with ordinary tools: find, ls -l, cat, cp, tail -c, jq, and
# Python's open().read(), shutil.copyfile and mmap (lib/fscheck.py). Every file must be
# byte-identical to what bundlefsctl prints with the same options, st_size must be the byte
# count, modes/owners follow config.v2.json, st_mtime is the newest input's mtime (set
# independently on chosen input files), broken containers get an `error` file equal to
# `bundlefsctl errors` (each line also logged as `bundlefs: <line>`) and their failed files
# give EIO while the others keep working, and
# every OCI config.json passes validate-oci-config; a duplicate name links to the smaller ID.
# Each folder lists exactly the files `bundlefsctl files` names (overlay2: Linux containers with
# config.json, layerpaths and mountopts, no createoptions.json or utilityvm: ENOENT), and a
# container whose overlay2 `lower` is wrong fails its mountopts alone.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT, VALIDATE_OCI.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?} validate=${VALIDATE_OCI:?}
lib=$src/tests/integration/lib
# shellcheck source=lib/mount.sh
source "$lib/mount.sh"
# shellcheck source=lib/expected.sh
source "$lib/expected.sh"
work=$(mktemp -d /tmp/bf-fsgen-XXXXXX)
cleanup() {
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
CHECK_QUIET=1
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"
ctl() { "$BUNDLEFSCTL" "$@"; }

W=$work/win O=$work/ovl
"$gen" --quiet --driver windowsfilter --seed 5 --containers 12 --images 4 --layers 2-6 "$W"
"$gen" --quiet --driver overlay2 --seed 6 --containers 10 --images 3 --layers 1-5 "$O"
# With these seeds some IDs share their first digits, so there are ambiguous prefixes to look
# up (fscheck.py fails otherwise: FSCHECK_REQUIRE_AMBIGUOUS).
mapfile -t ids < <(ctl "$W" containers | cut -f1)
# overlay2: Linux containers (config.json, layerpaths, mountopts; no createoptions.json or
# utilityvm). One whose overlay2/<mount-id>/lower names its layers in the wrong order: its
# mountopts fails (EIO, explained in its error file), its other files still work.
mapfile -t oids < <(ctl "$O" containers | cut -f1)
OBAD=${oids[0]}
lower=$O/overlay2/$(cat "$O/image/overlay2/layerdb/mounts/$OBAD/mount-id")/lower
awk -F: -v OFS=: '{ t = $1; $1 = $2; $2 = t; print }' "$lower" >"$work/lower" && cat "$work/lower" >"$lower"
E=$(stat -c %Y "$W/config/daemon.json") # the generator's fixed mtime

# Owners and modes: one private config.v2.json (0600 -> files 0400), one owned by 1234:5678.
chmod 600 "$W/containers/${ids[0]}/config.v2.json"
chown 1234:5678 "$W/containers/${ids[1]}/config.v2.json"
# Broken containers: a wrong layerdb/mounts parent, a config.v2.json that is not JSON, an
# isolation Docker refuses (layerpaths still works).
ldb=$W/image/windowsfilter/layerdb
printf 'sha256:%064d' 0 >"$ldb/mounts/${ids[2]}/parent"
printf '{"ID": "%s", not json' "${ids[3]}" >"$W/containers/${ids[3]}/config.v2.json"
jq -c '.Isolation = "bogus"' "$W/containers/${ids[4]}/hostconfig.json" >"$work/hc" &&
    cat "$work/hc" >"$W/containers/${ids[4]}/hostconfig.json"
broken="${ids[2]} ${ids[3]} ${ids[4]}"
# ids[11] takes its credential spec from a registry:// value: an error without
# credspec-registry=DIR (its error file says so), a credential spec with it.
reg=$work/registry
mkdir -p "$reg"
printf '{"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":{"Sid":"S-1-5-21-7","MachineAccountName":"regapp","Guid":"6e1c1d6c-6f4e-4b4e-9a0e-1c2d3e4f5a6b","DnsTreeName":"example.org","DnsName":"example.org","NetBiosName":"EXAMPLE"}}' >"$reg/regapp"
jq -c '.SecurityOpt = ["credentialspec=registry://regapp"] | .Isolation = "process"' "$W/containers/${ids[11]}/hostconfig.json" >"$work/hc" &&
    cat "$work/hc" >"$W/containers/${ids[11]}/hostconfig.json"
touch -d "@$E" "$reg/regapp" "$W/containers/${ids[11]}/hostconfig.json"
# A duplicate name: ids[10] takes ids[9]'s; by-name keeps the smaller ID (ids[9]).
jq -c --arg n "$(jq -r .Name "$W/containers/${ids[9]}/config.v2.json")" '.Name = $n' "$W/containers/${ids[10]}/config.v2.json" >"$work/c10" &&
    cat "$work/c10" >"$W/containers/${ids[10]}/config.v2.json"
touch -d "@$E" "$W/containers/${ids[0]}/config.v2.json" "$W/containers/${ids[1]}/config.v2.json" \
    "$W/containers/${ids[10]}/config.v2.json"

# st_mtime: bump chosen inputs to distinct times (shared inputs lower: a layer's
# cache-id, an image config; then one container's hostconfig.json, config.v2.json,
# layerdb/mounts parent); files that are no input get later times that must not count.
# Expected = max(E, bumps that are inputs of the container).
ctl "$W" containers >"$work/wlist" 2>/dev/null || true # exits 1: some are broken
img_of() { awk -v i="$1" '$1 == i { print $3 }' "$work/wlist"; }
touch -d "@$((E + 100))" "$W/containers/${ids[5]}/hostconfig.json"
touch -d "@$((E + 200))" "$W/containers/${ids[6]}/config.v2.json"
touch -d "@$((E + 300))" "$ldb/mounts/${ids[7]}/parent"
img8=$(img_of "${ids[8]}")
touch -d "@$((E + 60))" "$W/image/windowsfilter/imagedb/content/sha256/${img8#sha256:}"
img9=$(img_of "${ids[9]}")
layer9=$(ctl "$W" layers "$img9" | head -n 1 | cut -f1) # its top layer's ChainID
touch -d "@$((E + 50))" "$ldb/sha256/${layer9#sha256:}/cache-id"
touch -d "@$((E + 10000))" "$W/containers/${ids[10]}/hostname"
top10=$(ctl "$W" layers "$(img_of "${ids[10]}")" | head -n 1 | cut -f4)
touch -d "@$((E + 20000))" "$top10/Files/layer.txt"

mkdir -p "$work/mtimes"
for id in "${ids[@]}"; do
    case " $broken " in *" $id "*) continue ;; esac
    m=$E
    img=$(img_of "$id")
    if [ "$id" = "${ids[5]}" ]; then m=$((m > E + 100 ? m : E + 100)); fi
    if [ "$id" = "${ids[6]}" ]; then m=$((m > E + 200 ? m : E + 200)); fi
    if [ "$id" = "${ids[7]}" ]; then m=$((m > E + 300 ? m : E + 300)); fi
    if [ "$img" = "$img8" ]; then m=$((m > E + 60 ? m : E + 60)); fi
    if ctl "$W" layers "$img" | cut -f1 | grep -xF "$layer9" >/dev/null; then m=$((m > E + 50 ? m : E + 50)); fi
    echo "$m" >"$work/mtimes/$id"
done
# every bump decides some container's mtime, and some are untouched (or the test is weak)
for m in $E $((E + 50)) $((E + 60)) $((E + 100)) $((E + 200)) $((E + 300)); do
    cat "$work/mtimes/"* | grep -x "$m" >/dev/null || bad "mtime setup: no container with mtime $m"
done
expect_mtimes() { # EXP: EXP/<id>/mtime for every container that is not broken
    local id
    for id in "${ids[@]}"; do
        if [ -e "$work/mtimes/$id" ]; then cp "$work/mtimes/$id" "$1/$id/mtime"; fi
    done
}

# check_mount NAME MNT EXP ROOT: shell tools over the mounted tree (when TOOLS=1), then
# lib/fscheck.py (always).
check_mount() {
    local name=$1 mnt=$2 exp=$3 root=$4 id f p out n
    [ "$TOOLS" = 1 ] || { fscheck "$@"; return; }
    # find: exactly the expected paths
    {
        echo "$mnt"
        echo "$mnt/by-name"
        while read -r n id; do echo "$mnt/by-name/$n"; done <"$exp/names"
        while read -r id; do
            echo "$mnt/$id"
            while read -r f; do echo "$mnt/$id/$f"; done <"$exp/$id/files"
        done <"$exp/ids"
    } | sort >"$work/find.want"
    find "$mnt" | sort >"$work/find.got" || bad "$name: find failed"
    same "$name: find lists exactly the expected paths" "$(cat "$work/find.want")" "$(cat "$work/find.got")"
    out=$(ls -l "$mnt" | tail -n +2 | wc -l) || bad "$name: ls -l $mnt failed"
    same "$name: ls -l of the root: entries" "$(($(wc -l <"$exp/ids") + 1))" "$out"
    while read -r id; do
        # ls -l: size column = bytes bundlefsctl printed (0 for a failed file)
        ls -ln "$mnt/$id" >"$work/ls" || bad "$name: ls -l $mnt/$id failed"
        same "$name: ls -l $id: names" "$(sort "$exp/$id/files")" "$(awk 'NR > 1 { print $9 }' "$work/ls" | sort)"
        while read -r f; do
            [ "$f" != utilityvm ] || continue # a symlink: fscheck.py checks its target
            if [ -e "$exp/$id/$f" ]; then
                same "$name: ls -l $id/$f size" "$(stat -c %s "$exp/$id/$f")" "$(awk -v f="$f" '$NF == f { print $5 }' "$work/ls")"
                p=$mnt/$id/$f
                if cat "$p" >"$work/cat" 2>"$work/err"; then
                    cmp -s "$work/cat" "$exp/$id/$f" && ok || bad "$name: cat $p differs from bundlefsctl"
                else bad "$name: cat $p: $(cat "$work/err")"; fi
                rm -f "$work/cp"
                if cp "$p" "$work/cp" 2>"$work/err"; then
                    cmp -s "$work/cp" "$exp/$id/$f" && ok || bad "$name: cp $p differs from bundlefsctl"
                else bad "$name: cp $p: $(cat "$work/err")"; fi
                same "$name: tail -c 40 $id/$f" "$(tail -c 40 "$exp/$id/$f" | od -An -c)" "$(tail -c 40 "$p" | od -An -c)"
                case $f in *.json)
                    same "$name: jq -S . $id/$f" "$(jq -S . "$exp/$id/$f")" "$(jq -S . "$p" 2>&1)" ;;
                esac
            elif [ -e "$exp/$id/$f.fail" ]; then
                same "$name: ls -l $id/$f size (failed file)" "1" "$(awk -v f="$f" '$NF == f { print $5 }' "$work/ls")"
                out=$(cat "$mnt/$id/$f" 2>&1 >/dev/null) && bad "$name: cat $id/$f (failed file) succeeded"
                same "$name: cat $id/$f (failed file)" "cat: $mnt/$id/$f: Input/output error" "$out"
            else bad "$name: $id/$f listed, but nothing expected (test setup)"; fi
        done <"$exp/$id/files"
        # what the container does not have: cat says so
        for f in config.json createoptions.json layerpaths utilityvm mountopts error; do
            grep -xF "$f" "$exp/$id/files" >/dev/null && continue
            same "$name: cat $id/$f (not listed)" "cat: $mnt/$id/$f: No such file or directory" "$(cat "$mnt/$id/$f" 2>&1 >/dev/null)"
        done
    done <"$exp/ids"
    # by-name and prefix paths work with ordinary tools
    while read -r n id; do
        if [ -e "$exp/$id/layerpaths" ]; then
            same "$name: cat by-name/$n/layerpaths" "$(cat "$exp/$id/layerpaths")" "$(cat "$mnt/by-name/$n/layerpaths" 2>&1)"
        fi
    done <"$exp/names"
    id=$(head -n 1 "$exp/ids")
    if [ -e "$exp/$id/config.json" ]; then
        same "$name: cat ${id:0:8}/config.json (prefix)" "$(cat "$exp/$id/config.json")" "$(cat "$mnt/${id:0:8}/config.json" 2>&1)"
    fi
    fscheck "$@"
}
fscheck() { # NAME MNT EXP ROOT
    local name=$1 mnt=$2 exp=$3 root=$4
    if FSCHECK_REQUIRE_AMBIGUOUS=1 python3 "$lib/fscheck.py" "$mnt" "$exp" "$root" >"$work/fscheck.log"; then
        ok
        tail -n 1 "$work/fscheck.log"
    else
        bad "$name: fscheck.py"
        head -n 60 "$work/fscheck.log"
    fi
}

# validate_oci NAME MNT EXP [--windows]: every config.json served, copied out, is valid OCI.
validate_oci() {
    local name=$1 mnt=$2 exp=$3 id d
    shift 3
    d=$work/oci-$name
    mkdir -p "$d"
    while read -r id; do
        if [ -e "$exp/$id/config.json" ]; then cp "$mnt/$id/config.json" "$d/$id.json"; fi
    done <"$exp/ids"
    n=$(find "$d" -name '*.json' | wc -l)
    [ "$n" -gt 0 ] || { bad "$name: no config.json to validate"; return; }
    if "$validate" "$@" "$d"/*.json >"$work/validate.log" 2>&1; then
        ok
        echo "ok: $name: $n config.json files pass validate-oci-config $*"
    else
        bad "$name: validate-oci-config $*"
        grep -v ': OK$' "$work/validate.log" | head -n 20
    fi
}

run_combo() { # NAME ROOT FSOPTS(comma list or "") [CTL OPTIONS...]
    local name=$1 root=$2 fsopts=$3 mnt exp id
    shift 3
    mnt=$work/mnt-$name exp=$work/exp-$name
    expected_tree "$exp" "$root" "$@"
    if [ "$root" = "$W" ]; then expect_mtimes "$exp"; fi
    if [ -n "$fsopts" ]; then mount_start "$mnt" "$root" -o "$fsopts"; else mount_start "$mnt" "$root"; fi
    check_mount "$name" "$mnt" "$exp" "$root"
    if [ "$root" = "$W" ]; then
        # registry:// works only with credspec-registry=DIR
        case " $* " in
        *" --credspec-registry="*)
            if [ -e "$exp/${ids[11]}/error" ]; then bad "$name: registry credential spec: $(cat "$exp/${ids[11]}/error")"; fi
            jq -e '.windows.credentialSpec.DomainJoinConfig.MachineAccountName == "regapp"' "$mnt/${ids[11]}/config.json" >/dev/null ||
                bad "$name: registry credential spec not in config.json" ;;
        *) [ -s "$exp/${ids[11]}/error" ] || bad "$name: registry:// without credspec-registry gave no error" ;;
        esac
        # the broken ones explain themselves; enough others work completely
        for id in $broken; do
            [ -s "$exp/$id/error" ] || bad "$name: broken container $id has no error (test setup)"
        done
        n=0
        while read -r id; do if [ ! -e "$exp/$id/error" ]; then n=$((n + 1)); fi; done <"$exp/ids"
        [ "$n" -ge 4 ] || bad "$name: only $n containers without errors"
    fi
    if [ "$root" = "$O" ]; then
        # every generated Linux container is valid (gen-dataroot writes its layers' link and
        # lower as Docker does) but OBAD, whose mountopts alone fails
        for id in "${oids[@]}"; do
            if [ "$id" = "$OBAD" ]; then
                same "$name: $OBAD: files" "config.json layerpaths mountopts error" "$(tr '\n' ' ' <"$exp/$id/files" | sed 's/ $//')"
                [ -e "$exp/$id/mountopts.fail" ] && [ -e "$exp/$id/config.json" ] && [ -e "$exp/$id/layerpaths" ] ||
                    bad "$name: $OBAD: want mountopts failed, config.json and layerpaths made"
                grep -F "overlay2/l/" "$exp/$id/error" | grep -F "points elsewhere" >/dev/null ||
                    bad "$name: $OBAD: error does not explain mountopts: $(cat "$exp/$id/error")"
            else
                same "$name: $id: files" "config.json layerpaths mountopts" "$(tr '\n' ' ' <"$exp/$id/files" | sed 's/ $//')"
                [ ! -e "$exp/$id/error" ] || bad "$name: $id: error: $(cat "$exp/$id/error")"
            fi
        done
    fi
    case " $* " in
    *" --spec=windowsoci "*) ;;
    *) if [ "$root" = "$W" ]; then validate_oci "$name" "$mnt" "$exp" --windows; else validate_oci "$name" "$mnt" "$exp"; fi ;;
    esac
    mount_stop_clean "$mnt" && ok || bad "$name: daemon did not exit cleanly"
    # every line of every error file is a line of the daemon's log too
    while read -r id; do
        if [ -e "$exp/$id/error" ]; then
            while IFS= read -r line; do
                grep -xF "bundlefs: $line" "$mnt.log" >/dev/null && ok || bad "$name: not in the daemon's log: bundlefs: $line"
            done <"$exp/$id/error"
        fi
    done <"$exp/ids"
    echo "ok: $name done"
}

# The shell tools run over every file of one windowsfilter and the overlay2 mount; the other
# option combinations are checked with lib/fscheck.py (the same bytes, sizes, modes, errors).
TOOLS=1 run_combo oci "$W" ""
TOOLS=0 run_combo windowsoci "$W" "spec=windowsoci" --spec=windowsoci
TOOLS=0 run_combo hyperv-hostroot "$W" "isolation=hyperv,hostroot=C:\\\\ProgramData\\\\docker,cpus=3,credspec-registry=$reg" \
    --isolation=hyperv '--hostroot=C:\ProgramData\docker' --cpus=3 "--credspec-registry=$reg"
TOOLS=0 run_combo compact "$W" "compact,spec=oci,driver=windowsfilter" --compact --driver=windowsfilter
TOOLS=1 run_combo overlay2 "$O" ""

echo "fs-generated: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
