#!/bin/bash
# bundlefs -o hostroot= in every spelling a user types: single backslashes (which libfuse's -o
# parser would otherwise eat as escapes), doubled backslashes, forward slashes (fstab), in both
# "-o OPTS" and "-oOPTS" forms; every layerpaths file equals bundlefsctl --hostroot's.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
# shellcheck source=lib/mount.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-options.XXXXXX)
trap 'mount_cleanup; rm -rf "$work"' EXIT
"${GEN_DATAROOT:?}" --containers 4 --images 2 --layers 2-4 --seed 7 --quiet "$work/root"

# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

ids=$("$BUNDLEFSCTL" "$work/root" containers | cut -f1)
for form in 'C:\ProgramData\docker' 'C:\\ProgramData\\docker' 'C:/ProgramData/docker'; do
    for style in split joined; do
        mnt=$work/m-$style
        if [ $style = split ]; then
            mount_start "$mnt" "$work/root" -o "compact,hostroot=$form"
        else
            mount_start "$mnt" "$work/root" "-ohostroot=$form,compact"
        fi
        for id in $ids; do
            if "$BUNDLEFSCTL" '--hostroot=C:\ProgramData\docker' "$work/root" layerpaths "$id" |
                cmp -s - "$mnt/$id/layerpaths"; then
                ok "hostroot=$form ($style): $id layerpaths"
            else
                bad "hostroot=$form ($style): $id layerpaths is $(head -c 80 "$mnt/$id/layerpaths")"
            fi
        done
        mount_stop_clean "$mnt"
    done
done
echo "fs-options: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
