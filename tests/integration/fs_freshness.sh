#!/bin/bash
# bundlefs stays live: containers created, modified (hostconfig), started (config.v2.json's
# HasBeenStartedBefore), renamed and removed in the data-root while mounted show up without a
# remount, each within a generous bound (the observed delay is printed; time is never
# asserted); a changed file gets a new inode, the new size and the new mtime; a reader holding
# the file open keeps reading the old version completely (1-byte reads with sleeps while the
# file changes); the daemon survives the data-root being moved away and back.
# Data-root edits are made the way Docker makes them: a temp file renamed over the old one.
# Env (from meson): BUNDLEFS, BUNDLEFSCTL, GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
BUNDLEFS=${BUNDLEFS:?} BUNDLEFSCTL=${BUNDLEFSCTL:?}
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
# shellcheck source=lib/mount.sh
source "$src/tests/integration/lib/mount.sh"
work=$(mktemp -d /tmp/bf-fsfresh-XXXXXX)
cleanup() {
    mount_cleanup
    [ -n "${reader:-}" ] && kill "$reader" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/check.sh
source "${SOURCE_ROOT:?}/tests/integration/lib/check.sh"
BOUND=10 # seconds; the contract says about 1 s

R=$work/root
"$gen" --quiet --seed 21 --containers 6 --images 2 --layers 2-4 "$R"
ldb=$R/image/windowsfilter/layerdb
mapfile -t ids < <("$BUNDLEFSCTL" "$R" containers | cut -f1)
# ids[2] was never started (step 3 starts it)
jq -c '.HasBeenStartedBefore = false | .State.Running = false | .State.Pid = 0' "$R/containers/${ids[2]}/config.v2.json" >"$work/c2"
cat "$work/c2" >"$R/containers/${ids[2]}/config.v2.json"
M=$work/mnt
mount_start "$M" "$R"

# Atomic JSON edit: jq FILTER FILE (temp file in the same folder, renamed over FILE).
jq_edit() {
    jq -c "$1" "$2" >"$2.tmp"
    mv "$2.tmp" "$2"
}
# The mount serves exactly what bundlefsctl prints now: served PATH CMD ID
served() { cmp -s <("$BUNDLEFSCTL" "$R" "$2" "$3" 2>/dev/null) "$1" 2>/dev/null; }
listed() { ls "$M" 2>/dev/null | grep -xF "$1" >/dev/null; }
not_listed() { ! ls "$M" 2>/dev/null | grep -xF "$1" >/dev/null && [ ! -e "$M/$1" ]; }
name_of() { jq -r '.Name | ltrimstr("/")' "$R/containers/$1/config.v2.json"; }

# 1. Create: a copy of ids[0] under a new ID and name, staged outside containers/ and moved
#    in at once (its layerdb/mounts entry first), as Docker's create ends with the folder.
new=$(printf 'bundlefs fresh' | sha256sum | cut -c1-64)
cp -a "$ldb/mounts/${ids[0]}" "$ldb/mounts/$new"
printf '%s' "$new" >"$ldb/mounts/$new/mount-id"
cp -a "$R/containers/${ids[0]}" "$work/stage"
jq -c --arg id "$new" '.ID = $id | .Name = "/fresh_copy"' "$R/containers/${ids[0]}/config.v2.json" >"$work/stage/config.v2.json"
[ -e "$M/$new" ] && bad "create: $new exists before it is created"
mv "$work/stage" "$R/containers/$new"
if poll_until $BOUND "create: new container listed" listed "$new"; then ok "create: listed"; else bad "create: $new not listed"; fi
if poll_until $BOUND "create: config.json served" served "$M/$new/config.json" config "$new"; then ok "create: config.json"; else bad "create: config.json"; fi
same "create: by-name/fresh_copy" "../$new" "$(readlink "$M/by-name/fresh_copy" 2>&1)"
same "create: layerpaths" "$("$BUNDLEFSCTL" "$R" layerpaths "$new")" "$(cat "$M/by-name/fresh_copy/layerpaths" 2>&1)"

# 1b. Create the way Docker writes it, file by file: the folder, config.v2.json through its
#     .tmp- file renamed into place, then hostconfig.json the same way. While hostconfig.json's
#     temp file is there (an atomic write in progress) the folder is no container: not listed,
#     ENOENT; once renamed it is one. (The temp file keeps this from depending on timing.)
new2=$(printf 'bundlefs file by file' | sha256sum | cut -c1-64)
cp -a "$ldb/mounts/${ids[0]}" "$ldb/mounts/$new2"
printf '%s' "$new2" >"$ldb/mounts/$new2/mount-id"
d=$R/containers/$new2
mkdir "$d"
jq -c --arg id "$new2" '.ID = $id | .Name = "/file_by_file"' "$R/containers/${ids[0]}/config.v2.json" >"$d/.tmp-config.v2.json1234"
mv "$d/.tmp-config.v2.json1234" "$d/config.v2.json"
cp "$R/containers/${ids[0]}/hostconfig.json" "$d/.tmp-hostconfig.json5678"
lookup_errno() { python3 -c 'import os,sys,errno
try: os.lstat(sys.argv[1]); print("exists")
except OSError as e: print(errno.errorcode[e.errno])' "$1"; }
if listed "$new2"; then bad "create file by file: listed while hostconfig.json is being written"; else ok "create file by file: not listed while being written"; fi
same "create file by file: lookup while being written" "ENOENT" "$(lookup_errno "$M/$new2")"
same "create file by file: by-name while being written" "ENOENT" "$(lookup_errno "$M/by-name/file_by_file")"
mv "$d/.tmp-hostconfig.json5678" "$d/hostconfig.json"
if poll_until $BOUND "create file by file: listed" listed "$new2"; then ok "create file by file: listed"; else bad "create file by file: $new2 not listed"; fi
if poll_until $BOUND "create file by file: config.json served" served "$M/$new2/config.json" config "$new2"; then ok "create file by file: config.json"; else bad "create file by file: config.json"; fi
# A copy that lost hostconfig.json: once its folder is still for the trust period, an empty
# HostConfig (readHostConfig), served as bundlefsctl prints it.
rm "$d/hostconfig.json"
if poll_until $BOUND "no hostconfig.json: config.json served" served "$M/$new2/config.json" config "$new2"; then ok "no hostconfig.json: served with an empty HostConfig"; else bad "no hostconfig.json: $(cat "$M/$new2/error" 2>&1)"; fi
[ "$(jq -r .windows.network.networkNamespace "$M/$new2/config.json" 2>&1)" != "" ] || true
rm -rf "$d" "$ldb/mounts/$new2"

# 2. Modify hostconfig.json of ids[1] (memory limit and CPU count): config.json changes; new
#    inode, new size, mtime = the hostconfig's.
c=${ids[1]}
old_ino=$(stat -c %i "$M/$c/config.json")
old_bytes=$(cat "$M/$c/config.json")
jq_edit '.Memory = 3221225472 | .CpuCount = 3' "$R/containers/$c/hostconfig.json"
[ "$("$BUNDLEFSCTL" "$R" config "$c")" != "$old_bytes" ] || bad "modify: bundlefsctl output did not change (test setup)"
if poll_until $BOUND "modify hostconfig: config.json changed" served "$M/$c/config.json" config "$c"; then ok "modify: config.json"; else bad "modify: config.json"; fi
new_ino=$(stat -c %i "$M/$c/config.json")
[ "$new_ino" != "$old_ino" ] && ok "modify: new inode ($old_ino -> $new_ino)" || bad "modify: same inode $old_ino"
same "modify: st_size" "$("$BUNDLEFSCTL" "$R" config "$c" | wc -c)" "$(stat -c %s "$M/$c/config.json")"
same "modify: st_mtime = hostconfig.json's" "$(stat -c %Y "$R/containers/$c/hostconfig.json")" "$(stat -c %Y "$M/$c/config.json")"

# 3. Start: HasBeenStartedBefore false -> true changes createoptions.json (flush option).
c=${ids[2]} # set up (before mounting) as never started
if [ "$(jq .HasBeenStartedBefore "$R/containers/$c/config.v2.json")" != false ]; then bad "start: $c was started before (test setup)"; else
    before=$(cat "$M/$c/createoptions.json")
    jq_edit '.HasBeenStartedBefore = true | .State.Running = true | .State.Pid = 999' "$R/containers/$c/config.v2.json"
    [ "$("$BUNDLEFSCTL" "$R" createoptions "$c")" != "$before" ] || bad "start: bundlefsctl output did not change (test setup)"
    if poll_until $BOUND "start: createoptions.json changed" served "$M/$c/createoptions.json" createoptions "$c"; then ok "start: createoptions.json"; else bad "start: createoptions.json"; fi
fi

# 4. Rename ids[3].
c=${ids[3]}
oldname=$(name_of "$c")
jq_edit '.Name = "/renamed_one"' "$R/containers/$c/config.v2.json"
renamed() { [ "$(readlink "$M/by-name/renamed_one" 2>/dev/null)" = "../$c" ] && [ ! -L "$M/by-name/$oldname" ]; }
if poll_until $BOUND "rename: by-name follows" renamed; then ok "rename: by-name/renamed_one, $oldname gone"; else
    bad "rename: by-name: $(ls "$M/by-name" | tr '\n' ' ')"; fi

# 5. Remove ids[4] (folder and layerdb mount entry, as docker rm does).
c=${ids[4]}
oldname=$(name_of "$c")
rm -rf "$R/containers/$c" "$ldb/mounts/$c"
gone() { not_listed "$c" && [ ! -L "$M/by-name/$oldname" ]; }
if poll_until $BOUND "remove: container gone" gone; then ok "remove: not listed, no by-name link"; else bad "remove: $c still there"; fi
same "remove: lookup" "ENOENT" "$(python3 -c 'import os,sys,errno
try: os.lstat(sys.argv[1]); print("exists")
except OSError as e: print(errno.errorcode[e.errno])' "$M/$c")"

# 5b. Remove the way Docker 20.10 does: config.v2.json written with State.Dead, the read-write
#     layer released (its layerdb/mounts entry), then the folder file by file. From the Dead
#     write on it is no container (ENOENT, not listed); no read along the way is EIO.
c=${ids[0]}
name0=$(name_of "$c")
cat "$M/$c/config.json" >/dev/null
read_errno() { python3 -c 'import errno,sys
try: open(sys.argv[1], "rb").read(); print("ok")
except OSError as e: print(errno.errorcode[e.errno])' "$1"; }
eio=0
jq_edit '.State.Dead = true | .State.Running = false' "$R/containers/$c/config.v2.json"
dead_gone() { not_listed "$c" && [ ! -L "$M/by-name/$name0" ]; }
if poll_until $BOUND "remove (Docker's order): Dead is no container" dead_gone; then ok "remove: Dead: not listed, no by-name link"; else bad "remove: Dead $c still listed"; fi
same "remove: Dead: lookup" "ENOENT" "$(lookup_errno "$M/$c")"
for f in "$ldb/mounts/$c/mount-id" "$ldb/mounts/$c/parent" "$ldb/mounts/$c" ; do
    rm -rf "$f"
    [ "$(read_errno "$M/$c/config.json")" = EIO ] && eio=$((eio + 1))
done
for f in hostconfig.json config.v2.json resolv.conf hostname hosts; do
    rm -f "$R/containers/$c/$f"
    [ "$(read_errno "$M/$c/config.json")" = EIO ] && eio=$((eio + 1))
done
rm -rf "$R/containers/$c"
same "remove (Docker's order): reads that gave EIO" 0 "$eio"

# 5c. A folder replaced by a rename: containers/X moved away (kept there) and copied back,
#     then an atomic rewrite of the copy's config.v2.json. The old watch follows the moved
#     folder; the mount must follow the path (the move events drop the stale watch). Then
#     containers/ itself swapped the same way.
c=${ids[1]}
cat "$M/$c/config.json" >/dev/null
mv "$R/containers/$c" "$R/containers/$c.old"
cp -a "$R/containers/$c.old" "$R/containers/$c"
cat "$M/$c/config.json" >/dev/null 2>&1 || true
sleep 0.2
jq_edit '.Config.Env += ["RENAMED=1"]' "$R/containers/$c/config.v2.json"
if poll_until $BOUND "renamed folder: the copy's change is served" served "$M/$c/config.json" config "$c"; then ok "renamed folder: watched again"; else bad "renamed folder: the old bytes stay"; fi
jq_edit '.Memory = 1879048192' "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "renamed folder: a second change" served "$M/$c/config.json" config "$c"; then ok "renamed folder: a second change"; else bad "renamed folder: second change not served"; fi
rm -rf "$R/containers/$c.old"
tmp3=$(printf 'bundlefs swap' | sha256sum | cut -c1-64)
cp -a "$ldb/mounts/$c" "$ldb/mounts/$tmp3"
printf '%s' "$tmp3" >"$ldb/mounts/$tmp3/mount-id"
cp -a "$R/containers/$c" "$work/stage3"
jq -c --arg id "$tmp3" '.ID = $id | .Name = "/swapped_away"' "$R/containers/$c/config.v2.json" >"$work/stage3/config.v2.json"
mv "$work/stage3" "$R/containers/$tmp3"
poll_until $BOUND "swap: a container to remove is listed" listed "$tmp3" >/dev/null || bad "swap: setup: $tmp3 not listed"
cat "$M/$tmp3/config.json" "$M/$c/config.json" >/dev/null
mv "$R/containers" "$R/containers.old"
cp -a "$R/containers.old" "$R/containers"
rm -rf "$R/containers/$tmp3" "$ldb/mounts/$tmp3"
if poll_until $BOUND "swapped containers/: the removed one is gone" not_listed "$tmp3"; then ok "swapped containers/: removal seen"; else bad "swapped containers/: $tmp3 still listed"; fi
sleep 0.2
jq_edit '.Config.Env += ["SWAPPED=1"]' "$R/containers/$c/config.v2.json"
if poll_until $BOUND "swapped containers/: a change in the new folder" served "$M/$c/config.json" config "$c"; then ok "swapped containers/: watched again"; else bad "swapped containers/: change not served"; fi
rm -rf "$R/containers.old"

# 6. One snapshot per open: a reader opens ids[5]'s config.json, reads one byte, then (once
#    the new version is served to new opens) reads the rest one byte at a time with sleeps,
#    dropping the page cache every 64 bytes so the reads reach the daemon again.
c=${ids[5]}
"$BUNDLEFSCTL" "$R" config "$c" >"$work/old.json"
python3 - "$M/$c/config.json" "$work" >"$work/reader.log" 2>&1 <<'EOF' &
import os, sys, time
path, work = sys.argv[1:3]
fd = os.open(path, os.O_RDONLY)
size0 = os.fstat(fd).st_size
data = bytearray(os.read(fd, 1))
open(os.path.join(work, "ready"), "w").close()
deadline = time.time() + 30
while not os.path.exists(os.path.join(work, "go")) and time.time() < deadline:
    time.sleep(0.02)
n = 0
while True:
    b = os.read(fd, 1)
    if not b:
        break
    data += b
    n += 1
    if n % 64 == 0:
        # drop the cached pages: the next read must come from the daemon's handle again
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        time.sleep(0.002)
    if n == 100:
        # mid-read, the data-root changes once more
        open(os.path.join(work, "mid"), "w").close()
        t = time.time()
        while not os.path.exists(os.path.join(work, "mid-done")) and time.time() < t + 30:
            time.sleep(0.02)
os.close(fd)
open(os.path.join(work, "got.json"), "wb").write(data)
print("size at open %d, read %d bytes" % (size0, len(data)))
EOF
reader=$!
wait_file() { [ -e "$1" ]; }
poll_until $BOUND "snapshot: reader opened" wait_file "$work/ready" >/dev/null || bad "snapshot: reader did not start"
jq_edit '.Memory = 2147483648 | .DnsSearch = ["a.example", "b.example"]' "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "snapshot: new opens see the new version" served "$M/$c/config.json" config "$c"; then ok "snapshot: new version served"; else bad "snapshot: new version not served"; fi
touch "$work/go"
poll_until $BOUND "snapshot: reader mid-way" wait_file "$work/mid" >/dev/null || bad "snapshot: reader did not reach byte 100"
jq_edit '.Memory = 1073741824 | .CpuCount = 4' "$R/containers/$c/hostconfig.json"
poll_until $BOUND "snapshot: third version served" served "$M/$c/config.json" config "$c" || bad "snapshot: third version not served"
touch "$work/mid-done"
wait "$reader" || bad "snapshot: reader failed: $(cat "$work/reader.log")"
reader=""
if cmp -s "$work/old.json" "$work/got.json"; then ok "snapshot: the open file gave exactly the old version ($(cat "$work/reader.log"))"; else
    bad "snapshot: the open file is not the old version ($(cat "$work/reader.log"))"
    diff <(cat "$work/old.json") <(cat "$work/got.json") | head -n 10
fi
same "snapshot: a new open gives the newest version" "$("$BUNDLEFSCTL" "$R" config "$c")" "$(cat "$M/$c/config.json")"

# 7. An input touched without a change of bytes: same inode, only st_mtime moves.
c=${ids[1]}
ino=$(stat -c %i "$M/$c/config.json")
t=$(($(date +%s) + 100))
touch -d "@$t" "$R/containers/$c/hostconfig.json"
mtime_is() { [ "$(stat -c %Y "$1")" = "$2" ]; }
if poll_until $BOUND "touch: st_mtime follows" mtime_is "$M/$c/config.json" "$t"; then ok "touch: st_mtime = the touched input's"; else bad "touch: st_mtime $(stat -c %Y "$M/$c/config.json"), want $t"; fi
same "touch: same bytes keep the inode" "$ino" "$(stat -c %i "$M/$c/config.json")"

# 8. The data-root moved away (the root is empty meanwhile, the daemon lives on) and back.
all_served() {
    local id
    for id in $("$BUNDLEFSCTL" "$R" containers | cut -f1); do
        served "$M/$id/config.json" config "$id" && served "$M/$id/layerpaths" layerpaths "$id" || return 1
    done
    [ "$(ls "$M" | sort)" = "$( (echo by-name; "$BUNDLEFSCTL" "$R" containers | cut -f1) | sort)" ]
}
empty_root() { [ "$(ls "$M" 2>/dev/null)" = by-name ] && [ -z "$(ls "$M/by-name" 2>/dev/null)" ]; }
mv "$R" "$work/away"
if poll_until $BOUND "data-root away: the root is empty" empty_root; then ok "data-root away: empty root"; else bad "data-root away: root lists $(ls "$M" 2>&1 | tr '\n' ' ')"; fi
kill -0 "$MOUNT_PID" 2>/dev/null && ok "data-root away: daemon alive" || bad "data-root away: daemon died"
mv "$work/away" "$R"
if poll_until $BOUND "data-root back: every container served" all_served; then ok "data-root back"; else bad "data-root back: not served"; fi
# a change after the round trip is still noticed
jq_edit '.Memory = 4294967296' "$R/containers/${ids[1]}/hostconfig.json"
if poll_until $BOUND "after the round trip: change noticed" served "$M/${ids[1]}/config.json" config "${ids[1]}"; then ok "live after the round trip"; else bad "not live after the round trip"; fi

# 9. The data-root replaced by another one (another folder renamed to DATAROOT).
"$gen" --quiet --seed 22 --containers 4 --images 2 --layers 2-3 "$work/other"
mv "$R" "$work/old-root"
mv "$work/other" "$R"
if poll_until $BOUND "data-root replaced: the new one served" all_served; then ok "data-root replaced: new containers served"; else
    bad "data-root replaced: root lists $(ls "$M" 2>&1 | tr '\n' ' ')"; fi
c=$("$BUNDLEFSCTL" "$R" containers | head -n 1 | cut -f1)
jq_edit '.Memory = 2147483648 | .CpuCount = 2' "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "replaced root: change noticed" served "$M/$c/config.json" config "$c"; then ok "replaced root is live"; else bad "replaced root: change not noticed"; fi

kill -0 "$MOUNT_PID" 2>/dev/null && ok "daemon alive at the end" || bad "daemon died"
if mount_stop_clean "$M"; then ok "daemon exited cleanly"; else bad "daemon exit"; fi

# 10. The page cache serves repeated opens of one version (keep_cache, no direct_io): the
#     daemon's -d log shows one READ for three cats; a new version (new inode) is read anew.
M=$work/mnt-d
mount_start "$M" "$R" -d
c=$("$BUNDLEFSCTL" "$R" containers | head -n 1 | cut -f1)
reads() { grep -c "opcode: READ (15), nodeid: $1," "$M.log" || true; }
ino=$(stat -c %i "$M/$c/config.json")
for i in 1 2 3; do cat "$M/$c/config.json" >/dev/null; done
same "page cache: READs reaching the daemon for 3 cats of one version" 1 "$(reads "$ino")"
jq_edit '.Memory = 1073741824 | .CpuCount = 1' "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "page cache: new version served" served "$M/$c/config.json" config "$c"; then ok "page cache: new version served"; else bad "page cache: new version not served"; fi
ino2=$(stat -c %i "$M/$c/config.json")
for i in 1 2 3; do cat "$M/$c/config.json" >/dev/null; done
[ "$ino2" != "$ino" ] && ok "page cache: new inode" || bad "page cache: same inode $ino"
same "page cache: READs for the new version" 1 "$(reads "$ino2")"
if mount_stop_clean "$M"; then ok "daemon (-d) exited cleanly"; else bad "daemon (-d) exit"; fi
# 11. What the kernel caches, and how it learns of changes (the daemon's -d log counts the
#     requests that reach it). Warm, with the watcher: a second `find`+`cat` of every file,
#     past the 1 s timeout, reaches the daemon with nothing at all (zero-message opens of
#     files and folders, kept entries, attributes, listings and links); the watcher drops
#     what changed: a container's listing when a file appears or goes, its folder's mtime,
#     the root's listing when a container comes, by-name's on a rename. With -o daemon_open
#     every open reaches the daemon again.
M=$work/mnt-k
mount_start "$M" "$R" -d
scan() {
    find "$M"/ -maxdepth 2 -path "$M/by-name" -prune -o -type f -exec cat {} + -o -type l -exec readlink {} + >/dev/null
}
# (find's statfs is never cached by the kernel: not counted)
ops_since() { tail -n +"$1" "$M.log" | grep -o "opcode: [A-Z_]*" | grep -v STATFS | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }
scan
sleep 1.5 # past the short timeout: only what the watcher invalidates is still kept
n0=$(wc -l <"$M.log")
scan
same "kernel cache: requests for a warm find+cat of every file" "" "$(ops_since "$n0")"
# dockerd appending a line to a container's json-file log (and rotating it) every moment the
# container prints: nothing the kernel keeps is dropped, the next warm scan asks nothing
mapfile -t live < <("$BUNDLEFSCTL" "$R" containers | cut -f1 | head -n 3)
for c in "${live[@]}"; do
    for i in 1 2 3; do echo '{"log":"line\n","stream":"stdout","time":"2026-12-02T00:00:00Z"}' >>"$R/containers/$c/$c-json.log"; done
done
mv "$R/containers/${live[0]}/${live[0]}-json.log" "$R/containers/${live[0]}/${live[0]}-json.log.1"
sleep 0.5 # the watcher has read the events by then
n0=$(wc -l <"$M.log")
scan
same "kernel cache: a warm scan after json-file log writes and a rotation" "" "$(ops_since "$n0")"
c=$("$BUNDLEFSCTL" "$R" containers | head -n 1 | cut -f1)
has_error() { ls "$M/$c" | grep -qx error; }
no_error() { ! has_error; }
has_error && bad "kernel cache: $c has an error file (test setup)"
cp "$R/containers/$c/hostconfig.json" "$work/hc.good"
jq_edit '.Isolation = 5' "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "kernel cache: listing shows the new error file" has_error; then ok "kernel cache: the listing follows a file that appears"; else bad "kernel cache: ls $c: $(ls "$M/$c" | tr '\n' ' ')"; fi
cp "$work/hc.good" "$R/containers/$c/hostconfig.json.tmp" && mv "$R/containers/$c/hostconfig.json.tmp" "$R/containers/$c/hostconfig.json"
if poll_until $BOUND "kernel cache: the error file goes" no_error; then ok "kernel cache: the listing follows a file that goes"; else bad "kernel cache: ls $c: $(ls "$M/$c" | tr '\n' ' ')"; fi
stat -c %Y "$M/$c" >/dev/null
t=$(( $(date +%s) - 86400 * 3 ))
touch -d "@$t" "$R/containers/$c/config.v2.json"
if poll_until $BOUND "kernel cache: the folder's mtime follows" mtime_is "$M/$c" "$t"; then ok "kernel cache: folder attributes follow config.v2.json"; else bad "kernel cache: folder mtime $(stat -c %Y "$M/$c"), want $t"; fi
ls "$M" >/dev/null
new2=$(printf 'bundlefs kernel cache' | sha256sum | cut -c1-64)
cp -a "$ldb/mounts/$c" "$ldb/mounts/$new2"
printf '%s' "$new2" >"$ldb/mounts/$new2/mount-id"
cp -a "$R/containers/$c" "$work/stage2"
jq -c --arg id "$new2" '.ID = $id | .Name = "/kernel_cache_new"' "$work/stage2/config.v2.json" >"$work/stage2/config.v2.json.tmp"
mv "$work/stage2/config.v2.json.tmp" "$work/stage2/config.v2.json"
ls "$M/by-name" >/dev/null
mv "$work/stage2" "$R/containers/$new2"
if poll_until $BOUND "kernel cache: the root lists the new container" listed "$new2"; then ok "kernel cache: the root's listing follows"; else bad "kernel cache: $new2 not listed"; fi
byname_has() { ls "$M/by-name" | grep -qx kernel_cache_new; }
if poll_until $BOUND "kernel cache: by-name lists the new name" byname_has; then ok "kernel cache: by-name's listing follows"; else bad "kernel cache: by-name: $(ls "$M/by-name" | tr '\n' ' ')"; fi
# by-name's entries are kept as long (every name watched): a warm readlink of every link, past
# the short timeout, reaches the daemon with nothing; each entry is dropped by name when its
# container changes, so a rename and a removal are seen through entries the kernel holds.
links() { find "$M/by-name" -type l -exec readlink {} + >/dev/null; }
# kernel_cache_new's folder is new: its settle period (1 s) and the sweep after it pass first,
# so that nothing the daemon still had to look at is left for the measured pass
sleep 1.5
n1=$(wc -l <"$M.log")
links
sleep 1.5
n0=$(wc -l <"$M.log")
links
got=$(ops_since "$n0" || true)
same "kernel cache: requests for a warm readlink of every by-name link" "" "$got"
if [ -n "$got" ]; then # those requests, and what the daemon sent the kernel since the pass before
    tail -n +"$n1" "$M.log" | grep -E "NOTIFY" | tail -n 8 | sed 's/^/    notify: /'
    tail -n +"$n0" "$M.log" | grep -E "opcode" | head -n 8 | sed 's/^/    request: /'
fi
same "kernel cache: by-name/kernel_cache_new (held by the kernel)" "../$new2" "$(readlink "$M/by-name/kernel_cache_new")"
jq_edit '.Name = "/kernel_cache_renamed"' "$R/containers/$new2/config.v2.json"
renamed2() { [ ! -L "$M/by-name/kernel_cache_new" ] && [ "$(readlink "$M/by-name/kernel_cache_renamed" 2>/dev/null)" = "../$new2" ]; }
if poll_until $BOUND "kernel cache: a rename drops the kept entry" renamed2; then ok "kernel cache: by-name follows a rename through a kept entry"; else bad "kernel cache: by-name after a rename: $(ls "$M/by-name" | tr '\n' ' ')"; fi
rm -rf "$R/containers/$new2" # file by file, then the folder
removed2() { [ ! -L "$M/by-name/kernel_cache_renamed" ]; }
if poll_until $BOUND "kernel cache: a removal drops the kept entry" removed2; then ok "kernel cache: by-name follows a removal through a kept entry"; else bad "kernel cache: by-name after a removal: $(ls "$M/by-name" | tr '\n' ' ')"; fi
# A smaller ID's folder made first and filled afterwards, file by file (Docker's create), with
# a name the kernel keeps for another container (a duplicate: the smallest ID keeps it): the
# kept entry is dropped once the folder says so, though nothing listed the folder meanwhile.
nc=$(name_of "$c")
small=000000$(printf 'bundlefs duplicate' | sha256sum | cut -c1-58)
readlink "$M/by-name/$nc" >/dev/null
sleep 1.2
readlink "$M/by-name/$nc" >/dev/null # past the short timeout: given the long one
same "kernel cache: by-name/$nc before the duplicate" "../$c" "$(readlink "$M/by-name/$nc")"
cp -a "$ldb/mounts/$c" "$ldb/mounts/$small"
printf '%s' "$small" >"$ldb/mounts/$small/mount-id"
d=$R/containers/$small
mkdir "$d"
sleep 0.5 # the watcher sees the empty folder before its files
jq -c --arg id "$small" '.ID = $id' "$R/containers/$c/config.v2.json" >"$d/.tmp-config.v2.json1"
mv "$d/.tmp-config.v2.json1" "$d/config.v2.json"
cp "$R/containers/$c/hostconfig.json" "$d/.tmp-hostconfig.json2"
mv "$d/.tmp-hostconfig.json2" "$d/hostconfig.json"
dup_small() { [ "$(readlink "$M/by-name/$nc" 2>/dev/null)" = "../$small" ]; }
if poll_until $BOUND "kernel cache: a smaller ID filled in later takes a kept name" dup_small; then ok "kernel cache: by-name follows a duplicate filled in later"; else bad "kernel cache: by-name/$nc -> $(readlink "$M/by-name/$nc")"; fi
rm -rf "$d" "$ldb/mounts/$small"
dup_gone() { [ "$(readlink "$M/by-name/$nc" 2>/dev/null)" = "../$c" ]; }
if poll_until $BOUND "kernel cache: the duplicate removed" dup_gone; then ok "kernel cache: by-name goes back after the duplicate"; else bad "kernel cache: by-name/$nc -> $(readlink "$M/by-name/$nc")"; fi
# The same duplicate left without hostconfig.json (a create cut short): no container while it
# is being written, one once it has settled (the trust period), which no event tells; the
# entry kept for the larger ID meanwhile is dropped then.
mkdir "$d"
jq -c --arg id "$small" '.ID = $id' "$R/containers/$c/config.v2.json" >"$d/.tmp-config.v2.json1"
mv "$d/.tmp-config.v2.json1" "$d/config.v2.json"
sleep 0.3
readlink "$M/by-name/$nc" >/dev/null
sleep 0.3
same "kernel cache: by-name/$nc while the duplicate is written" "../$c" "$(readlink "$M/by-name/$nc")"
if poll_until $BOUND "kernel cache: a settled duplicate takes a kept name" dup_small; then ok "kernel cache: by-name follows a duplicate that settles"; else bad "kernel cache: by-name/$nc -> $(readlink "$M/by-name/$nc")"; fi
rm -rf "$d"
if poll_until $BOUND "kernel cache: the settled duplicate removed" dup_gone; then ok "kernel cache: by-name goes back after the settled duplicate"; else bad "kernel cache: by-name/$nc -> $(readlink "$M/by-name/$nc")"; fi
if mount_stop_clean "$M"; then ok "daemon (kernel cache) exited cleanly"; else bad "daemon (kernel cache) exit"; fi

M=$work/mnt-o
mount_start "$M" "$R" -d -o daemon_open
scan
n0=$(wc -l <"$M.log")
scan
opens=$(tail -n +"$n0" "$M.log" | grep -c "opcode: OPEN (14)" || true)
[ "$opens" -gt 0 ] && ok "daemon_open: every open reaches the daemon ($opens)" || bad "daemon_open: no OPEN reached the daemon"
if mount_stop_clean "$M"; then ok "daemon (daemon_open) exited cleanly"; else bad "daemon (daemon_open) exit"; fi
# 12. The pusher (fs/push.h): the first READ of a container's file stores the container's
#     other listed files into the kernel's page cache before it is answered, so a walk that
#     reads every file sends fewer READs than it reads files, and reads the bytes bundlefsctl
#     prints; a walk that reads one file of each container stores nothing else (fincore counts
#     a file's pages in the page cache without reading them).
R2=$work/root-push
"$gen" --quiet --seed 22 --containers 40 --images 3 --layers 2-4 "$R2"
mapfile -t pids < <("$BUNDLEFSCTL" "$R2" containers | cut -f1)
pages() { fincore -n -b -o RES "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
M=$work/mnt-p
mount_start "$M" "$R2" -d
for c in "${pids[@]}"; do ls -l "$M/$c" >/dev/null; cat "$M/$c/config.json" >/dev/null; done
others=()
for c in "${pids[@]}"; do others+=("$M/$c/createoptions.json" "$M/$c/layerpaths"); done
same "pusher: pages of the files not read, one file of each container read" 0 "$(pages "${others[@]}")"
if mount_stop_clean "$M"; then ok "daemon (pusher, one file each) exited cleanly"; else bad "daemon (pusher, one file each) exit"; fi
mount_start "$M" "$R2" -d
files=0 wrong=()
for c in "${pids[@]}"; do
    ls "$M/$c" >/dev/null
    for f in config:config.json createoptions:createoptions.json layerpaths:layerpaths; do
        files=$((files + 1))
        cmp -s <("$BUNDLEFSCTL" "$R2" "${f%%:*}" "$c" 2>/dev/null) "$M/$c/${f#*:}" || wrong+=("$c/${f#*:}")
    done
done
same "pusher: every file read has bundlefsctl's bytes" "" "${wrong[*]}"
reads=$(grep -c "opcode: READ (15)" "$M.log" || true)
echo "pusher: $reads READs reached the daemon for $files files of ${#pids[@]} containers"
[ "$reads" -lt "$files" ] && ok "pusher: fewer READs than files read ($reads < $files)" || bad "pusher: $reads READs for $files files"
if mount_stop_clean "$M"; then ok "daemon (pusher, every file) exited cleanly"; else bad "daemon (pusher, every file) exit"; fi
M=$work/mnt-n
mount_start "$M" "$R2" -d -o nopush
for c in "${pids[@]}"; do ls "$M/$c" >/dev/null; cat "$M/$c/config.json" "$M/$c/createoptions.json" "$M/$c/layerpaths" >/dev/null; done
same "nopush: one READ per file" "$files" "$(grep -c "opcode: READ (15)" "$M.log" || true)"
if mount_stop_clean "$M"; then ok "daemon (nopush) exited cleanly"; else bad "daemon (nopush) exit"; fi
# SIGTERM in the middle of cold walks (the pusher and readahead busy): the daemon stops its
# threads (answering requests itself until the pusher is done, push.h), unmounts and exits 0,
# without hanging, whatever the readers were doing.
R3=$work/root-term
"$gen" --quiet --seed 23 --containers 300 --images 3 --layers 2-4 "$R3"
M=$work/mnt-t
mount_start "$M" "$R3"
pid=$MOUNT_PID
walkers=()
for i in 1 2; do # a cold walk of 300 containers takes about a second here (more under ASan)
    (while :; do for d in "$M"/*/; do cat "$d"* >/dev/null 2>&1 || true; done; done) &
    walkers+=($!)
done
sleep 0.3
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
if poll_until 20 "SIGTERM: the daemon exits" gone; then ok "SIGTERM mid-walk: the daemon exited"; else bad "SIGTERM mid-walk: the daemon is still running"; fi
for w in "${walkers[@]}"; do kill "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
rc=0
wait "$pid" 2>/dev/null || rc=$?
same "SIGTERM mid-walk: exit status" 0 "$rc"
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$M.log"; then bad "SIGTERM mid-walk: sanitizer report"; tail -n 30 "$M.log"; else ok "SIGTERM mid-walk: no sanitizer report"; fi
if is_mounted "$M"; then bad "SIGTERM mid-walk: still mounted"; else ok "SIGTERM mid-walk: unmounted"; fi
unset "BF_MOUNT_PIDS[$M]"
# Linux containers: /etc/passwd is read through the image's layers, and what the image's
# layers answer is kept for every container of the image (the memo, layerstore/rootfs.c).
# A file of an image layer rewritten in place, and a copy appearing in a higher image layer
# (a folder and a file made one by one), change every such container's config.json.
R4=$work/root-linux
"$gen" --quiet --driver overlay2 --seed 24 --containers 3 --images 1 --layers 2 "$R4"
mapfile -t lids < <("$BUNDLEFSCTL" "$R4" containers | cut -f1)
mapfile -t lpaths < <("$BUNDLEFSCTL" "$R4" layerpaths "${lids[0]}")
top=${lpaths[0]} base=${lpaths[${#lpaths[@]} - 1]}
mkdir -p "$base/etc"
printf 'root:x:0:0:root:/root:/bin/sh\ndemo:x:1000:1000::/home/demo:/bin/sh\n' >"$base/etc/passwd"
printf 'root:x:0:\ndemo:x:1000:\n' >"$base/etc/group"
for c in "${lids[@]}"; do jq_edit '.Config.User = "demo"' "$R4/containers/$c/config.v2.json"; done
M=$work/mnt-l
mount_start "$M" "$R4"
uid_is() { [ "$(jq -r .process.user.uid "$M/$1/config.json" 2>/dev/null)" = "$2" ]; }
all_uid() { for c in "${lids[@]}"; do uid_is "$c" "$1" || return 1; done; }
if all_uid 1000; then ok "linux: demo is uid 1000 in every container"; else bad "linux: demo uid"; fi
printf 'root:x:0:0:root:/root:/bin/sh\ndemo:x:1234:1000::/home/demo:/bin/sh\n' >"$base/etc/passwd"
if poll_until $BOUND "linux: base layer's passwd rewritten" all_uid 1234; then ok "linux: a rewritten base layer file is seen by every container"; else bad "linux: rewritten passwd not seen"; fi
mkdir "$top/etc"
printf 'demo:x:4321:1000::/home/demo:/bin/sh\n' >"$top/etc/passwd"
if poll_until $BOUND "linux: passwd in a higher layer" all_uid 4321; then ok "linux: a copy in a higher image layer wins"; else bad "linux: higher layer's passwd not seen"; fi
rm "$top/etc/passwd"
if poll_until $BOUND "linux: higher copy removed" all_uid 1234; then ok "linux: its removal shows the base layer's again"; else bad "linux: removal not seen"; fi
same_l=0
for c in "${lids[@]}"; do cmp -s <("$BUNDLEFSCTL" "$R4" config "$c") "$M/$c/config.json" || same_l=1; done
same "linux: every config.json equal to bundlefsctl's" 0 "$same_l"
mount_stop "$M"
echo "fs-freshness: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
