#!/bin/bash
# The integration tests with the bundlefs daemon under valgrind memcheck (not in CI: about
# 20x slower). Each script runs with BUNDLEFS pointing at a wrapper that starts the daemon
# under valgrind (every leak kind an error, exit 99), so a test also fails when a daemon it
# mounted leaked or touched bad memory (lib/mount.sh checks the exit status).
#   tests/hardening/valgrind_integration.sh BUILDDIR [SCRIPT...]
# Default scripts: fs_readonly fs_generated fs_freshness. fs_concurrency's check that readers
# saw both versions cannot hold at valgrind's speed (its memory checks still apply).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: valgrind_integration.sh BUILDDIR [SCRIPT...]}
shift
build=$(realpath "$build")
if [ $# -gt 0 ]; then scripts=("$@"); else scripts=(fs_readonly fs_generated fs_freshness); fi
work=$(mktemp -d /tmp/bf-vgint-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/bundlefs" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
    --errors-for-leak-kinds=all --log-file=$work/vg.%p.log "$build/fs/bundlefs" "\$@"
WRAP
chmod +x "$work/bundlefs"
export BUNDLEFS=$work/bundlefs BUNDLEFSCTL=$build/tools/bundlefsctl
export GEN_DATAROOT=$PWD/tools/gen-dataroot SOURCE_ROOT=$PWD
export VALIDATE_OCI=$PWD/../shared/tools/validate-oci-config
fail=0
for s in "${scripts[@]}"; do
    if "tests/integration/$s.sh" >"$work/$s.out" 2>&1; then
        echo "ok   $s: $(tail -n 1 "$work/$s.out")"
    else
        echo "FAIL $s:"; grep -E 'FAIL' "$work/$s.out" | head -n 10; fail=1
    fi
done
daemons=0
for f in "$work"/vg.*.log; do
    [ -e "$f" ] || continue
    daemons=$((daemons + 1))
    # valgrind 3.19 does not know openat2: its note is not a finding
    if grep -v -e 'syscall: 437' -e 'own handler' -e 'README_MISSING' -e 'Nevertheless' \
        -e 'bug_reports' "$f" | grep -q .; then
        echo "FAIL: valgrind on a daemon:"; head -n 40 "$f"; fail=1
    fi
done
echo "valgrind over the integration tests: ${#scripts[@]} scripts, $daemons daemons, failures: $fail"
exit $fail
