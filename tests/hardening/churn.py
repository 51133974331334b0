#!/usr/bin/env python3
"""Accelerated churn for tests/hardening/churn.sh: CYCLES containers created, read through the
mount and removed, ALIVE at any time, and as many version changes (a live container's
hostconfig.json rewritten the way Docker does, then read). After WARMUP cycles it samples the
daemon every SAMPLE cycles: VmRSS and, from its log (SIGUSR1), malloc's bytes in use.
Prints one line per sample: "sample CYCLE RSS_KIB INUSE_BYTES THREADS"."""
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time

R, M, pid, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cycles, alive, warmup, every = (int(x) for x in sys.argv[5:9])
ldb = os.path.join(R, "image/windowsfilter/layerdb/mounts")
tmpl = sorted(os.listdir(os.path.join(R, "containers")))[0]
cfg0 = json.load(open(os.path.join(R, "containers", tmpl, "config.v2.json")))
hc0 = json.load(open(os.path.join(R, "containers", tmpl, "hostconfig.json")))
mnt0 = {f: open(os.path.join(ldb, tmpl, f)).read() for f in os.listdir(os.path.join(ldb, tmpl))}
STATS = re.compile(r"stats: .*malloc in use (\d+) bytes")


def status(field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def inuse():
    """Ask for the figures and wait (bounded) for the line they come in."""
    before = open(log).read().count("stats: ")
    os.kill(pid, signal.SIGUSR1)
    for _ in range(300):
        text = open(log).read()
        if text.count("stats: ") > before:
            return int(STATS.findall(text)[-1])
        time.sleep(0.01)
    sys.exit("churn: no stats line from the daemon")


def read(*parts):
    try:
        with open(os.path.join(M, *parts), "rb") as f:
            f.read()
    except OSError:
        pass  # a race with the removal is no error here: memory is what is measured


def burst(readers=16, rounds=2000):
    """Concurrent lookups (of names never seen, so each one reaches the daemon), so that
    libfuse grows its worker pool (up to max_threads, never shrunk by default) in the warm-up
    rather than in the measured span."""
    def run(k):
        for j in range(rounds):
            try:
                os.stat(os.path.join(M, "burst-%d-%d" % (k, j)))
            except OSError:
                pass
    ts = [threading.Thread(target=run, args=(k,)) for k in range(readers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


live = []
for i in range(cycles):
    if i == warmup // 2:
        burst()
    cid = hashlib.sha256(b"churn %d" % i).hexdigest()
    os.makedirs(os.path.join(ldb, cid))
    for f, v in mnt0.items():
        with open(os.path.join(ldb, cid, f), "w") as out:
            out.write(cid if f == "mount-id" else v)
    d = os.path.join(R, "containers", cid)
    os.mkdir(d)
    c = dict(cfg0, ID=cid, Name="/churn%d" % i)
    for name, doc in (("config.v2.json", c), ("hostconfig.json", hc0)):
        with open(os.path.join(d, ".tmp-" + name), "w") as out:
            json.dump(doc, out)
        os.rename(os.path.join(d, ".tmp-" + name), os.path.join(d, name))
    read(cid, "layerpaths")
    read(cid, "config.json")
    live.append(cid)
    v = live[len(live) // 2]  # a new version of a live one
    p = os.path.join(R, "containers", v, "hostconfig.json")
    with open(p + ".tmp", "w") as out:
        json.dump(dict(hc0, Memory=1073741824 + 4096 * i), out)
    os.rename(p + ".tmp", p)
    read(v, "config.json")
    if len(live) > alive:
        old = live.pop(0)
        shutil.rmtree(os.path.join(R, "containers", old))
        shutil.rmtree(os.path.join(ldb, old))
    if i >= warmup and (i - warmup) % every == 0:
        print("sample %d %d %d %d" % (i, status("VmRSS"), inuse(), status("Threads")), flush=True)
