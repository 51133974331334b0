#!/bin/sh
# Install, build and run every bundlefs test, twice: a normal build and an
# AddressSanitizer+UndefinedBehaviorSanitizer build. Fresh Debian 12, as root.
#   tools/test-all.sh            everything
#   tools/test-all.sh --quick    skip the sanitizer pass (for a developer's inner loop)
# Prints "tests: N passed, M failed, K skipped" per pass and exits non-zero on any
# failure. With CI=true a skipped test is a failure: CI must run everything.
set -eu
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

tools/install-deps.sh --test

status=0
run_pass() { # name builddir [meson setup args...]
    name=$1 dir=$2
    shift 2
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir"
    rc=0
    meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
    log="$dir/meson-logs/testlog.json"
    pass=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
    fail=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$log")
    skip=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")
    if [ "$skip" -gt 0 ]; then
        jq -rs '.[] | select(.result == "SKIP") | "skipped: \(.name)"' "$log"
        if [ "${CI:-}" = "true" ]; then
            echo "$name: skipped tests are failures in CI"
            fail=$((fail + skip))
        fi
    fi
    echo "$name: $pass passed, $fail failed, $skip skipped"
    if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ]; then
        status=1
    fi
}

run_pass plain build-test
if [ "$quick" -eq 0 ]; then
    # b_lundef=false: required by meson for sanitizers with clang; harmless with gcc.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    run_pass sanitizers build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    # A short libFuzzer pass over every parser, once (long runs: tools/fuzz.sh --seconds N).
    if tools/fuzz.sh --seconds 3; then echo "fuzz: every target ran clean"; else echo "fuzz: FAILED"; status=1; fi
fi
exit $status
