#!/usr/bin/env python3
"""fscheck.py - check a mounted bundlefs tree against expected bytes, with Python's own file
APIs: os.listdir, lstat, open().read() (binary and text), shutil.copyfile, mmap, readlink.

    fscheck.py MNT EXP DATAROOT

EXP holds what bundlefsctl printed with the same options (lib/expected.sh), one folder per
container:
  EXP/ids                     the full IDs, one a line (what readdir(MNT) must list + by-name)
  EXP/names                   "<name> <id>" lines (the by-name links)
  EXP/<id>/files              `bundlefsctl files`: what readdir of the folder must list, in
                              that order; every other name of ALL_FILES must be ENOENT
  EXP/<id>/<file>             the bytes of a listed file (config.json, createoptions.json,
                              layerpaths, mountopts, error)
  EXP/<id>/<file>.fail        this file cannot be generated: size 1, open/read fail with EIO
  EXP/<id>/utilityvm.link     the link target (no newline) when utilityvm is listed
  EXP/<id>/mtime              optional: the exact st_mtime (seconds) of the container's files
  (files.fail, error.unlisted, <name>.unknown, utilityvm.fail: bundlefsctl disagreed with
  itself; each is a failure)
Modes and owners come from DATAROOT/containers/<id>/config.v2.json (contract: files 0400,
0440 when config.v2.json is group-readable; container folders 0500/0550; root and by-name as containers/ (no write bits);
symlinks 0777). Prints ok:/FAIL: lines; exits 1 if anything failed. With
FSCHECK_REQUIRE_AMBIGUOUS set, IDs without a shared prefix (no ambiguous lookup to try) fail.
"""
import errno
import mmap
import os
import shutil
import stat
import subprocess
import sys
import tempfile

# every name a container folder can have, in the mount's order (spec_file_name, then error)
ALL_FILES = ["config.json", "createoptions.json", "layerpaths", "utilityvm", "mountopts",
             "error"]
npass = nfail = 0


def ok(msg):
    global npass
    npass += 1


def bad(msg, expected=None, got=None):
    global nfail
    nfail += 1
    print("FAIL: " + msg)
    if expected is not None or got is not None:
        print("  expected: %r" % (expected if not isinstance(expected, bytes) else expected[:400]))
        print("  got:      %r" % (got if not isinstance(got, bytes) else got[:400]))


def same(msg, expected, got):
    if expected == got:
        ok(msg)
    else:
        bad(msg, expected, got)


def errno_of(fn):
    try:
        fn()
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return "no error"


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def check_ok_file(path, exp, mode, uid, gid, mtime):
    st = os.lstat(path)
    same(path + ": regular file", True, stat.S_ISREG(st.st_mode))
    same(path + ": st_size", len(exp), st.st_size)
    same(path + ": mode", oct(mode), oct(stat.S_IMODE(st.st_mode)))
    same(path + ": owner", (uid, gid), (st.st_uid, st.st_gid))
    if mtime is not None:
        same(path + ": st_mtime", mtime, int(st.st_mtime))
    same(path + ": open().read() bytes", exp, read_all(path))
    with open(path, encoding="utf-8", newline="") as f:
        same(path + ": open().read() text", exp.decode("utf-8"), f.read())
    # small reads at odd offsets
    with open(path, "rb", buffering=0) as f:
        parts = []
        while True:
            b = f.read(7)
            if not b:
                break
            parts.append(b)
        same(path + ": 7-byte reads", exp, b"".join(parts))
        f.seek(max(0, len(exp) - 5))
        same(path + ": pread at the end", exp[max(0, len(exp) - 5):], f.read(100))
    with tempfile.TemporaryDirectory() as t:
        dst = os.path.join(t, "copy")
        shutil.copyfile(path, dst)
        same(path + ": shutil.copyfile", exp, read_all(dst))
    if exp:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            same(path + ": mmap", exp, m[:])


def check_failed_file(path, mode, uid, gid):
    st = os.lstat(path)
    same(path + ": (failed file) regular file", True, stat.S_ISREG(st.st_mode))
    # 1, not 0: with zero-message opens the kernel would answer reads of an empty file itself
    same(path + ": (failed file) st_size", 1, st.st_size)
    same(path + ": (failed file) mode", oct(mode), oct(stat.S_IMODE(st.st_mode)))
    same(path + ": (failed file) owner", (uid, gid), (st.st_uid, st.st_gid))

    def op():
        with open(path, "rb") as f:
            f.read()

    same(path + ": (failed file) open+read errno", "EIO", errno_of(op))

    r = subprocess.run(["cat", path], capture_output=True, check=False)
    same(path + ": (failed file) cat fails", True, r.returncode != 0 and not r.stdout)


def main():
    mnt, expd, root = sys.argv[1:4]
    ids = open(os.path.join(expd, "ids")).read().split()
    names = dict(line.split() for line in open(os.path.join(expd, "names")) if line.strip())

    # the root and by-name: containers/'s owner, group and mode without write bits
    cst = os.lstat(os.path.join(root, "containers"))
    want_mode, want_owner = stat.S_IMODE(cst.st_mode) & 0o555, (cst.st_uid, cst.st_gid)
    st = os.lstat(mnt)
    same("root: mode", oct(want_mode), oct(stat.S_IMODE(st.st_mode)))
    same("root: owner", want_owner, (st.st_uid, st.st_gid))
    same("root: readdir", sorted(ids + ["by-name"]), sorted(os.listdir(mnt)))
    byn = os.path.join(mnt, "by-name")
    st = os.lstat(byn)
    same("by-name: directory", True, stat.S_ISDIR(st.st_mode))
    same("by-name: mode", oct(want_mode), oct(stat.S_IMODE(st.st_mode)))
    same("by-name: owner", want_owner, (st.st_uid, st.st_gid))
    same("by-name: readdir", sorted(names), sorted(os.listdir(byn)))
    for name, cid in names.items():
        p = os.path.join(byn, name)
        st = os.lstat(p)
        same(p + ": symlink", True, stat.S_ISLNK(st.st_mode))
        same(p + ": mode", oct(0o777), oct(stat.S_IMODE(st.st_mode)))
        same(p + ": target", "../" + cid, os.readlink(p))
        same(p + ": resolves to the container folder", os.stat(os.path.join(mnt, cid)).st_ino,
             os.stat(p).st_ino)

    # ID prefixes: unique -> symlink to the full ID, not listed; ambiguous or unknown -> ENOENT.
    for cid in ids:
        pre = cid[:12]
        if sum(1 for i in ids if i.startswith(pre)) == 1:
            p = os.path.join(mnt, pre)
            st = os.lstat(p)
            same(p + ": prefix is a symlink", True, stat.S_ISLNK(st.st_mode))
            same(p + ": prefix target", cid, os.readlink(p))
            exp_names = sorted(os.listdir(os.path.join(mnt, cid)))
            same(p + ": readdir through the prefix", exp_names, sorted(os.listdir(p)))
    srt = sorted(ids)
    amb = ""
    for a, b in zip(srt, srt[1:]):
        k = len(os.path.commonprefix([a, b]))
        if k > len(amb):
            amb = a[:k]
    if amb:
        same("ambiguous prefix %s: errno" % amb, "ENOENT",
             errno_of(lambda: os.lstat(os.path.join(mnt, amb))))
    elif os.environ.get("FSCHECK_REQUIRE_AMBIGUOUS"):
        bad("no two IDs share a prefix: test data too small")
    else:
        print("note: no two IDs share a prefix; ambiguous prefixes not checked here")
    unknown = next(h for h in ("%04x" % n for n in range(65536)) if not any(i.startswith(h) for i in ids))
    same("unknown prefix %s: errno" % unknown, "ENOENT",
         errno_of(lambda: os.lstat(os.path.join(mnt, unknown))))
    same("not an ID: errno", "ENOENT", errno_of(lambda: os.lstat(os.path.join(mnt, "nothere"))))
    same("a name at the root: errno", "ENOENT",
         errno_of(lambda: os.lstat(os.path.join(mnt, next(iter(names)))) if names else None))

    for cid in ids:
        e = os.path.join(expd, cid)
        d = os.path.join(mnt, cid)
        cfg = os.path.join(root, "containers", cid, "config.v2.json")
        cst = os.stat(cfg)
        grp = bool(cst.st_mode & stat.S_IRGRP)
        uid, gid = cst.st_uid, cst.st_gid
        st = os.lstat(d)
        same(d + ": directory", True, stat.S_ISDIR(st.st_mode))
        same(d + ": mode", oct(0o550 if grp else 0o500), oct(stat.S_IMODE(st.st_mode)))
        same(d + ": owner", (uid, gid), (st.st_uid, st.st_gid))
        mtime = None
        if os.path.exists(os.path.join(e, "mtime")):
            mtime = int(open(os.path.join(e, "mtime")).read())
        if os.path.exists(os.path.join(e, "files.fail")):
            bad(cid + ": bundlefsctl files failed: " + open(os.path.join(e, "files.fail")).read())
            continue
        want = open(os.path.join(e, "files")).read().split()
        for f in os.listdir(e):
            if f.endswith(".unknown") or f in ("error.unlisted", "utilityvm.fail"):
                bad("%s: bundlefsctl disagrees with itself: %s" % (cid, f))
        same(cid + ": bundlefsctl files: known names, each once, in the mount's order",
             [f for f in ALL_FILES if f in want], want)
        # readdir: exactly the listed names, in bundlefsctl's order
        same(d + ": readdir", want, os.listdir(d))
        fmode = 0o440 if grp else 0o400
        for f in ALL_FILES:
            p = os.path.join(d, f)
            if f not in want:
                # not listed: no such file, whatever way it is asked for
                same(p + ": absent (lstat)", "ENOENT", errno_of(lambda: os.lstat(p)))
                same(p + ": absent (open)", "ENOENT", errno_of(lambda: open(p, "rb").close()))
            elif errno_of(lambda: os.lstat(p)) != "no error":
                bad(p + ": listed, but lstat fails: " + errno_of(lambda: os.lstat(p)))
            elif f == "utilityvm":
                if not os.path.exists(os.path.join(e, "utilityvm.link")):
                    continue  # utilityvm.fail: reported above
                st = os.lstat(p)
                same(p + ": symlink", True, stat.S_ISLNK(st.st_mode))
                same(p + ": mode", oct(0o777), oct(stat.S_IMODE(st.st_mode)))
                same(p + ": target", open(os.path.join(e, "utilityvm.link")).read(), os.readlink(p))
            elif os.path.exists(os.path.join(e, f)):
                check_ok_file(p, read_all(os.path.join(e, f)), fmode, uid, gid, mtime)
                if f == "error":
                    same(p + ": listed, so not empty", True, os.path.getsize(os.path.join(e, f)) > 0)
            elif os.path.exists(os.path.join(e, f + ".fail")):
                check_failed_file(p, fmode, uid, gid)
            else:
                bad(p + ": listed but expected.sh fetched nothing (test setup)")
    print("fscheck %s: %d passed, %d failed" % (mnt, npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
