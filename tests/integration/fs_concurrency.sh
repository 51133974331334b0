#!/bin/bash
# Several processes read every file of a bundlefs mount in a loop (in odd-sized chunks, with
# the page cache dropped now and then so reads reach the daemon) while a writer keeps changing
# the data-root: one container's hostconfig.json flips between two versions, another's
# config.v2.json between started/not started, a third container is removed and re-created.
# Every read must be exactly one of the valid versions that bundlefsctl printed for those
# states (no torn file), the only error allowed is ENOENT for the container that comes and
# goes, both versions must actually have been seen, and the daemon must be alive at the end,
# serve the final state exactly and exit cleanly (no sanitizer report in the ASan build).
# Two phases: small files with the default bytes cache, and ~190 KB config.json files with
# `-o cache=1` (1 MiB), so reads span several FUSE requests and versions are evicted and
# generated again while they are read.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
lib=$src/tests/integration/lib
# shellcheck source=lib/mount.sh
source "$lib/mount.sh"
# shellcheck source=lib/expected.sh
source "$lib/expected.sh"
work=$(mktemp -d /tmp/bf-fsconc-XXXXXX)
readers=()
cleanup() {
    local p
    for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; done
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"
DURATION=${FS_CONCURRENCY_SECONDS:-4}
NREADERS=3

cat >"$work/reader.py" <<'EOF'
import errno, json, os, sys, time
mnt, expa, expb, z, dur, me = sys.argv[1:7]
big = sys.argv[8] == "1"
deadline = time.time() + float(dur)
valid = {}
for exp in (expa, expb):
    for cid in open(os.path.join(exp, "ids")).read().split():
        # the files the container has (lib/expected.sh: EXP/<id>/files), as bundlefsctl made them
        for f in open(os.path.join(exp, cid, "files")).read().split():
            p = os.path.join(exp, cid, f)
            if os.path.exists(p + ".fail"):
                valid.setdefault((cid, f), set()).add("EIO")
            elif f == "utilityvm":
                valid.setdefault((cid, f), set()).add(open(p + ".link").read())
            else:
                valid.setdefault((cid, f), set()).add(open(p, "rb").read())
a_x = open(os.path.join(expa, sys.argv[7], "config.json"), "rb").read()
b_x = open(os.path.join(expb, sys.argv[7], "config.json"), "rb").read()
reads = enoent = seen_a = seen_b = loops = 0
problems = []
def problem(msg):
    if len(problems) < 20:
        problems.append(msg)
chunk = (4093 if big else 97) + int(me) * 31
while time.time() < deadline:
    loops += 1
    try:
        top = os.listdir(mnt)
    except OSError as e:
        problem("listdir root: %s" % e)
        if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
            break
        continue
    for cid in top:
        if cid == "by-name":
            continue
        try:
            files = os.listdir(os.path.join(mnt, cid))
        except OSError as e:
            if e.errno == errno.ENOENT and cid == z:
                enoent += 1
                continue
            problem("listdir %s: %s" % (cid, e))
            if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
                deadline = 0  # the daemon is gone
            continue
        for f in files:
            p = os.path.join(mnt, cid, f)
            key = (cid, f)
            try:
                if f == "utilityvm":
                    got = os.readlink(p)
                else:
                    with open(p, "rb", buffering=0) as fh:
                        parts = []
                        while True:
                            b = fh.read(chunk)
                            if not b:
                                break
                            parts.append(b)
                            if reads % 5 == 0:
                                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                        got = b"".join(parts)
            except OSError as e:
                if e.errno == errno.ENOENT and cid == z:
                    enoent += 1
                    continue
                if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
                    deadline = 0
                got = errno.errorcode.get(e.errno, str(e.errno))
                if got != "EIO" or "EIO" not in valid.get(key, ()):
                    problem("%s/%s: %s" % (cid, f, e))
                    continue
            reads += 1
            if key not in valid:
                problem("%s/%s: unexpected file" % key)
            elif got not in valid[key]:
                problem("%s/%s: not a valid version (%d bytes: %r...)" % (cid, f, len(got), got[:80]))
            if f == "config.json" and cid == sys.argv[7]:
                seen_a += got == a_x
                seen_b += got == b_x
print("reader %s: %d loops, %d reads, %d ENOENT for the removed container, X's config.json: "
      "%d old + %d new version, %d problems" % (me, loops, reads, enoent, seen_a, seen_b, len(problems)))
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
EOF

# phase NAME BIG [MOUNT OPTIONS...]: one root, one mount, readers against the writer.
phase() {
    local name=$1 big=$2 w R ldb ids X Y Z M i flips end seen_a seen_b d
    shift 2
    w=$work/$name R=$w/root
    "$gen" --quiet --seed 31 --containers 8 --images 3 --layers 2-4 "$R"
    if [ "$big" = 1 ]; then
        # ~190 KB config.json files: reads span several FUSE requests and the files do not fit
        # the 1 MiB bytes cache together, so versions are evicted and generated again meanwhile
        for d in "$R/containers/"*/; do
            jq -c '.Config.Env += [range(0; 2500) | "BIG_\(.)=" + ("x" * 60)]' "$d/config.v2.json" >"$w/big"
            cat "$w/big" >"$d/config.v2.json"
        done
    fi
    ldb=$R/image/windowsfilter/layerdb
    mapfile -t ids < <("$BUNDLEFSCTL" "$R" containers | cut -f1)
    X=${ids[0]} Y=${ids[1]}
    Z=$(printf 'bundlefs comes and goes' | sha256sum | cut -c1-64)
    cp -a "$ldb/mounts/${ids[2]}" "$ldb/mounts/$Z"
    printf '%s' "$Z" >"$ldb/mounts/$Z/mount-id"
    cp -a "$R/containers/${ids[2]}" "$R/containers/$Z"
    jq -c --arg id "$Z" '.ID = $id | .Name = "/comes_and_goes"' "$R/containers/${ids[2]}/config.v2.json" >"$R/containers/$Z/config.v2.json"

    # The two states, as files to rename into place (atomic, as Docker writes them).
    mkdir -p "$w/v"
    cp "$R/containers/$X/hostconfig.json" "$w/v/x0"
    jq -c '.Memory = 3221225472 | .DnsSearch = ["x.example"]' "$w/v/x0" >"$w/v/x1"
    cp "$R/containers/$Y/config.v2.json" "$w/v/y0"
    jq -c '.HasBeenStartedBefore = (.HasBeenStartedBefore | not) | .Config.Env += ["FLIP=1"]' "$w/v/y0" >"$w/v/y1"
    put() { cp "$w/v/$1" "$2.tmp" && mv "$2.tmp" "$2"; }
    expected_tree "$w/expA" "$R"
    put x1 "$R/containers/$X/hostconfig.json"
    put y1 "$R/containers/$Y/config.v2.json"
    expected_tree "$w/expB" "$R"
    put x0 "$R/containers/$X/hostconfig.json"
    put y0 "$R/containers/$Y/config.v2.json"
    cmp -s "$w/expA/$X/config.json" "$w/expB/$X/config.json" && bad "$name: X's config.json does not change (test setup)"
    cmp -s "$w/expA/$Y/createoptions.json" "$w/expB/$Y/createoptions.json" && bad "$name: Y's createoptions.json does not change (test setup)"

    M=$w/mnt
    mount_start "$M" "$R" "$@"
    for i in $(seq 1 $NREADERS); do
        python3 "$work/reader.py" "$M" "$w/expA" "$w/expB" "$Z" "$DURATION" "$i" "$X" "$big" >"$w/reader$i.log" 2>&1 &
        readers+=($!)
    done
    # Writer: flip the states and remove/re-create Z until the readers are done.
    flips=0
    end=$(($(date +%s) + DURATION))
    while [ "$(date +%s)" -lt "$end" ]; do
        put x1 "$R/containers/$X/hostconfig.json"
        put y1 "$R/containers/$Y/config.v2.json"
        mv "$R/containers/$Z" "$w/z-away"
        sleep 0.15
        put x0 "$R/containers/$X/hostconfig.json"
        put y0 "$R/containers/$Y/config.v2.json"
        mv "$w/z-away" "$R/containers/$Z"
        sleep 0.15
        flips=$((flips + 1))
    done
    echo "writer: $flips rounds of changes"
    seen_a=0 seen_b=0
    for i in $(seq 1 $NREADERS); do
        if wait "${readers[$((i - 1))]}"; then ok "$name: $(head -n 1 "$w/reader$i.log")"; else
            bad "$name: reader $i:"
            cat "$w/reader$i.log"
        fi
        seen_a=$((seen_a + $(sed -n 's/.*config.json: \([0-9]*\) old.*/\1/p' "$w/reader$i.log" | head -n 1)0 / 10))
        seen_b=$((seen_b + $(sed -n 's/.*old + \([0-9]*\) new.*/\1/p' "$w/reader$i.log" | head -n 1)0 / 10))
    done
    readers=()
    if [ "$seen_a" -gt 0 ] && [ "$seen_b" -gt 0 ]; then ok "$name: readers saw both versions ($seen_a old, $seen_b new)"; else
        bad "$name: readers did not see both versions ($seen_a old, $seen_b new): the changes were not observed"; fi
    kill -0 "$MOUNT_PID" 2>/dev/null && ok "$name: daemon alive" || bad "$name: daemon died"

    # Final state A: served exactly (polled: the last change may still be settling).
    settled() {
        cmp -s "$M/$X/config.json" "$w/expA/$X/config.json" 2>/dev/null &&
            cmp -s "$M/$Y/createoptions.json" "$w/expA/$Y/createoptions.json" 2>/dev/null &&
            [ -e "$M/$Z/config.json" ]
    }
    poll_until 10 "$name: final state served" settled || bad "$name: final state not served"
    if python3 "$lib/fscheck.py" "$M" "$w/expA" "$R" >"$w/fscheck.log"; then ok "$name: $(tail -n 1 "$w/fscheck.log")"; else
        bad "$name: fscheck of the final state"
        head -n 40 "$w/fscheck.log"
    fi
    if mount_stop_clean "$M"; then ok "$name: daemon exited cleanly"; else bad "$name: daemon exit"; fi
}

phase default-cache 0
phase big-files-1MiB-cache 1 -o cache=1
echo "fs-concurrency: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
