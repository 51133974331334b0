# Pass/fail bookkeeping for the integration scripts (source this file).
#   ok MSG                  count a passed check ("ok: MSG", unless CHECK_QUIET=1)
#   bad MSG                 count a failed check ("FAIL: MSG")
#   same WHAT EXPECTED GOT  ok when equal; else bad, with both values (first 2000 bytes)
# The counters are $pass and $fail; each script prints its own closing line from them.
pass=0 fail=0
ok() {
    pass=$((pass + 1))
    [ "${CHECK_QUIET:-0}" = 1 ] || echo "ok: $*"
}
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
}
same() { # what expected got
    if [ "$2" = "$3" ]; then ok "$1"; else
        bad "$1"
        echo "  expected: $(printf '%s' "$2" | head -c 2000)"
        echo "  got:      $(printf '%s' "$3" | head -c 2000)"
    fi
}
