#!/bin/sh
# Run the libFuzzer targets (tests/fuzz) for a bounded time each.
#   tools/fuzz.sh [--seconds N] [--build DIR] [TARGET...]
# Default: every target for 8 s (what CI runs). A long run: tools/fuzz.sh --seconds 3600 generate
# (or all targets, one after another; run several copies on different targets to use more cores).
# Builds DIR (default build-fuzz: clang, libFuzzer, ASan+UBSan) when needed. Each target starts
# from the checked-in seeds (tests/fuzz/corpus/<target>) and keeps what it learns in
# tests/fuzz/corpus-work/<target> (not checked in). A crash, leak, sanitizer report or broken
# invariant stops the script with exit 1 and leaves the input in tests/fuzz/corpus-work/crashes/;
# fix the bug, then add the input to tests/fuzz/regressions/<target>/ (replayed by the test suite)
# and a unit test for the exact error. Prints executions per target and appends them to
# tests/fuzz/corpus-work/stats.log.
set -eu
cd "$(dirname "$0")/.."
seconds=8
build=build-fuzz
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    --*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
all="image_config config_v2 hostconfig layerdb repositories daemon_json credspec escape generate boltdb jscan user"
targets=${*:-$all}

if [ ! -d "$build" ]; then
    CC=clang meson setup "$build" -Dfuzz=enabled -Dtests=disabled \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" -j2 >/dev/null

work=tests/fuzz/corpus-work
mkdir -p "$work/crashes"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in $targets; do
    bin=$build/tests/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz.sh: no target $t (have: $all)" >&2
        exit 2
    fi
    mkdir -p "$work/$t"
    dict=""
    case $t in escape | credspec | layerdb) ;; *) dict=-dict=tests/fuzz/json.dict ;; esac
    log=$work/$t.log
    rc=0
    # -max_len: the JSON targets need room; the cap on what is read is 16 MiB anyway.
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$work/crashes/$t-" $dict \
        "$work/$t" tests/fuzz/corpus/$t >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    units=$(ls "$work/$t" | wc -l)
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $t (exit $rc): see $log"
        grep -E 'ERROR|invariant violated|SUMMARY|Test unit written' "$log" | head -5
        status=1
    else
        echo "ok   $t: ${execs:-0} executions in ${seconds} s, $units corpus units learnt"
    fi
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $t seconds=$seconds execs=${execs:-0} rc=$rc" >>"$work/stats.log"
done
exit $status
