#!/bin/bash
# tools/bench --small (the CI configuration) so the benchmark cannot rot: it must run to the
# end and print every figure line with a measured ratio. Speed itself is never asserted.
# Also the exact messages of bad input to the harness and its reader.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, BENCH_READ, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
src=${SOURCE_ROOT:?}
: "${BUNDLEFS:?}" "${BUNDLEFSCTL:?}" "${BENCH_READ:?}" "${GEN_DATAROOT:?}"
work=$(mktemp -d /tmp/bf-benchtest-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
lines() { # FILE WHAT PATTERN...: each pattern matches a line of FILE
    local file=$1 what=$2 pat
    shift 2
    for pat in "$@"; do
        if grep -Eq "$pat" "$file"; then ok "$what line: $pat"; else bad "$what: no line matches: $pat"; fi
    done
}
same() { # what expected got
    if [ "$2" = "$3" ]; then ok "$1"; else
        bad "$1"
        echo "  expected: $2"
        echo "  got:      $3"
    fi
}

# Bad input: exact messages and exit codes.
rc=0; err=$("$src/tools/bench" --only warm,speed 2>&1 >/dev/null) || rc=$?
same "bench: unknown benchmark" "1: bench: --only: unknown benchmark speed (known: warm, cold, readers, scale, memory, concurrency, peer, linux)" "$rc: $err"
rc=0; err=$("$BENCH_READ" --passes 0 --walk "$work" 2>&1) || rc=$?
same "bench-read: --passes 0" "2: bench-read: --passes must be 1..1000" "$rc: $err"
printf 'f ok\nx bad\n' >"$work/bad.list"
rc=0; err=$("$BENCH_READ" --list "$work/bad.list" --root "$work" 2>&1) || rc=$?
same "bench-read: bad list line" "1: bench-read: $work/bad.list:2: expected 'f PATH', 'l PATH' or 'd PATH' with PATH relative" "$rc: $err"
rc=0; err=$("$(dirname "$BENCH_READ")/bench-walk" "$work" --generate --rounds 0 2>&1) || rc=$?
same "bench-walk: --rounds 0" "2: bench-walk: --rounds must be 1..1000" "$rc: $err"
rc=0; err=$(sh "$src/tools/bench-peer-layerpaths.sh" "$work" 2>&1) || rc=$?
same "peer script: usage" "2: usage: bench-peer-layerpaths.sh DATAROOT ID..." "$rc: $err"

# The reader itself: two identical trees give the same checksum, a changed byte another one.
mkdir -p "$work/a/$(printf '%064d' 1)" "$work/b"
echo hello >"$work/a/$(printf '%064d' 1)/f"
ln -s target "$work/a/$(printf '%064d' 1)/l"
cp -a "$work/a/." "$work/b/"
sa=$("$BENCH_READ" --walk "$work/a" | sed 's/ us [0-9.]*//')
sb=$("$BENCH_READ" --walk "$work/b" | sed 's/ us [0-9.]*//')
same "bench-read: identical trees, identical line" "pass 1: dirs 2 files 1 links 1 errors 0 bytes 12 sum ${sa##* }" "$sb"
echo hellO >"$work/b/$(printf '%064d' 1)/f"
sb=$("$BENCH_READ" --walk "$work/b")
if [ "${sa##* }" != "${sb##* }" ]; then ok "bench-read: a changed byte changes the checksum"; else bad "bench-read: checksum blind to a changed byte"; fi

# The benchmark, small.
# Through a pipe, so the harness and every child it starts write to one stream.
rc=0
"$src/tools/bench" --small 2>&1 | cat >"$work/out" || rc=$?
cat "$work/out"
same "bench --small exit status" 0 "$rc"
num='[0-9]+(\.[0-9]+)?'
lines "$work/out" windowsfilter \
    "^machine: [0-9]+ CPUs, .*, kernel .*; small run, seed 1, windowsfilter data-roots$" \
    "^warm: 100 containers x 5 layers, [0-9]+ files .*: bundlefs $num us/file .*, tmpfs $num us/file; ratio $num \(target <= 1.3\)$" \
    "^cold: 100 containers x 5 layers, .* first pass $num us/file, tmpfs $num us/file; ratio $num$" \
    "^cold: per container: bundlefs $num us, reading its $num input files $num us; ratio $num \(target <= 3\), median of 3 rounds \(fresh mount, then inputs; order alternating\); per-round ratios $num\.\.$num$" \
    "^cold: without FUSE \(bench-walk --generate\): generation $num us, reading its $num input files $num us; ratio $num, median of 3 rounds; per-round ratios $num\.\.$num; against every input its bundle records once \($num a container, $num us\): ratio $num, per-round $num\.\.$num$" \
    "^scale:   lookup by ID \(us\) +$num vs +$num; ratio $num, slope [-+]$num us per 1000 containers$" \
    "^scale:   lookup by prefix \(us\) +$num vs +$num; ratio $num, slope" \
    "^scale:   lookup by name \(us\) +$num vs +$num; ratio $num, slope" \
    "^scale:   first by name \(us\) +$num vs +$num; ratio $num, slope" \
    "^scale:   cold read \(us/file\) +$num vs +$num; ratio $num, slope" \
    "^scale:   cold \(us/container\) +$num vs $num vs $num; ratio $num; slope us per layer: 1->5 [-+]$num, 5->20 [-+]$num$" \
    "^memory: 100 containers x 5 layers, peak RSS after full scan $num MiB \(after mount $num MiB; /usr/bin/time -v at exit $num MiB\); 20 containers: $num MiB, ratio $num; ratio to the 64 MiB target $num$" \
    "^memory: per container beyond the cache \(peak less the RSS after mount and the cache's bytes after the scan\), 5 layers: 100 containers -?$num bytes, 500 containers -?$num bytes; ratio -?$num \(flat: 1\); each container between them -?$num bytes$" \
    "^concurrency: warm, 100 containers: 1 reader $num files/s, 4 readers $num files/s; ratio $num \(tmpfs: $num vs $num files/s, ratio $num; [0-9]+ CPUs\)$" \
    "^concurrency: cold, 100 containers: 1 reader $num files/s, 4 readers $num files/s; ratio $num$" \
    "^peer: 8 Docker containers \(overlay2; 1, 3, 12 layers\): shell\+jq layer paths identical to bundlefs$" \
    "^peer: cat of every layerpaths \(warm\) $num ms; docker inspect $num ms, ratio $num; shell\+jq script $num ms, ratio $num$" \
    "^linux: 50 containers, generation $num us, reading config.v2.json, hostconfig.json, image config and cache-ids $num us; ratio $num, median of 3 rounds, per-round $num\.\.$num; default seccomp profile parsed 1 time\(s\) per process \(target 1\)$" \
    "^linux: generation against reading every input its bundle records once \($num a container\) $num us: ratio $num \(target <= 2\), per-round $num\.\.$num$" \
    "^linux: through a fresh mount: first pass $num us/file, warm $num us/file, tmpfs $num us/file; cold ratio $num, warm ratio $num \([0-9]+ files\)$" \
    "^readers: 100 containers, 300 files \(200 JSON\); warm: the mount read before, 3 rounds alternating which side goes first; cold: a fresh mount each round$" \
    "^readers: ioctl\(TCGETS\) alone \(isatty; Python's buffered open makes one per file\): bundlefs $num us, tmpfs $num us; ratio $num$" \
    "^readers: warm python open\(p, 'rb'\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm python open\(p\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm python json\.load\(open\(p\)\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm python open\(p, 'rb', buffering=0\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm Go os\.ReadFile: +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm jq -c \. FILE\.\.\. \(one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm grep -r \(the whole tree, one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm cat FILE\.\.\. \(one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold python open\(p, 'rb'\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold python open\(p\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold python json\.load\(open\(p\)\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold python open\(p, 'rb', buffering=0\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold Go os\.ReadFile: +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold jq -c \. FILE\.\.\. \(one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold grep -r \(the whole tree, one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: cold cat FILE\.\.\. \(one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^bench: done in $num s$"
# Every warm/cold figure read through the mount: no file failed to read in the small root.
if grep -Eq '^warm: .*\(0 unreadable\)' "$work/out"; then ok "every file readable"; else bad "unreadable files in the small root"; fi

# The same benchmarks over Linux containers (overlay2, busybox layers): each file of each
# container read, and the figures the targets are judged by printed.
rc=0
"$src/tools/bench" --small --driver overlay2 --only warm,cold,readers,scale,memory,concurrency \
    2>&1 | cat >"$work/out-linux" || rc=$?
cat "$work/out-linux"
same "bench --small --driver overlay2 exit status" 0 "$rc"
lines "$work/out-linux" overlay2 \
    "^machine: [0-9]+ CPUs, .*; small run, seed 1, overlay2 data-roots$" \
    "^warm: 100 containers x 5 layers, 300 files \(0 unreadable\), .*: bundlefs $num us/file .*, tmpfs $num us/file; ratio $num \(target <= 1.3\)$" \
    "^cold: per container: bundlefs $num us, reading its $num input files $num us; ratio $num \(target <= 3\), median of 3 rounds" \
    "^cold: without FUSE \(bench-walk --generate\): .*; against every input its bundle records once \(51.5 a container, $num us\): ratio $num, per-round $num\.\.$num$" \
    "^readers: 100 containers, 300 files \(100 JSON\); warm" \
    "^readers: warm python open\(p, 'rb'\)\.read\(\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^readers: warm cat FILE\.\.\. \(one process\): +bundlefs $num us/file, tmpfs $num us/file; ratio $num, per-round $num\.\.$num$" \
    "^scale:   first by prefix \(us\) +$num vs +$num; ratio $num, slope" \
    "^scale: deep images, 20 containers on 20 images of 125 layers sharing 120: .*; ratio $num \(target <= 2\), median of 3 rounds, per-round $num\.\.$num; against every input its bundle records once \($num a container, $num us\): ratio $num, per-round $num\.\.$num$" \
    "^memory: 100 containers x 5 layers, peak RSS after full scan $num MiB" \
    "^concurrency: warm, 100 containers: 1 reader $num files/s, 4 readers $num files/s" \
    "^bench: done in $num s$"
dirs=$(sed -n 's/^bench: work folders \(.*\) (deleted at the end)$/\1/p' "$work/out" "$work/out-linux")
left=0
for d in $dirs; do [ -e "$d" ] && left=1; done
if [ -n "$dirs" ] && [ "$left" -eq 0 ]; then ok "bench deleted its work folders"; else bad "bench work folders: '$dirs' (left: $left)"; fi
echo "bench-small: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
