#!/bin/bash
# What ordinary readers send the daemon on the warm path, counted in the -d log, and how the
# daemon answers: Python's buffered open asks isatty() (ioctl TCGETS, which the kernel forwards
# as FUSE_IOCTL on every open and never remembers) and gets ENOTTY, the true answer, where
# libfuse said ENOSYS; an unbuffered open, cat and jq send nothing. Without -d: isatty() is
# False, the ioctl's error ENOTTY, every byte as bundlefsctl makes it.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
: "${BUNDLEFS:?}" "${BUNDLEFSCTL:?}"
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-fsreaders-XXXXXX)
pin_pid=
cleanup() {
    [ -n "$pin_pid" ] && kill "$pin_pid" 2>/dev/null
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "$src/tests/integration/lib/check.sh"

R=$work/root
"$gen" --quiet --seed 17 --containers 12 --images 3 --layers 2-4 "$R"
mapfile -t ids < <("$BUNDLEFSCTL" "$R" containers | cut -f1)

# 1. -d: the requests of each reader over every file, warm, from outside the mount (a Python
#    started inside it would look up its own startup files there).
M=$work/mnt-d
mount_start "$M" "$R" -d
find "$M"/ -maxdepth 2 -path "$M/by-name" -prune -o -type f -print | sort >"$work/files"
n=$(grep -c . "$work/files")
[ "$n" -ge 36 ] && ok "files: $n" || bad "files: only $n"
xargs cat <"$work/files" >/dev/null
# the pages held through the warm readers: a READ can then only be an invalidation of ours
coproc PIN { python3 "$src/tests/integration/lib/pin_pages.py" "$M"; }
pin_pid=$PIN_PID
read -r pinned <&"${PIN[0]}" || pinned=none
same "every non-empty file's pages pinned" "$(xargs stat -c %s <"$work/files" | grep -vcx 0)" "$pinned"
ops_since() { tail -n +"$1" "$M.log" | grep -o "opcode: [A-Z_]*" | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }
reader() { # what, then the command; prints the requests it sent
    local n0
    n0=$(($(wc -l <"$M.log") + 1))
    "$@" >/dev/null
    ops_since "$n0"
}
py_read() { python3 -c 'import sys
for p in open(sys.argv[1]).read().split("\n")[:-1]: open(p, sys.argv[2], buffering=int(sys.argv[3])).read()' "$work/files" "$@"; }
same "python open(p, 'rb').read(): one IOCTL per file, nothing else" " $n opcode: IOCTL;" "$(reader py_read rb -1)"
same "python open(p).read(): one IOCTL per file" " $n opcode: IOCTL;" "$(reader py_read r -1)"
same "python open(p, 'rb', buffering=0).read(): nothing" "" "$(reader py_read rb 0)"
same "cat FILE...: nothing" "" "$(reader xargs cat <"$work/files")"
same "jq -c . FILE...: nothing" "" "$(reader xargs jq -c . <<<"$(grep '\.json$' "$work/files")")"
# grep -r over the whole tree, by-name included, past the short entry timeout: the kept
# entries (by-name's too) answer every lookup; fts asks STATFS once, which no kernel caches.
grep -r -c zzzz "$M" >/dev/null || true
sleep 1.5
same "grep -r (the whole tree, past the 1 s timeout): one STATFS, nothing else" " 1 opcode: STATFS;" \
    "$(reader grep -r -c zzzz "$M" || true)"
ioctl=$(grep -c "opcode: IOCTL" "$M.log" || true)
same "every IOCTL answered ENOTTY (libfuse would say ENOSYS)" "$ioctl" \
    "$(grep -A1 "opcode: IOCTL" "$M.log" | grep -c "error: -25 (Inappropriate ioctl for device)" || true)"
exec {PIN[1]}>&-
wait "$pin_pid" || true
pin_pid=
if mount_stop_clean "$M"; then ok "daemon (-d) exited cleanly"; else bad "daemon (-d) exit"; fi

# 2. Without -d.
M=$work/mnt
mount_start "$M" "$R"
c=${ids[0]}
same "isatty() of a file" "False ENOTTY" "$(python3 -c 'import errno, fcntl, os, sys, termios
f = open(sys.argv[1], "rb")
try:
    fcntl.ioctl(f.fileno(), termios.TCGETS, bytearray(64)); e = "none"
except OSError as x:
    e = errno.errorcode[x.errno]
print(f.isatty(), e)' "$M/$c/config.json" 2>&1)"
same "bytes through Python's buffered open" "$("$BUNDLEFSCTL" "$R" config "$c" | sha256sum)" \
    "$(python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], "rb").read())' "$M/$c/config.json" | sha256sum)"
if mount_stop_clean "$M"; then ok "daemon exited cleanly"; else bad "daemon exit"; fi
echo "fs-readers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
