#!/bin/bash
# Memory follows what is live, not how many containers came and went: an accelerated churn
# (CHURN_CYCLES containers, default 24,000, created, read and removed with 200 alive at any
# time, and as many version changes) against a mounted root. After 4,000 cycles of warm-up
# (with a burst of concurrent lookups in it) the daemon's VmRSS, malloc's bytes in use (its
# SIGUSR1 stats line) and its thread count are sampled. libfuse's worker pool grows under
# concurrent requests up to max_threads (10) and is never shrunk by default; each worker holds
# a 1 MiB + 4 KiB receive buffer and its own malloc arena, a step that is live memory, bounded,
# and may come at any time. So the growth is measured with the workers taken out: a least
# squares fit of bytes = a + b x cycle + c x threads gives what a thread costs (c); the mean of
# the last fifth of the samples, each less c per thread, may exceed the first fifth's by at
# most 16 bytes per cycle between them for malloc's bytes, 32 for RSS (which moves by pages),
# and so may the fit's slope b. Before the fix a removed container stayed in the daemon's
# table: about 2 KB a cycle. Plain pass only (ASan's quarantine makes RSS meaningless). By hand:
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
python3 "$src/tests/hardening/churn.py" "$R" "$M" "$MOUNT_PID" "$M.log" "$CYCLES" 200 4000 \
    $(((CYCLES - 4000) / 50)) >"$work/samples"
echo "churn: $CYCLES cycles (and as many version changes) in $((SECONDS - start)) s"
python3 - "$work/samples" <<'PY'
import sys
s = [tuple(map(int, l.split()[1:])) for l in open(sys.argv[1]) if l.startswith("sample ")]
k = max(len(s) // 5, 1)
first, last = s[:k], s[-k:]
span = (sum(x[0] for x in last) - sum(x[0] for x in first)) / k
workers = [x[3] for x in s]
fail = 0
print("churn: daemon threads %d -> %d (libfuse's pool grows under load, to max_threads)"
      % (workers[0], workers[-1]))
if max(workers) - min(workers) > 10:
    print("FAIL: more threads came than libfuse's max_threads (10)")
    fail = 1


def fit(ys):
    """Least squares y = a + b*cycle + c*threads (c only when the thread count moved)."""
    cols = [[1.0] * len(s), [float(x[0]) for x in s]]
    if len(set(workers)) > 1:
        cols.append([float(w) for w in workers])
    n = len(cols)
    m = [[sum(p * q for p, q in zip(cols[i], cols[j])) for j in range(n)]
         + [sum(p * y for p, y in zip(cols[i], ys))] for i in range(n)]
    for i in range(n):  # Gauss-Jordan on the normal equations
        piv = m[i][i]
        m[i] = [v / piv for v in m[i]]
        for r in range(n):
            if r != i:
                f = m[r][i]
                m[r] = [a - f * b for a, b in zip(m[r], m[i])]
    return [m[i][n] for i in range(n)] + [0.0] * (3 - n)


for what, i, unit, bound in (("RSS", 1, 1024, 32), ("malloc in use", 2, 1, 16)):
    ys = [x[i] * unit for x in s]
    _, b, c = fit(ys)
    # the first and last fifth's means, each sample less what its threads beyond the first
    # sample's cost
    adj = [y - c * (w - workers[0]) for y, w in zip(ys, workers)]
    a0, a1 = sum(adj[:k]) / k, sum(adj[-k:]) / k
    slope = (a1 - a0) / span
    print("churn: %s %.0f -> %.0f bytes (first and last fifth, less %.0f bytes a thread added), "
          "%.2f bytes per cycle (fit %.2f; bound %d)" % (what, a0, a1, c, slope, b, bound))
    if max(slope, b) > bound:
        print("FAIL: %s grows with the containers that came and went" % what)
        fail = 1
sys.exit(fail)
PY
mount_stop_clean "$M" >/dev/null
echo "ok: memory flat"
