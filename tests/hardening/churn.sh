#!/bin/bash
# Memory follows what is live, not how many containers came and went: an accelerated churn
# (CHURN_CYCLES containers, default 24,000, created, read and removed with 200 alive at any
# time, and as many version changes) against a mounted root. After 8,000 cycles of warm-up (the
# allocator takes one step of about 1 MiB somewhere in the first 7,000, when, depends on the
# threads' timing) the
# daemon's VmRSS and malloc's bytes in use (its SIGUSR1 stats line) are sampled; the mean of
# the last fifth of the samples may exceed the first fifth's by at most 16 bytes per cycle
# between them for malloc's bytes, 32 for RSS (which moves by pages). Before the fix a removed
# container stayed in the daemon's table: about 2 KB a cycle. Plain pass only (ASan's
# quarantine makes RSS meaningless). By hand:
#   CHURN_CYCLES=100000 meson test -C build churn
# Env (from meson): BUNDLEFS, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=../integration/lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
CYCLES=${CHURN_CYCLES:-24000}
work=$(mktemp -d /tmp/bf-churn-XXXXXX)
cleanup() {
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT

R=$work/root
"$gen" --quiet --seed 3 --containers 5 --images 1 --layers 2 "$R"
M=$work/mnt
mount_start "$M" "$R"
start=$SECONDS
python3 "$src/tests/hardening/churn.py" "$R" "$M" "$MOUNT_PID" "$M.log" "$CYCLES" 200 8000 \
    $(((CYCLES - 8000) / 20)) >"$work/samples"
echo "churn: $CYCLES cycles (and as many version changes) in $((SECONDS - start)) s"
python3 - "$work/samples" <<'PY'
import sys
s = [tuple(map(int, l.split()[1:])) for l in open(sys.argv[1]) if l.startswith("sample ")]
k = max(len(s) // 5, 1)
first, last = s[:k], s[-k:]
span = (sum(c for c, _, _ in last) - sum(c for c, _, _ in first)) / k
fail = 0
for what, i, unit, bound in (("RSS", 1, 1024, 32), ("malloc in use", 2, 1, 16)):
    a = sum(x[i] for x in first) / k * unit
    b = sum(x[i] for x in last) / k * unit
    slope = (b - a) / span
    print("churn: %s %.0f -> %.0f bytes (first and last fifth), %.2f bytes per cycle (bound %d)"
          % (what, a, b, slope, bound))
    if slope > bound:
        print("FAIL: %s grows with the containers that came and went" % what)
        fail = 1
sys.exit(fail)
PY
mount_stop_clean "$M" >/dev/null
echo "ok: memory flat"
