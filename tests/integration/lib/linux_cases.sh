# shellcheck shell=bash
# Linux containers that exercise Docker 20.10's spec rules (source this file; needs lib/dockerd.sh
# and a running private dockerd, i.e. `dk`). Every case is one `docker run -d --name NAME ...`.
#
#   linux_cases_setup WORK   -> images bf-users and bf-imgcfg (from bf-1layer: run
#                               dockerd_make_images first), networks bfnet (user bridge),
#                               volumes, bind sources and seccomp profiles under WORK/lc, and a
#                               shared bind mount WORK/lc/shared (for rshared/rslave binds;
#                               linux_cases_cleanup unmounts it: call it from the EXIT trap)
#   linux_cases_run WORK     -> runs every case; waits (bounded) for those that exit; writes
#                               WORK/lc/cases.tsv: NAME<TAB>STATUS<TAB>COMMAND, where STATUS is
#                               "exited N" (ran, exit status N), "running" (a target that stays
#                               up for container:NAME / --link users), "start-failed" (the
#                               container exists in state created; its spec was normally
#                               captured, runc refused it) or "refused" (no container at all),
#                               and the error text in WORK/lc/err/NAME.txt
#   linux_cases_collect WORK CAPDIR OUT
#                            -> OUT/inspect.json (docker inspect of every container),
#                               OUT/logs/NAME.txt (docker logs, stdout and stderr),
#                               OUT/spec/NAME.json (the spec captured at create, by name),
#                               OUT/cases.tsv, OUT/ids.tsv (NAME<TAB>ID)
#   linux_cases_cleanup      -> unmounts what linux_cases_setup mounted (by path)
#
# The probe every case runs prints what a later `runc run` of the same bundle must print too:
# id, hostname, domainname, cwd, sorted env, the capability sets, no_new_privs, seccomp mode,
# oom_score_adj, RLIMIT_NOFILE, the private-netns sysctls, the cgroups, the mounts (mount point,
# type, options) and whether / is writable; "probe-end" ends it. Targets run it, then sleep.
# Where Docker 20.10's order is random, no case depends on it: mounts of volumes, binds and
# tmpfs come from Go maps (MountPoints, HostConfig.Tmpfs), sorted by path depth only, so two of
# them at the same depth may come in either order; the gids of --group-add come from a map too
# (runc's GetAdditionalGroups), so a case has one --group-add at most, and one user mount per
# depth.
# bf-users has busybox's applets as links in /bin, /etc/passwd and /etc/group with supplementary
# memberships (root: wheel; user1 (1000): wheel, audio, users; nobody: audio, staff).
# shellcheck disable=SC2016 # expanded by the container's shell
LC_PROBE='exec 2>&1
echo "id: $(id)"
echo "hostname: $(hostname)"
echo "domainname: $(cat /proc/sys/kernel/domainname)"
echo "pwd: $(pwd)"
env | sort
grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status
echo "oom_score_adj: $(cat /proc/self/oom_score_adj)"
echo "nofile: $(ulimit -n) $(ulimit -Hn)"
echo "ping_group_range: $(cat /proc/sys/net/ipv4/ping_group_range)"
echo "ip_unprivileged_port_start: $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
echo "cgroups:"; cat /proc/self/cgroup
echo "mounts:"; while read -r dev mp fstype opts rest; do echo "$mp $fstype $opts"; done </proc/self/mounts
touch /x && echo "rootfs: writable"
echo probe-end'
LC_MOUNTS=()

linux_cases_setup() {
    local work=$1 lc ctx a
    lc=$work/lc
    mkdir -p "$lc/err" "$lc/binds/dir" "$lc/binds/nr/sub" "$lc/shared" "$lc/seccomp"
    echo "bind file" >"$lc/binds/file.txt"
    echo "in dir" >"$lc/binds/dir/hello"
    ctx=$lc/imgctx
    mkdir -p "$ctx/root/bin" "$ctx/root/etc" "$ctx/root/home/user1" "$ctx/root/tmp" "$ctx/root/root"
    for a in $(/bin/busybox --list); do
        [ "$a" = busybox ] || [ "$a" = sh ] || ln -sf busybox "$ctx/root/bin/$a"
    done
    chmod 1777 "$ctx/root/tmp"
    chown 1000:1000 "$ctx/root/home/user1"
    cat >"$ctx/root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user1:x:1000:1000:User One:/home/user1:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$ctx/root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
wheel:x:10:root,user1
audio:x:29:user1,nobody
staff:x:50:nobody
users:x:100:user1
user1:x:1000:
nogroup:x:65534:
EOF
    tar -C "$ctx/root" -cf "$ctx/users.tar" .
    printf 'FROM bf-1layer:latest\nADD users.tar /\n' >"$ctx/Dockerfile.users"
    cat >"$ctx/Dockerfile.imgcfg" <<'EOF'
FROM bf-users:latest
ENV IMGVAR=img PATH=/opt/bin:/usr/bin:/bin
WORKDIR /work
USER user1
VOLUME /imgvol
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo default-cmd"]
EOF
    dk build -q -f "$ctx/Dockerfile.users" -t bf-users:latest "$ctx" >/dev/null
    dk build -q -f "$ctx/Dockerfile.imgcfg" -t bf-imgcfg:latest "$ctx" >/dev/null
    dk network create bfnet >/dev/null
    dk volume create bfvol >/dev/null
    # Seccomp profiles: names with errnoRet, an argument filter, caps includes/excludes, arch
    # includes; the second uses archMap and defaultErrnoRet.
    cat >"$lc/seccomp/names.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["chroot", "pivot_root"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_BOOT"]}},
    {"names": ["acct"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_CHOWN"]}},
    {"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["amd64"]}},
    {"names": ["swapon"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["arm64"]}}
  ]
}
EOF
    cat >"$lc/seccomp/archmap.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "defaultErrnoRet": 38,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"name": "mount", "action": "SCMP_ACT_ERRNO"},
    {"names": ["umount2"], "action": "SCMP_ACT_LOG"}
  ]
}
EOF
    # rshared/rslave binds need a shared (or slave) source mount; / is private on this host.
    if mount --bind "$lc/shared" "$lc/shared" && mount --make-rshared "$lc/shared"; then
        LC_MOUNTS+=("$lc/shared")
    fi
}

linux_cases_cleanup() {
    local m
    for m in "${LC_MOUNTS[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    LC_MOUNTS=()
}

# lc_run NAME ARGS...: docker run -d --name NAME ARGS...; records the case in cases.tsv.
# Cases run LC_JOBS at a time (dockerd creates and starts them concurrently); each writes its
# line to cases.d/<sequence>, and lc_drain puts them in cases.tsv in the order they were given.
# Only the cases' own jobs are waited for (dockerd is a job of the shell too).
LC_JOBS=${LC_JOBS:-4}
LC_SEQ=0
LC_PIDS=()
lc_run() {
    local live=() p
    LC_SEQ=$((LC_SEQ + 1))
    while :; do
        live=()
        for p in "${LC_PIDS[@]}"; do
            if kill -0 "$p" 2>/dev/null; then live+=("$p"); else wait "$p" 2>/dev/null || true; fi
        done
        LC_PIDS=("${live[@]}")
        [ "${#LC_PIDS[@]}" -lt "$LC_JOBS" ] && break
        sleep 0.05
    done
    lc_run1 "$LC_SEQ" "$@" &
    LC_PIDS+=("$!")
}

lc_drain() {
    local f p
    for p in "${LC_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    LC_PIDS=()
    for f in $(ls "$LC_DIR/cases.d" | sort -n); do
        cat "$LC_DIR/cases.d/$f" >>"$LC_DIR/cases.tsv"
    done
    rm -rf "$LC_DIR/cases.d"
    mkdir -p "$LC_DIR/cases.d"
}

lc_run1() {
    local seq=$1 name=$2 cmd a out rc line
    shift 2
    cmd="docker run -d --name $name"
    for a in "$@"; do
        if [ "$a" = "$LC_PROBE" ]; then
            cmd+=' "$PROBE"'
        elif [ "$a" = "$LC_PROBE; exec sleep 600" ]; then
            cmd+=' "$PROBE; exec sleep 600"'
        else
            cmd+=" $(printf '%q' "$a")"
        fi
    done
    rc=0
    out=$(dk run -d --name "$name" "$@" 2>&1) || rc=$?
    line=$LC_DIR/cases.d/$seq
    if [ "$rc" -eq 0 ]; then
        printf '%s\tstarted\t%s\n' "$name" "$cmd" >"$line"
        # Warnings (e.g. an option the host cannot honour and dockerd dropped).
        if printf '%s\n' "$out" | grep -qvE '^[0-9a-f]{64}$'; then
            printf '%s\n' "$out" | grep -vE '^[0-9a-f]{64}$' >"$LC_DIR/err/$name.txt"
        fi
    else
        printf '%s\n' "$out" | grep -vE '^[0-9a-f]{64}$' >"$LC_DIR/err/$name.txt" || true
        if dk inspect "$name" >/dev/null 2>&1; then
            printf '%s\tstart-failed\t%s\n' "$name" "$cmd" >"$line"
        else
            printf '%s\trefused\t%s\n' "$name" "$cmd" >"$line"
        fi
    fi
}

linux_cases_run() {
    local work=$1 B S P T name status cmd code
    LC_DIR=$work/lc
    : >"$LC_DIR/cases.tsv"
    rm -rf "$LC_DIR/cases.d"
    mkdir -p "$LC_DIR/cases.d"
    B=$LC_DIR/binds S=$LC_DIR/shared
    P=(bf-users:latest sh -c "$LC_PROBE")
    T=(bf-users:latest sh -c "$LC_PROBE; exec sleep 600")

    # Targets first: they stay up (container:X namespaces and links need a running container).
    lc_run target --ipc shareable --hostname target-host -e TARGETENV=t1 --expose 8080 "${T[@]}"
    lc_run bftarget --network bfnet -e BFTARGET=t2 "${T[@]}"
    lc_drain # the others may join them

    # Process, user, environment.
    lc_run default "${P[@]}"
    lc_run default-1layer bf-1layer:latest sh -c "$LC_PROBE"
    lc_run tty -t "${P[@]}"
    lc_run stdin-open -i "${P[@]}"
    lc_run env-workdir -e FOO=bar -e 'SPACED=a b' -e EMPTY= -e PATH=/bin:/usr/bin -e HOSTNAME=fromenv -w /newdir/sub "${P[@]}"
    lc_run hostname --hostname myhost --domainname example.org "${P[@]}"
    lc_run hostname-fqdn --hostname host.example.com "${P[@]}"
    lc_run entrypoint --entrypoint /bin/busybox bf-users:latest sh -c "$LC_PROBE"
    lc_run init --init "${P[@]}"
    lc_run init-pidhost --init --pid host "${P[@]}"
    lc_run user-1000 -u 1000 "${P[@]}"
    lc_run user-nobody -u nobody "${P[@]}"
    lc_run user-name-group -u user1:staff "${P[@]}"
    lc_run user-uid-gid -u 1000:50 "${P[@]}"
    lc_run user-groupadd -u user1 --group-add audio "${P[@]}"
    lc_run user-groupadd-num -u user1 --group-add 4242 "${P[@]}"
    lc_run user-root-groupadd --group-add wheel "${P[@]}"
    lc_run groupadd-unknown --group-add nosuchgroup "${P[@]}"
    lc_run user-unknown-uid -u 4242 "${P[@]}"
    lc_run user-missing -u nobody bf-1layer:latest sh -c "$LC_PROBE"
    lc_run imgcfg bf-imgcfg:latest "$LC_PROBE"
    lc_run imgcfg-override -u 0 -w / -e IMGVAR=override --entrypoint /bin/sh bf-imgcfg:latest -c "$LC_PROBE"

    # Capabilities.
    lc_run cap-add --cap-add SYS_ADMIN --cap-add NET_ADMIN "${P[@]}"
    lc_run cap-drop --cap-drop NET_RAW --cap-drop CHOWN "${P[@]}"
    lc_run cap-drop-all --cap-drop ALL "${P[@]}"
    lc_run cap-drop-all-add --cap-drop ALL --cap-add CHOWN --cap-add CAP_KILL "${P[@]}"
    lc_run cap-add-all --cap-add ALL --cap-drop MKNOD "${P[@]}"
    lc_run cap-user -u 1000 --cap-add NET_ADMIN "${P[@]}"
    lc_run privileged --privileged "${P[@]}"
    lc_run privileged-user --privileged -u 1000 "${P[@]}"

    # Root file system and mounts.
    lc_run readonly --read-only "${P[@]}"
    lc_run readonly-tmpfs --read-only --tmpfs /run:rw,size=1m,mode=1770 --tmpfs /var/tmp "${P[@]}"
    lc_run tmpfs-opts --tmpfs /t1 --tmpfs /tt/t2:ro,noexec,size=2m,uid=1000 "${P[@]}"
    lc_run tmpfs-devshm --tmpfs /dev/shm:size=2m "${P[@]}"
    lc_run tmpfs-dev --tmpfs /dev:rw,size=1m "${P[@]}"
    lc_run mount-tmpfs --mount type=tmpfs,dst=/mt,tmpfs-size=1048576,tmpfs-mode=0700 "${P[@]}"
    lc_run bind-ro -v "$B/dir:/b1:ro" -v "$B/file.txt:/etc/bf-file" "${P[@]}"
    lc_run bind-private -v "$B/dir:/pp:private" "${P[@]}"
    lc_run bind-rshared -v "$S:/ps:rshared" "${P[@]}"
    lc_run bind-rslave -v "$S:/pl:rslave" "${P[@]}"
    lc_run mount-bind --mount "type=bind,src=$B/dir,dst=/mb,readonly" --mount "type=bind,src=$B/nr,dst=/x/mnr,bind-nonrecursive=true" "${P[@]}"
    lc_run volume-named -v bfvol:/data "${P[@]}"
    lc_run volume-ro-nocopy -v bfvol2:/data2:ro,nocopy "${P[@]}"
    lc_run volume-anon -v /anon "${P[@]}"
    lc_run mount-volume --mount type=volume,src=bfvol3,dst=/v3,volume-nocopy "${P[@]}"
    lc_run volumes-from --volumes-from volume-named:ro "${P[@]}"
    lc_run readonly-volume --read-only -v bfvol:/data -v "$B/dir:/ro/b1" "${P[@]}"

    # Namespaces and networks.
    lc_run ipc-private --ipc private "${P[@]}"
    lc_run ipc-shareable --ipc shareable --shm-size 32m "${P[@]}"
    lc_run ipc-host --ipc host "${P[@]}"
    lc_run ipc-none --ipc none "${P[@]}"
    lc_run ipc-container --ipc container:target "${P[@]}"
    lc_run pid-host --pid host "${P[@]}"
    lc_run pid-container --pid container:target "${P[@]}"
    lc_run uts-host --uts host "${P[@]}"
    lc_run net-none --network none "${P[@]}"
    lc_run net-host --network host "${P[@]}"
    lc_run net-container --network container:target "${P[@]}"
    lc_run net-user-bridge --network bfnet "${P[@]}"
    lc_run link-default --link target:tgtalias "${P[@]}"
    lc_run link-user --network bfnet --link bftarget:bfalias "${P[@]}"
    lc_run cgroupns-private --cgroupns private "${P[@]}"
    lc_run cgroupns-host --cgroupns host "${P[@]}"

    # Resources.
    lc_run shm-size --shm-size 128m "${P[@]}"
    lc_run ulimit --ulimit nofile=1024:2048 --ulimit nproc=500:600 --ulimit core=0 "${P[@]}"
    lc_run sysctl --sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=65536 --sysctl 'net.ipv4.ping_group_range=0 0' "${P[@]}"
    lc_run mem --memory 64m "${P[@]}"
    lc_run mem-swap --memory 64m --memory-swap 128m "${P[@]}"
    lc_run mem-swap-unlimited --memory 64m --memory-swap -1 "${P[@]}"
    lc_run mem-reservation --memory-reservation 32m "${P[@]}"
    lc_run mem-swappiness --memory-swappiness 10 "${P[@]}"
    lc_run oom-kill-disable --oom-kill-disable --memory 64m "${P[@]}"
    lc_run oom-score-adj --oom-score-adj 500 "${P[@]}"
    lc_run kernel-memory --kernel-memory 64m "${P[@]}"
    lc_run cpu-shares --cpu-shares 512 "${P[@]}"
    lc_run cpus --cpus 0.5 "${P[@]}"
    lc_run cpu-period-quota --cpu-period 50000 --cpu-quota 25000 "${P[@]}"
    lc_run cpuset --cpuset-cpus 0 --cpuset-mems 0 "${P[@]}"
    lc_run cpu-rt --cpu-rt-runtime 10000 "${P[@]}"
    lc_run pids-limit --pids-limit 100 "${P[@]}"
    lc_run pids-unlimited --pids-limit -1 "${P[@]}"
    lc_run blkio-weight --blkio-weight 300 --blkio-weight-device /dev/vda:200 "${P[@]}"
    lc_run device-bps --device-read-bps /dev/vda:1mb --device-write-bps /dev/vda:2mb --device-read-iops /dev/vda:100 --device-write-iops /dev/vda:200 "${P[@]}"

    # Devices.
    lc_run device --device /dev/null:/dev/mynull --device /dev/zero:/dev/myzero:r "${P[@]}"
    lc_run device-cgroup-rule --device-cgroup-rule 'c 42:* rmw' --device-cgroup-rule 'b 7:0 r' "${P[@]}"

    # Security options and cgroups.
    lc_run nnp --security-opt no-new-privileges "${P[@]}"
    lc_run nnp-false --security-opt no-new-privileges=false "${P[@]}"
    lc_run seccomp-unconfined --security-opt seccomp=unconfined "${P[@]}"
    lc_run seccomp-custom --security-opt "seccomp=$LC_DIR/seccomp/names.json" "${P[@]}"
    lc_run seccomp-archmap --security-opt "seccomp=$LC_DIR/seccomp/archmap.json" "${P[@]}"
    lc_run systempaths --security-opt systempaths=unconfined "${P[@]}"
    lc_run label-disable --security-opt label=disable "${P[@]}"
    lc_run apparmor-unconfined --security-opt apparmor=unconfined "${P[@]}"
    lc_run cgroup-parent --cgroup-parent /bfparent "${P[@]}"
    lc_run cgroup-parent-rel --cgroup-parent bfrel/sub "${P[@]}"
    lc_run combined -u 1000 --read-only --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp \
        --memory 32m --pids-limit 50 -e A=1 -w /tmp --hostname combo "${P[@]}"

    lc_drain
    # Wait (bounded) for the ones that exit; targets stay up.
    : >"$LC_DIR/cases.final"
    while IFS=$'\t' read -r name status cmd; do
        if [ "$status" = started ]; then
            case $name in
            target | bftarget) status=running ;;
            *)
                if code=$(timeout 60 "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" wait "$name" 2>&1); then
                    status="exited $code"
                else
                    status="no-exit"
                fi
                ;;
            esac
        fi
        printf '%s\t%s\t%s\n' "$name" "$status" "$cmd" >>"$LC_DIR/cases.final"
    done <"$LC_DIR/cases.tsv"
    mv -f "$LC_DIR/cases.final" "$LC_DIR/cases.tsv"
}

linux_cases_collect() {
    local work=$1 cap=$2 out=$3 name status cmd id
    mkdir -p "$out/spec" "$out/logs"
    # shellcheck disable=SC2046
    dk inspect $(dk ps -aq --no-trunc) >"$out/inspect.json"
    cp "$work/lc/cases.tsv" "$out/cases.tsv"
    : >"$out/ids.tsv"
    while IFS=$'\t' read -r name status cmd; do
        id=$(jq -r --arg n "/$name" '.[] | select(.Name == $n) | .Id' "$out/inspect.json")
        [ -n "$id" ] || continue
        printf '%s\t%s\n' "$name" "$id" >>"$out/ids.tsv"
        dk logs "$name" >"$out/logs/$name.txt" 2>&1 || true
        [ -f "$cap/$id.json" ] && cp "$cap/$id.json" "$out/spec/$name.json"
    done <"$work/lc/cases.tsv"
}
