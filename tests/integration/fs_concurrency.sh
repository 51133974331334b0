#!/bin/bash
# Several processes read every file of a bundlefs mount in a loop (in odd-sized chunks, with
# the page cache dropped now and then so reads reach the daemon) while a writer keeps changing
# the data-root: one container's hostconfig.json flips between two versions, another's
# config.v2.json between started/not started, a third container is removed and re-created.
# Every read must be exactly one of the valid versions that bundlefsctl printed for those
# states (no torn file), the only error allowed is ENOENT for the container that comes and
# goes, both versions must actually have been seen, and the daemon must be alive at the end,
# serve the final state exactly and exit cleanly (no sanitizer report in the ASan build).
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
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
DURATION=${FS_CONCURRENCY_SECONDS:-6}
NREADERS=3

R=$work/root
"$gen" --quiet --seed 31 --containers 8 --images 3 --layers 2-4 "$R"
ldb=$R/image/windowsfilter/layerdb
mapfile -t ids < <("$BUNDLEFSCTL" "$R" containers | cut -f1)
X=${ids[0]} Y=${ids[1]}
Z=$(printf 'bundlefs comes and goes' | sha256sum | cut -c1-64)
cp -a "$ldb/mounts/${ids[2]}" "$ldb/mounts/$Z"
printf '%s' "$Z" >"$ldb/mounts/$Z/mount-id"
cp -a "$R/containers/${ids[2]}" "$R/containers/$Z"
jq -c --arg id "$Z" '.ID = $id | .Name = "/comes_and_goes"' "$R/containers/${ids[2]}/config.v2.json" >"$R/containers/$Z/config.v2.json"

# The two states, as files to rename into place (atomic, as Docker writes them).
mkdir -p "$work/v"
cp "$R/containers/$X/hostconfig.json" "$work/v/x0"
jq -c '.Memory = 3221225472 | .DnsSearch = ["x.example"]' "$work/v/x0" >"$work/v/x1"
cp "$R/containers/$Y/config.v2.json" "$work/v/y0"
jq -c '.HasBeenStartedBefore = (.HasBeenStartedBefore | not) | .Config.Env += ["FLIP=1"]' "$work/v/y0" >"$work/v/y1"
put() { cp "$work/v/$1" "$2.tmp" && mv "$2.tmp" "$2"; }
expected_tree "$work/expA" "$R"
put x1 "$R/containers/$X/hostconfig.json"
put y1 "$R/containers/$Y/config.v2.json"
expected_tree "$work/expB" "$R"
put x0 "$R/containers/$X/hostconfig.json"
put y0 "$R/containers/$Y/config.v2.json"
cmp -s "$work/expA/$X/config.json" "$work/expB/$X/config.json" && bad "X's config.json does not change (test setup)"
cmp -s "$work/expA/$Y/createoptions.json" "$work/expB/$Y/createoptions.json" && bad "Y's createoptions.json does not change (test setup)"

M=$work/mnt
mount_start "$M" "$R"

cat >"$work/reader.py" <<'EOF'
import errno, json, os, sys, time
mnt, expa, expb, z, dur, me = sys.argv[1:7]
deadline = time.time() + float(dur)
valid = {}
for exp in (expa, expb):
    for cid in open(os.path.join(exp, "ids")).read().split():
        for f in os.listdir(os.path.join(exp, cid)):
            p = os.path.join(exp, cid, f)
            if f.endswith(".fail"):
                valid.setdefault((cid, f[:-5]), set()).add("EIO")
            elif f == "utilityvm.link":
                valid.setdefault((cid, "utilityvm"), set()).add(open(p).read())
            else:
                valid.setdefault((cid, f), set()).add(open(p, "rb").read())
a_x = open(os.path.join(expa, sys.argv[7], "config.json"), "rb").read()
b_x = open(os.path.join(expb, sys.argv[7], "config.json"), "rb").read()
reads = enoent = seen_a = seen_b = loops = 0
problems = []
def problem(msg):
    if len(problems) < 20:
        problems.append(msg)
chunk = 97 + int(me) * 31
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

for i in $(seq 1 $NREADERS); do
    python3 "$work/reader.py" "$M" "$work/expA" "$work/expB" "$Z" "$DURATION" "$i" "$X" >"$work/reader$i.log" 2>&1 &
    readers+=($!)
done
# Writer: flip the states and remove/re-create Z until the readers are done.
flips=0
end=$(($(date +%s) + DURATION))
while [ "$(date +%s)" -lt "$end" ]; do
    put x1 "$R/containers/$X/hostconfig.json"
    put y1 "$R/containers/$Y/config.v2.json"
    mv "$R/containers/$Z" "$work/z-away"
    sleep 0.15
    put x0 "$R/containers/$X/hostconfig.json"
    put y0 "$R/containers/$Y/config.v2.json"
    mv "$work/z-away" "$R/containers/$Z"
    sleep 0.15
    flips=$((flips + 1))
done
echo "writer: $flips rounds of changes"
seen_a=0 seen_b=0
for i in $(seq 1 $NREADERS); do
    if wait "${readers[$((i - 1))]}"; then ok "$(head -n 1 "$work/reader$i.log")"; else
        bad "reader $i:"
        cat "$work/reader$i.log"
    fi
    seen_a=$((seen_a + $(sed -n 's/.*config.json: \([0-9]*\) old.*/\1/p' "$work/reader$i.log" | head -n 1)0 / 10))
    seen_b=$((seen_b + $(sed -n 's/.*old + \([0-9]*\) new.*/\1/p' "$work/reader$i.log" | head -n 1)0 / 10))
done
readers=()
if [ "$seen_a" -gt 0 ] && [ "$seen_b" -gt 0 ]; then ok "readers saw both versions ($seen_a old, $seen_b new)"; else
    bad "readers did not see both versions ($seen_a old, $seen_b new): the changes were not observed"; fi
kill -0 "$MOUNT_PID" 2>/dev/null && ok "daemon alive" || bad "daemon died"

# Final state A: served exactly (polled: the last change may still be settling).
settled() {
    cmp -s "$M/$X/config.json" "$work/expA/$X/config.json" 2>/dev/null &&
        cmp -s "$M/$Y/createoptions.json" "$work/expA/$Y/createoptions.json" 2>/dev/null &&
        [ -e "$M/$Z/config.json" ]
}
poll_until 10 "final state served" settled || bad "final state not served"
if python3 "$lib/fscheck.py" "$M" "$work/expA" "$R" >"$work/fscheck.log"; then ok "$(tail -n 1 "$work/fscheck.log")"; else
    bad "fscheck of the final state"
    head -n 40 "$work/fscheck.log"
fi
if mount_stop_clean "$M"; then ok "daemon exited cleanly"; else bad "daemon exit"; fi
echo "fs-concurrency: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
