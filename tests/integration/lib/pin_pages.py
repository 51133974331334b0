#!/usr/bin/env python3
"""Pin the pages of every regular, non-empty file of a bundlefs mount's container folders
(MOUNT/<id>/<file>; by-name skipped): mmap + mlock each, print how many, and hold them until
standard input closes. A warm-path test counts the READs that reach the daemon; the kernel's
own reclaim may drop an unpinned page that was read once on a loaded machine, and with the
pages pinned a READ can only come from an invalidation of the daemon's (a changed mtime or
size, a notify, an inode given a new number). Usage: pin_pages.py MOUNT"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
root, n = sys.argv[1], 0
for c in sorted(os.listdir(root)):
    if c == "by-name":
        continue
    for f in sorted(os.listdir(os.path.join(root, c))):
        p = os.path.join(root, c, f)
        if os.path.islink(p) or os.path.getsize(p) == 0:
            continue
        fd = os.open(p, os.O_RDONLY)
        size = os.fstat(fd).st_size
        addr = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        if addr in (None, ctypes.c_void_p(-1).value) or libc.mlock(addr, size) != 0:
            sys.exit("pin %s: %s" % (p, os.strerror(ctypes.get_errno())))
        os.close(fd)  # the mapping keeps the file, its inode and its pages
        n += 1
print(n, flush=True)
sys.stdin.read()  # held until the test closes our input
