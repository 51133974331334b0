#!/usr/bin/env python3
"""Every manual page renders without a warning, and documents exactly the options (and, for
bundlefsctl, the commands) its program's --help prints: the two sets are compared.

Env (from meson): BUNDLEFS, BUNDLEFSCTL, BOLTDUMP, SOURCE_ROOT."""
import os
import re
import subprocess
import sys

src = os.environ["SOURCE_ROOT"]
fails = 0


def check(what, ok, detail=""):
    global fails
    if ok:
        print("ok: %s" % what)
    else:
        fails += 1
        print("FAIL: %s%s" % (what, (": " + detail) if detail else ""))


def section(page, name):
    """The roff lines of section `name` (up to the next .SH)."""
    out, on = [], False
    for line in page.splitlines():
        if line.startswith(".SH"):
            on = line[3:].strip().strip('"') == name
            continue
        if on:
            out.append(line)
    return out


def unroff(s):
    return s.replace("\\-", "-").replace('"', "")


def page_items(lines, pattern):
    found = set()
    for line in lines:
        if line.startswith((".B", ".BI", ".BR", ".IB")):
            found.update(re.findall(pattern, unroff(line)))
    return found


def help_block(text, start, stop=None):
    lines = text.splitlines()
    out, on = [], False
    for line in lines:
        if line.startswith(start):
            on = True
            continue
        if on and ((stop and line.startswith(stop)) or (not stop and not line.strip())):
            break
        if on:
            out.append(line)
    return out


def run(*argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.stdout + r.stderr, r.returncode


def render(path):
    env = dict(os.environ, MANWIDTH="80")
    r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True, env=env)
    return r.returncode, r.stderr.strip(), r.stdout


pages = {
    "bundlefs": os.path.join(src, "fs", "bundlefs.1"),
    "bundlefsctl": os.path.join(src, "tools", "bundlefsctl.1"),
    "boltdump": os.path.join(src, "tools", "boltdump.1"),
}
for prog, path in pages.items():
    rc, err, out = render(path)
    check("%s(1) renders without warnings" % prog, rc == 0 and not err and "OPTIONS" in out, err)

# bundlefs: its own -o options (the block before libfuse's generic ones) against the page's
text, rc = run(os.environ["BUNDLEFS"], "--help")
helped = set()
for line in help_block(text, "bundlefs options:"):
    helped.update(re.findall(r"^\s+-o ([a-z_-]+)", line))
paged = page_items(section(open(pages["bundlefs"]).read(), "OPTIONS"), r"-o ([a-z_-]+)")
paged -= {"allow_other", "auto_unmount"}  # libfuse's, which the page points to mount.fuse3 for
check("bundlefs --help options are documented", helped <= paged, " ".join(sorted(helped - paged)))
check("bundlefs(1) documents no option --help lacks", paged <= helped, " ".join(sorted(paged - helped)))
check("bundlefs --help lists its options", len(helped) >= 15, str(sorted(helped)))

# bundlefsctl: options and commands
text, rc = run(os.environ["BUNDLEFSCTL"], "--help")
page = open(pages["bundlefsctl"]).read()
helped = set()
for line in help_block(text, "Options:"):
    helped.update(re.findall(r"^\s+--([a-z-]+)", line))
paged = page_items(section(page, "OPTIONS"), r"--([a-z-]+)")
check("bundlefsctl options: --help and the page agree", helped == paged and helped,
      "help only: %s; page only: %s" % (sorted(helped - paged), sorted(paged - helped)))
cmds = set()
for line in help_block(text, "Commands:"):
    m = re.match(r"^  ([a-z]+)\b", line)
    if m:
        cmds.add(m.group(1))
paged = set()
for line in section(page, "COMMANDS"):
    m = re.match(r'^\.BI? "?([a-z]+)', unroff(line))
    if m:
        paged.add(m.group(1))
check("bundlefsctl commands: --help and the page agree", cmds == paged and len(cmds) >= 10,
      "help only: %s; page only: %s" % (sorted(cmds - paged), sorted(paged - cmds)))

# boltdump
text, rc = run(os.environ["BOLTDUMP"], "--help")
helped = set(re.findall(r"^\s+--([a-z-]+)", text, re.M))
paged = page_items(section(open(pages["boltdump"]).read(), "OPTIONS"), r"--([a-z-]+)")
check("boltdump options: --help and the page agree", helped == paged and helped,
      "help only: %s; page only: %s" % (sorted(helped - paged), sorted(paged - helped)))

print("man_pages: %s" % ("all passed" if not fails else "%d failed" % fails))
sys.exit(1 if fails else 0)
