#!/bin/bash
# The Debian package, the way a user installs it: built from a copy of this tree with
# dpkg-buildpackage (debhelper + meson), lintian clean, installed with apt-get, its unit
# template verified by systemd-analyze, a data-root mounted through an fstab line with the
# installed binaries only (mount -T; mount.fuse3 runs /usr/bin/bundlefs), a file read and
# compared with the installed bundlefsctl, unmounted, then purged: the file lists of /usr and
# /etc before the install and after the purge are the same.
# Skips (77) where the machine cannot: not root, or no dpkg-buildpackage/apt-get. CI installs
# debhelper and lintian (tools/install-deps.sh --test).
# Env (from meson): GEN_DATAROOT, SOURCE_ROOT.
set -euo pipefail
gen=${GEN_DATAROOT:?} src=${SOURCE_ROOT:?}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (apt-get install)"; exit 77; }
for t in dpkg-buildpackage apt-get lintian systemd-analyze; do
    command -v "$t" >/dev/null || { echo "SKIP: $t missing (tools/install-deps.sh --test)"; exit 77; }
done
if dpkg-query -W -f='${Status}' bundlefs 2>/dev/null | grep -q 'install ok installed'; then
    echo "SKIP: a bundlefs package is installed on this machine already"
    exit 77
fi
# shellcheck source=lib/check.sh
source "$src/tests/integration/lib/check.sh"
work=$(mktemp -d /tmp/bf-deb-XXXXXX)
M=$work/mnt
installed=0
cleanup() {
    if findmnt -n -M "$M" >/dev/null 2>&1; then umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null || true; fi
    [ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null
    [ "$installed" = 1 ] && apt-get purge -y bundlefs >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

listing() { find /usr /etc -xdev 2>/dev/null | sort; }
# The files of the tree (what a clean clone has), built in a copy: no artefact lands here.
mkdir "$work/bundlefs-0.1.0"
(cd "$src" && git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build\* -prune -o -type f -print) |
    grep -v '^build' | (cd "$src" && tar -cf - -T -) | tar -xf - -C "$work/bundlefs-0.1.0"
if (cd "$work/bundlefs-0.1.0" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    bad "dpkg-buildpackage: $(tail -20 "$work/build.log")"
    exit 1
fi
deb=$(ls "$work"/bundlefs_*_*.deb)
contents=$(dpkg -c "$deb" | awk '{print $6}')
for f in ./usr/bin/bundlefs ./usr/bin/bundlefsctl ./usr/bin/boltdump ./usr/share/man/man1/bundlefs.1.gz \
    ./usr/share/man/man1/bundlefsctl.1.gz ./usr/share/man/man1/boltdump.1.gz \
    ./lib/systemd/system/bundlefs@.service ./usr/share/doc/bundlefs/copyright; do
    grep -qxF "$f" <<<"$contents" && ok "package has $f" || bad "package lacks $f"
done
deps=$(dpkg-deb -f "$deb" Depends)
case "$deps" in *fuse3*libfuse3-3*libjansson4*) ok "Depends: $deps" ;; *) bad "Depends: $deps" ;; esac
grep -q "Docker, Inc." <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/bundlefs/copyright) &&
    ok "debian/copyright names the seccomp profile's copyright" || bad "copyright: no Docker entry"
tags=$(lintian "$deb" 2>&1 | grep -v 'running with root privileges' || true)
same "lintian: no tags" "" "$tags"

before=$(listing)
if apt-get install -y "$deb" >"$work/install.log" 2>&1; then installed=1; ok "apt-get install ./$(basename "$deb")"; else
    bad "apt-get install: $(tail -5 "$work/install.log")"; exit 1; fi
for p in bundlefs bundlefsctl boltdump; do
    w=$(MANWIDTH=80 man --warnings "$p" 2>&1 >/dev/null)
    same "man $p: installed, renders without warnings" "" "$w"
done
mkdir "$work/units"
cp /lib/systemd/system/bundlefs@.service "$work/units/bundlefs@docker.service"
if out=$(systemd-analyze verify "$work/units/bundlefs@docker.service" 2>&1); then ok "systemd-analyze verify bundlefs@docker.service"; else
    bad "systemd-analyze verify: $out"; fi

# fstab with the installed binaries only (no build tree in PATH)
R=$work/root
"$gen" --quiet --seed 5 --containers 3 --images 1 --layers 2 "$R"
mkdir "$M"
printf '%s %s fuse.bundlefs ro,nofail,x-systemd.after=docker.service,spec=oci 0 0\n' "$R" "$M" >"$work/fstab"
if PATH=/usr/sbin:/usr/bin:/sbin:/bin mount -T "$work/fstab" "$M" 2>"$work/mount.err"; then ok "mount -T fstab"; else
    bad "mount -T fstab: $(cat "$work/mount.err")"; fi
dpid=$(pgrep -f "^bundlefs $R $M" | head -1 || true)
same "the daemon is the installed one" "/usr/bin/bundlefs" "$(readlink "/proc/${dpid:-0}/exe" 2>&1)"
id=$(/usr/bin/bundlefsctl "$R" containers | head -1 | cut -f1)
if cmp -s <(/usr/bin/bundlefsctl "$R" config "$id") "$M/$id/config.json"; then ok "config.json through the fstab mount"; else
    bad "config.json through the fstab mount differs"; fi
if umount "$M"; then ok "umount"; else bad "umount"; fi
for _ in $(seq 100); do kill -0 "${dpid:-0}" 2>/dev/null || break; sleep 0.05; done
kill -0 "${dpid:-0}" 2>/dev/null && bad "daemon still running after umount" || ok "daemon gone after umount"
dpid=

if apt-get purge -y bundlefs >"$work/purge.log" 2>&1; then installed=0; ok "apt-get purge bundlefs"; else
    bad "apt-get purge: $(tail -5 "$work/purge.log")"; fi
after=$(listing)
same "nothing left in /usr and /etc after the purge" "" "$(diff <(echo "$before") <(echo "$after") | head -20)"
echo "deb_package: $pass passed, $fail failed"
[ "$fail" = 0 ]
