#!/bin/bash
# bundlefs is read-only and keeps container files private: every write operation (open for
# writing, create, mkdir, mknod, unlink, rmdir, rename, chmod, fchmod, chown, truncate, utime,
# setxattr, removexattr, link, symlink) fails with exactly EROFS, checked with Python's os
# calls on files, container folders, by-name links and the root; the mount is `ro` with
# `default_permissions`; with `allow_other`, another user cannot read a 0400 file of a
# container owned by root, but can read the files of a container owned by that user (0400) and
# of a group-readable container of its group (0440).
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-fsro-XXXXXX)
chmod 755 "$work"
cleanup() {
    mount_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

R=$work/root
"$gen" --quiet --seed 11 --containers 4 --images 2 --layers 2-3 "$R"
mapfile -t ids < <("$BUNDLEFSCTL" "$R" containers | cut -f1)
# ids[0]: root's, private (0600) -> 0400/0500 root:root
# ids[1]: owned by nobody (65534), private -> 0400/0500 65534:65534
# ids[2]: root:65534 and group-readable (0640) -> 0440/0550 root:65534
# ids[3]: as generated (0644 root:root, group-readable) -> 0440/0550 root:root
chmod 600 "$R/containers/${ids[0]}/config.v2.json" "$R/containers/${ids[1]}/config.v2.json"
chown 65534:65534 "$R/containers/${ids[1]}/config.v2.json"
chown 0:65534 "$R/containers/${ids[2]}/config.v2.json"
chmod 640 "$R/containers/${ids[2]}/config.v2.json"
chmod 644 "$R/containers/${ids[3]}/config.v2.json"
name0=$("$BUNDLEFSCTL" "$R" containers | awk -v i="${ids[0]}" '$1 == i { print $2 }')

M=$work/mnt
mount_start "$M" "$R" -o allow_other

opts=$(findmnt -n -M "$M" -o VFS-OPTIONS)
case ",$opts," in *,ro,*) ok "mounted ro ($opts)" ;; *) bad "not mounted ro: $opts" ;; esac
fsopts=$(findmnt -n -M "$M" -o FS-OPTIONS)
case ",$fsopts," in *,default_permissions,*) ok "default_permissions ($fsopts)" ;; *) bad "no default_permissions: $fsopts" ;; esac
same "fstype" "fuse.bundlefs" "$(findmnt -n -M "$M" -o FSTYPE)"

# Every write operation: exactly EROFS.
python3 - "$M" "${ids[0]}" "$name0" >"$work/erofs.log" <<'EOF' || true
import errno, os, sys
mnt, cid, name = sys.argv[1:4]
d = os.path.join(mnt, cid)
f = os.path.join(d, "config.json")
link = os.path.join(mnt, "by-name", name)
fails = 0
def check(what, fn):
    global fails
    try:
        fn()
        got = "no error"
    except OSError as e:
        got = errno.errorcode.get(e.errno, str(e.errno))
    if got == "EROFS":
        print("ok: %s: EROFS" % what)
    else:
        fails += 1
        print("FAIL: %s: expected EROFS, got %s" % (what, got))
def open_close(path, flags, mode=0o600):
    os.close(os.open(path, flags, mode))
for path in (f, os.path.join(d, "layerpaths"), os.path.join(d, "createoptions.json")):
    check("open O_WRONLY " + path, lambda: open_close(path, os.O_WRONLY))
    check("open O_RDWR " + path, lambda: open_close(path, os.O_RDWR))
    check("open O_RDONLY|O_TRUNC " + path, lambda: open_close(path, os.O_RDONLY | os.O_TRUNC))
    check("open O_WRONLY|O_APPEND " + path, lambda: open_close(path, os.O_WRONLY | os.O_APPEND))
for where in (mnt, d, os.path.join(mnt, "by-name")):
    new = os.path.join(where, "new")
    check("create " + new, lambda: open_close(new, os.O_WRONLY | os.O_CREAT))
    check("create O_EXCL " + new, lambda: open_close(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    check("mkdir " + new, lambda: os.mkdir(new))
    check("mkfifo " + new, lambda: os.mkfifo(new))
    check("symlink " + new, lambda: os.symlink("x", new))
    check("link " + new, lambda: os.link(f, new))
check("unlink file", lambda: os.unlink(f))
check("unlink by-name link", lambda: os.unlink(link))
check("rmdir container folder", lambda: os.rmdir(d))
check("rmdir by-name", lambda: os.rmdir(os.path.join(mnt, "by-name")))
check("rename file within folder", lambda: os.rename(f, os.path.join(d, "x.json")))
check("rename file over another", lambda: os.rename(f, os.path.join(d, "layerpaths")))
check("rename container folder", lambda: os.rename(d, os.path.join(mnt, "x")))
check("rename by-name link", lambda: os.rename(link, os.path.join(mnt, "by-name", "x")))
for path in (f, d, mnt):
    check("chmod " + path, lambda: os.chmod(path, 0o644))
    check("chown " + path, lambda: os.chown(path, 1, 1))
    check("utime " + path, lambda: os.utime(path, (0, 0)))
    check("setxattr " + path, lambda: os.setxattr(path, "user.x", b"1"))
    check("removexattr " + path, lambda: os.removexattr(path, "user.x"))
check("lchown by-name link", lambda: os.chown(link, 1, 1, follow_symlinks=False))
check("truncate " + f, lambda: os.truncate(f, 0))
check("truncate " + f + " to 1 MiB", lambda: os.truncate(f, 1 << 20))
fd = os.open(f, os.O_RDONLY)
check("fchmod of an open file", lambda: os.fchmod(fd, 0o644))
check("fchown of an open file", lambda: os.fchown(fd, 1, 1))
check("fsetxattr of an open file", lambda: os.setxattr(fd, "user.x", b"1"))
os.close(fd)
print("erofs: %d failed" % fails)
EOF
n_ok=$(grep -c '^ok:' "$work/erofs.log" || true)
if grep -q '^FAIL' "$work/erofs.log" || ! grep -q '^erofs: 0 failed$' "$work/erofs.log"; then
    bad "write operations not all EROFS:"
    grep -v '^ok:' "$work/erofs.log"
else ok "$n_ok write operations: EROFS"; fi
# Shell tools say so too.
same "shell redirection" "Read-only file system" "$( (echo x >"$M/${ids[0]}/config.json") 2>&1 | sed 's/.*: //')"
same "touch" "touch: cannot touch '$M/${ids[0]}/layerpaths': Read-only file system" "$(touch "$M/${ids[0]}/layerpaths" 2>&1)"
same "rm -f" "rm: cannot remove '$M/${ids[0]}/layerpaths': Read-only file system" "$(rm -f "$M/${ids[0]}/layerpaths" 2>&1)"
# Nothing changed in the data-root, nothing changed in the mount.
same "layerpaths unchanged" "$("$BUNDLEFSCTL" "$R" layerpaths "${ids[0]}")" "$(cat "$M/${ids[0]}/layerpaths")"

# Permissions with allow_other, as uid/gid 65534 (no supplementary groups).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
same "nobody: ls root" "$(printf '%s\n' by-name "${ids[@]}" | sort)" "$(as_nobody ls "$M" 2>&1 | sort)"
same "nobody: root's private container folder" \
    "ls: cannot open directory '$M/${ids[0]}': Permission denied" "$(as_nobody ls "$M/${ids[0]}" 2>&1)"
same "nobody: root's private config.json" \
    "cat: $M/${ids[0]}/config.json: Permission denied" "$(as_nobody cat "$M/${ids[0]}/config.json" 2>&1)"
same "nobody: through by-name" \
    "cat: $M/by-name/$name0/config.json: Permission denied" "$(as_nobody cat "$M/by-name/$name0/config.json" 2>&1)"
same "nobody: its own container (0400)" "$("$BUNDLEFSCTL" "$R" config "${ids[1]}")" "$(as_nobody cat "$M/${ids[1]}/config.json" 2>&1)"
same "nobody: its group's container (0440)" "$("$BUNDLEFSCTL" "$R" config "${ids[2]}")" "$(as_nobody cat "$M/${ids[2]}/config.json" 2>&1)"
same "nobody: root:root group-readable container (0440, other group)" \
    "cat: $M/${ids[3]}/config.json: Permission denied" "$(as_nobody cat "$M/${ids[3]}/config.json" 2>&1)"
same "modes and owners" \
    "$(printf '%s\n' "500 0:0 400 0:0" "500 65534:65534 400 65534:65534" "550 0:65534 440 0:65534" "550 0:0 440 0:0")" \
    "$(for i in 0 1 2 3; do echo "$(stat -c '%a %u:%g' "$M/${ids[$i]}") $(stat -c '%a %u:%g' "$M/${ids[$i]}/config.json")"; done)"
# Docker's own containers/ is 0710 root:root: the root and by-name give others no more.
chmod 0710 "$R/containers"
denied_ls() { [ "$(as_nobody ls "$M" 2>&1)" = "ls: cannot open directory '$M': Permission denied" ]; }
if poll_until 10 "containers/ 0710: the root follows" denied_ls; then ok "nobody: ls root denied (containers/ 0710)"; else
    bad "nobody: ls root: $(as_nobody ls "$M" 2>&1 | head -3)"; fi
same "nobody: ls by-name" "ls: cannot access '$M/by-name': Permission denied" "$(as_nobody ls "$M/by-name" 2>&1)"
same "nobody: a container by ID" "stat: cannot statx '$M/${ids[1]}': Permission denied" "$(as_nobody stat "$M/${ids[1]}" 2>&1)"
same "nobody: a container by prefix" "stat: cannot statx '$M/${ids[1]:0:12}': Permission denied" "$(as_nobody stat "$M/${ids[1]:0:12}" 2>&1)"
same "root and by-name modes" "510 0:0 510 0:0" "$(stat -c '%a %u:%g' "$M") $(stat -c '%a %u:%g' "$M/by-name")"
# group 65534 may traverse (x), as containers/ lets it, but not list
chgrp 65534 "$R/containers"
nobody_traverses() { as_nobody cat "$M/${ids[1]}/config.json" >/dev/null 2>&1; }
if poll_until 10 "containers/ 0710 root:65534: its group traverses" nobody_traverses; then ok "nobody's group: its container through the root"; else
    bad "nobody's group: $(as_nobody cat "$M/${ids[1]}/config.json" 2>&1 | head -2)"; fi
same "nobody's group: ls root still denied" "ls: cannot open directory '$M': Permission denied" "$(as_nobody ls "$M" 2>&1)"
chgrp 0 "$R/containers"
chmod 0755 "$R/containers"
# root reads everything (root bypasses default_permissions checks)
same "root reads the private file" "$("$BUNDLEFSCTL" "$R" config "${ids[0]}")" "$(cat "$M/${ids[0]}/config.json")"

if mount_stop_clean "$M"; then ok "daemon exited cleanly"; else bad "daemon exit"; fi
echo "fs-readonly: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
