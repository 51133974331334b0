#!/bin/bash
# The BoltDB reader against an independent implementation, Debian's Go bbolt
# (golang-github-coreos-bbolt-dev, built here in GOPATH mode without network), and the network
# endpoints it feeds:
#   1. files bbolt writes (0 to 50,000 keys, nested, inline and empty buckets, binary keys,
#      values on overflow pages, a second transaction of deletes): `boltdump --flat` prints
#      exactly what bbolt reads back, and every key is found again by lookup;
#   2. while bbolt keeps committing, every snapshot we take is one transaction's state;
#   3. the BoltDB files gen-dataroot writes (its own small writer) pass bbolt's consistency
#      check and read back the same in both;
#   4. generated Windows roots: config.json (oci and windowsoci) and createoptions.json of
#      every container list exactly the endpoints computed here from bbolt's dump (Python),
#      the OCI files stay schema-valid, and a missing record or broken store is reported;
#   5. a bundlefs mount of a generated root serves a container's new HNS ID after the store
#      is rewritten (the store is one of the files' inputs);
#   6. the local-kv.db of a real private dockerd (network, container): frozen with SIGSTOP,
#      our reader of the live file, bbolt and our reader of a copy all agree.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT, VALIDATE_OCI.
set -euo pipefail
ctl=${BUNDLEFSCTL:?} gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?} validate=${VALIDATE_OCI:?}
build=$(cd "$(dirname "$ctl")/.." && pwd)
boltdump=$build/tools/boltdump
lookup=$build/tests/unit/boltdb/bolt-lookup-all
churncheck=$build/tests/unit/boltdb/bolt-churn-check
# shellcheck source=lib/dockerd.sh
source "$src/tests/integration/lib/dockerd.sh"
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"

work=$(mktemp -d /tmp/bf-boltgo-XXXXXX)
churn_pid=""
cleanup() {
    [ -z "$churn_pid" ] || kill "$churn_pid" 2>/dev/null || true
    mount_cleanup
    if [ -n "$DOCKERD_PID" ]; then
        kill -CONT "$DOCKERD_PID" 2>/dev/null || true
        dockerd_stop
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"

# ---- the Go side: Debian's bbolt, GOPATH mode, no network ----
command -v go >/dev/null || { echo "FAIL: go not installed (tools/install-deps.sh --test)"; exit 1; }
[ -d /usr/share/gocode/src/go.etcd.io/bbolt ] ||
    { echo "FAIL: golang-github-coreos-bbolt-dev not installed"; exit 1; }
bolttool=$work/bolttool
(cd "$src/tests/integration/go/bolttool" &&
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$build/go-cache GOPROXY=off \
        go build -o "$bolttool" main.go)
ok "bolttool built against Debian's go.etcd.io/bbolt"

# ---- 1. files bbolt writes ----
for n in 0 1 100 5000 50000; do
    f=$work/go$n.db
    "$bolttool" gen "$f" "$n" "$((n + 3))"
    "$bolttool" dump "$f" >"$work/go$n.want"
    if "$boltdump" --flat "$f" >"$work/go$n.got"; then
        if cmp -s "$work/go$n.want" "$work/go$n.got"; then
            ok "$n keys: boltdump = bbolt ($(wc -l <"$work/go$n.want") keys, $(stat -c %s "$f") bytes)"
        else
            bad "$n keys: boltdump differs from bbolt"
            diff "$work/go$n.want" "$work/go$n.got" | head -n 5
        fi
    else bad "$n keys: boltdump failed"; fi
    if out=$("$lookup" "$f" 2>&1); then ok "$n keys: lookups: $out"; else bad "$n keys: $out"; fi
done
keys=$(grep -c '' "$work/go50000.want")
[ "$keys" -ge 37000 ] || bad "the 50,000-key file holds only $keys keys after deletes (test setup)"
if grep -qF $'nested/d1/d2\\x2fwith\\x2fslash/d3/d4\tdeepkey00049\t' "$work/go5000.want" &&
    grep -qF $'nested/many/sub0004\t\\x03\\xff\\x00\\\\\\x09\t' "$work/go5000.want" &&
    grep -qF $'\\x00\\xfebin\t' "$work/go5000.want"; then
    ok "nested, inline and binary-named buckets are in the dump"
else bad "dump lacks nested buckets"; fi

# ---- 2. snapshots while bbolt commits ----
"$bolttool" churn "$work/churn.db" 0 >/dev/null
"$bolttool" churn "$work/churn.db" 2000 >"$work/churn.out" &
churn_pid=$!
echo "$churn_pid" >"$work/churn.pid"
if out=$("$churncheck" "$work/churn.db" "$work/churn.pid" 2>&1); then
    ok "reading while bbolt commits: $out ($(cat "$work/churn.out"))"
else bad "reading while bbolt commits: $out"; fi
wait "$churn_pid" || bad "bolttool churn failed"
churn_pid=""

# ---- 3. gen-dataroot's writer ----
R=$work/win
"$gen" --quiet --seed 5 --containers 16 "$R"
kv=$R/network/files/local-kv.db
if "$bolttool" check "$kv"; then ok "gen-dataroot's local-kv.db passes bbolt's check"; else bad "bbolt check of gen-dataroot's file"; fi
"$bolttool" dump "$kv" >"$work/kv.want"
"$boltdump" --flat "$kv" >"$work/kv.got" || bad "boltdump of gen-dataroot's file"
if cmp -s "$work/kv.want" "$work/kv.got"; then
    ok "gen-dataroot's local-kv.db: boltdump = bbolt ($(wc -l <"$work/kv.want") keys)"
else bad "gen-dataroot's local-kv.db: boltdump differs from bbolt"; fi

# boltdump's own forms: the tree, --keys, a value cut short, errors and usage.
python3 - "$work/small.db" "$src/tools/gen-dataroot" <<'EOF'
import sys
from importlib.machinery import SourceFileLoader
g = SourceFileLoader('gen_dataroot', sys.argv[2]).load_module()
open(sys.argv[1], 'wb').write(g.bolt_file({b'b': {b'k': b'v\x00\\', b'long': b'x' * 30}, b'a': {}}))
EOF
same "boltdump: tree" "# $work/small.db: page size 4096, txid 3
a/
b/
  k = v\x00\\\\
  long = xxxxxxxxxx... (30 bytes)" "$("$boltdump" --max-value=10 "$work/small.db")"
same "boltdump --keys" "# $work/small.db: page size 4096, txid 3
a/
b/
  k
  long" "$("$boltdump" --keys "$work/small.db")"
printf 'not a bolt file' >"$work/junk.db"
rc=0; out=$("$boltdump" "$work/junk.db" 2>&1) || rc=$?
same "boltdump: a broken file is exit 1 with the reason" "1 boltdump: $work/junk.db: no valid meta page (meta 0: truncated; meta 1: none found at any page size)" "$rc $out"
rc=0; "$boltdump" >/dev/null 2>&1 || rc=$?
same "boltdump: usage error is exit 2" "2" "$rc"

# ---- 4. endpoints of generated Windows containers ----
# Expected, per container, from bbolt's dump: its networks in name order, each EndpointID's
# windows-endpoint record's profileID, then the sandbox's gateway endpoint (network named nat,
# endpoint named gateway_*), AllowUnqualifiedDNSQuery when a record's Type is nat.
expect_endpoints() { # ROOT DUMP -> "<id> <endpoints json> <allow>" lines
    python3 - "$1" "$2" <<'EOF'
import json, os, re, sys
root, dump = sys.argv[1], sys.argv[2]
def unescape(s):
    return re.sub(rb'\\x([0-9a-f]{2})|\\\\', lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else b'\\', s)
rec = {}
for line in open(dump, 'rb'):
    bucket, key, val = line.rstrip(b'\n').split(b'\t')
    if bucket == b'libnetwork':
        v = unescape(val)[8:]
        rec[unescape(key).decode()] = json.loads(v) if v else None
P = 'docker/network/v1.0/'
win = {k.split('/')[-2]: v for k, v in rec.items() if k.startswith(P + 'windows-endpoint')}
for cid in sorted(os.listdir(root + '/containers')):
    cfg = json.load(open('%s/containers/%s/config.v2.json' % (root, cid)))
    ns = cfg['NetworkSettings']
    eps, allow = [], False
    for name in sorted(ns['Networks']):
        r = win.get(ns['Networks'][name]['EndpointID'])
        if r:
            eps.append(r['profileID'])
            allow = allow or r['Type'] == 'nat'
    sb = rec.get(P + 'sandbox/%s/' % ns['SandboxID']) if eps else None
    for e in (sb or {}).get('Eps', []):
        net = rec.get(P + 'network/%s/' % e['Nid'])
        ep = rec.get(P + 'endpoint/%s/%s/' % (e['Nid'], e['Eid']))
        if net and net['name'] == 'nat' and ep and ep['name'].startswith('gateway_'):
            eps.append(win[e['Eid']]['profileID'])
            break
    print(cid, json.dumps(eps, separators=(',', ':')), 'true' if allow else 'false')
EOF
}
expect_endpoints "$R" "$work/kv.want" >"$work/expect"
n_eps=0 n_multi=0 n_gw=0 n_none=0
mkdir -p "$work/oci"
while read -r id eps allow; do
    "$ctl" "$R" config "$id" >"$work/oci/$id.json"
    got=$(jq -c '[.windows.network.endpointList, (.windows.network.allowUnqualifiedDNSQuery // false)]' "$work/oci/$id.json")
    got="$got $("$ctl" --spec=windowsoci "$R" config "$id" | jq -c '.windows.networking.endpoints')"
    got="$got $("$ctl" "$R" createoptions "$id" | jq -c '[.[] | select(.type == "networkendpoints")]')"
    got="$got [$("$ctl" "$R" errors "$id")]"
    if [ "$eps" = "[]" ]; then
        n_none=$((n_none + 1))
        same "$id: no endpoints: oci, windowsoci, createoptions, error file" "[null,false] null [] []" "$got"
        continue
    fi
    n_eps=$((n_eps + 1))
    [ "$(jq length <<<"$eps")" -lt 2 ] || n_multi=$((n_multi + 1))
    jq -e --argjson a "$eps" '.NetworkSettings.Networks | length < ($a | length)' \
        "$R/containers/$id/config.v2.json" >/dev/null && n_gw=$((n_gw + 1))
    same "$id: endpoints $eps: oci (with allowUnqualifiedDNSQuery $allow), windowsoci, createoptions, no error" \
        "[$eps,$allow] $eps [{\"type\":\"networkendpoints\",\"Endpoints\":$eps,\"AllowUnqualifiedDNSQuery\":$allow}] []" "$got"
done <"$work/expect"
if [ "$n_eps" -ge 5 ] && [ "$n_multi" -ge 2 ] && [ "$n_gw" -ge 1 ] && [ "$n_none" -ge 8 ]; then
    ok "covered: $n_eps containers with endpoints ($n_multi with several, $n_gw with a gateway endpoint), $n_none without"
else bad "coverage: $n_eps with endpoints, $n_multi several, $n_gw gateway, $n_none none"; fi
if "$validate" --windows "$work/oci/"*.json >"$work/validate.log"; then
    ok "all $(ls "$work/oci" | wc -l) OCI config.json files pass validate-oci-config --windows"
else bad "validate-oci-config"; grep -v ': OK$' "$work/validate.log" | head -n 20; fi

# bench-endpoints runs and finds one record per joined endpoint (the timings are not checked).
joined=$(jq '[.NetworkSettings.Networks[] | select(.EndpointID != "")] | length' \
    "$R"/containers/*/config.v2.json | awk '{ s += $1 } END { print s }')
same "bench-endpoints: one record found per joined endpoint" "$joined" \
    "$("$build/tools/bench-endpoints" "$R" --rounds 1 | awk 'NR == 1 { print $3 }')"

# A running container whose endpoint has no record: files without endpoints, a note.
read -r id eps _ < <(awk '$2 ~ /^\["[^,]*"\]$/' "$work/expect" | head -n 1)
cp -a "$R" "$work/win2"
R2=$work/win2
net=$(jq -r '.NetworkSettings.Networks | keys[0]' "$R2/containers/$id/config.v2.json")
eid=$(printf 'f%.0s' $(seq 64))
jq -c --arg n "$net" --arg e "$eid" '.NetworkSettings.Networks[$n].EndpointID = $e' \
    "$R/containers/$id/config.v2.json" >"$R2/containers/$id/config.v2.json"
same "no record: the error file says so" \
    "container $id: network/files/local-kv.db: no endpoint record for any of its networks ($net endpoint $eid): config.json and createoptions.json list no endpoints" \
    "$("$ctl" "$R2" errors "$id")"
same "no record: config.json still made, without endpoints" "null" \
    "$("$ctl" "$R2" config "$id" | jq -c .windows.network.endpointList)"
# A record of another network than config.v2.json says: an error, not a guess.
nid=$(printf 'e%.0s' $(seq 64))
jq -c --arg n "$net" --arg i "$nid" '.NetworkSettings.Networks[$n].NetworkID = $i' \
    "$R/containers/$id/config.v2.json" >"$R2/containers/$id/config.v2.json"
real_eid=$(jq -r --arg n "$net" '.NetworkSettings.Networks[$n].EndpointID' "$R2/containers/$id/config.v2.json")
real_nid=$(jq -r --arg n "$net" '.NetworkSettings.Networks[$n].NetworkID' "$R/containers/$id/config.v2.json")
key=$(grep -o "docker/network/v1.0/windows-endpoint[a-z0-9]*/$real_eid/" "$work/kv.want")
same "record on another network: config.json fails with the reason" \
    "bundlefsctl: container $id: network/files/local-kv.db: libnetwork: $key: endpoint $real_eid is on network $real_nid, not $nid" \
    "$("$ctl" "$R2" config "$id" 2>&1 >/dev/null)"
# A truncated store: config.json and createoptions.json fail, layerpaths does not.
cp "$R/containers/$id/config.v2.json" "$R2/containers/$id/config.v2.json"
pages=$(($(stat -c %s "$kv") / 4096))
truncate -s 5000 "$R2/network/files/local-kv.db"
same "truncated store: config.json fails with the reason" \
    "bundlefsctl: container $id: network/files/local-kv.db: truncated: meta (txid 3) counts $pages pages of 4096 bytes but the file has 5000 bytes" \
    "$("$ctl" "$R2" config "$id" 2>&1 >/dev/null)"
if "$ctl" "$R2" layerpaths "$id" >/dev/null && ! "$ctl" "$R2" createoptions "$id" >/dev/null 2>&1; then
    ok "truncated store: layerpaths still made, createoptions.json not"
else bad "truncated store: wrong files failed"; fi

# ---- 5. a mount follows the store ----
read -r id eps _ < <(awk '$2 ~ /^\["[^,]*"\]$/' "$work/expect" | head -n 1)
old=$(jq -r '.[0]' <<<"$eps")
mount_start "$work/mnt" "$R"
if grep -qF "$old" "$work/mnt/$id/createoptions.json"; then
    ok "mount: $id's createoptions.json has its HNS ID"
else bad "mount: $id's createoptions.json lacks $old"; fi
# The same store with that endpoint's profileID changed, written by gen-dataroot's writer and
# renamed into place as a new file (what a commit amounts to for a reader).
python3 - "$work/kv.want" "$old" "$R/network/files/local-kv.db" "$src/tools/gen-dataroot" <<'EOF'
import os, re, sys
from importlib.machinery import SourceFileLoader
dump, old, dst, gen = sys.argv[1:5]
g = SourceFileLoader('gen_dataroot', gen).load_module()
def unescape(s):
    return re.sub(rb'\\x([0-9a-f]{2})|\\\\', lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else b'\\', s)
kv = {}
for line in open(dump, 'rb'):
    b, k, v = line.rstrip(b'\n').split(b'\t')
    kv[unescape(k)] = unescape(v).replace(old.encode(), b'BEEFBEEF-0000-0000-0000-000000000000')
open(dst + '.new', 'wb').write(g.bolt_file({b'libnetwork': kv}))
os.replace(dst + '.new', dst)
EOF
if poll_until 10 "mount: new HNS ID served" grep -qF BEEFBEEF-0000-0000-0000-000000000000 "$work/mnt/$id/createoptions.json"; then
    ok "mount: createoptions.json follows the store"
else bad "mount: createoptions.json still has the old HNS ID"; fi
same "mount: config.json follows the store" '["BEEFBEEF-0000-0000-0000-000000000000"]' \
    "$(jq -c .windows.network.endpointList "$work/mnt/$id/config.json")"
if mount_stop_clean "$work/mnt"; then ok "mount: daemon exited cleanly"; else bad "mount: daemon exit"; fi

# ---- 6. a real dockerd's local-kv.db ----
dockerd_start vfs "$work/docker"
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
dk import "$work/rootfs.tar" bf-bolt:latest >/dev/null
dk network create -d bridge bfnet >/dev/null
dk create --name bolt1 --network bfnet bf-bolt:latest /bin/busybox sleep 600 >/dev/null
dk create --name bolt2 bf-bolt:latest /bin/busybox true >/dev/null
if dk start bolt1 >/dev/null 2>"$work/start.err"; then
    ok "dockerd: a container runs on a user network (its endpoint and sandbox are in the store)"
else echo "note: runc cannot start a container here ($(head -c 200 "$work/start.err")); network records only"; fi
live=$DOCKER_ROOT/network/files/local-kv.db
"$boltdump" --flat "$live" >"$work/live-running.got" || bad "boltdump of the live store while dockerd runs"
# Reading while dockerd commits: networks created and removed in the background (each a
# transaction of libnetwork's store); every snapshot we take meanwhile must read cleanly.
(for i in 1 2 3 4 5 6; do dk network create -d bridge "bfchurn$i" >/dev/null && dk network rm "bfchurn$i" >/dev/null; done) &
netloop=$!
reads=0 failed=0
while kill -0 "$netloop" 2>/dev/null; do
    if "$boltdump" --keys "$live" >"$work/during.got" 2>&1; then reads=$((reads + 1)); else
        failed=$((failed + 1)); head -n 2 "$work/during.got"; fi
done
wait "$netloop" || bad "dockerd: network create/rm loop failed"
if [ "$failed" -eq 0 ] && [ "$reads" -ge 1 ]; then
    ok "dockerd store: $reads reads while dockerd committed, all clean"
else bad "dockerd store: $failed of $((reads + failed)) reads failed while dockerd committed"; fi
kill -STOP "$DOCKERD_PID"
cp "$live" "$work/frozen.db"
"$boltdump" --flat "$live" >"$work/live.got" || bad "boltdump of the live (frozen) store"
kill -CONT "$DOCKERD_PID"
"$bolttool" dump "$work/frozen.db" >"$work/frozen.want"
"$boltdump" --flat "$work/frozen.db" >"$work/frozen.got"
same "dockerd store (frozen): our reader of the live file = bbolt of a copy" \
    "$(cat "$work/frozen.want")" "$(cat "$work/live.got")"
same "dockerd store (frozen): our reader of the copy = bbolt" \
    "$(cat "$work/frozen.want")" "$(cat "$work/frozen.got")"
if grep -q $'^libnetwork\tdocker/network/v1.0/network/' "$work/frozen.want" &&
    grep -q $'^libnetwork\tdocker/network/v1.0/bridge/' "$work/frozen.want"; then
    ok "dockerd store: libnetwork's network records ($(wc -l <"$work/frozen.want") keys)"
else bad "dockerd store lacks network records"; fi
# Every value is libkv's frame: an 8-byte index, then JSON (or nothing).
if python3 - "$work/frozen.want" <<'EOF'
import json, re, sys
for line in open(sys.argv[1], 'rb'):
    b, k, v = line.rstrip(b'\n').split(b'\t')
    v = re.sub(rb'\\x([0-9a-f]{2})|\\\\', lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else b'\\', v)
    assert len(v) >= 8, k
    if len(v) > 8:
        json.loads(v[8:])
EOF
then ok "dockerd store: every value is an 8-byte index then JSON"; else bad "dockerd store: value framing"; fi
dockerd_stop
"$bolttool" dump "$live" >"$work/final.want"
"$boltdump" --flat "$live" >"$work/final.got"
same "dockerd store after the daemon stopped: boltdump = bbolt" \
    "$(cat "$work/final.want")" "$(cat "$work/final.got")"
# What we read while the daemon ran: every key is one bbolt sees at the frozen moment or after.
missing=$(cut -f1,2 "$work/live-running.got" | sort -u |
    comm -23 - <(cat "$work/frozen.want" "$work/final.want" | cut -f1,2 | sort -u) | head -n 3)
same "dockerd store while running: every key we listed is one Docker's store holds" "" "$missing"

echo "boltdb-gocompat: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
