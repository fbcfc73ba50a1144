#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t2020-rootless-container.sh - rootless podman publishes port 80 through the
# kernel path, with net.ipv4.ip_unprivileged_port_start left at 1024 (issue 14,
# item 4).  A user granted tcp://127.0.0.1:80 runs `podman run -p
# 127.0.0.1:80:8080` over a busybox rootfs built here (no image registry) and
# curl gets its page; without the kernel path the same command is refused;
# another user's container asking for the port is refused, and the denial is in
# "portgate kernel log"; so is one asking for a port at or above 1024 that the
# policy reserves.
#
# What binds: podman's port forwarder, rootlessport (--network
# slirp4netns:port_handler=rootlesskit), listens on the host side, which here
# is this script's network namespace.  It runs in the user's rootless user
# namespace, as container root, which is the user's own uid outside it: that
# uid is what the kernel path judges.  It inherits the cgroup of the podman
# command that starts it (rootless podman with cgroupfs creates none here),
# so every podman command runs inside the scratch cgroup.
#
# Two things this machine needs that a stock Debian 12 has or does not:
# - /dev/net/tun, for slirp4netns, is 0600 where no udev made it 0666: when the
#   users cannot open it, a 0666 node is made on a tmpfs over /dev/net, in this
#   script's private mount namespace only.
# - crun, podman's default runtime, refuses a hybrid cgroup layout whose cgroup2
#   has a controller ("cgroups in hybrid mode not supported, drop all
#   controllers from cgroupv2"); there runc is used (--runtime runc).
#
# SAFETY: as t2000: the programs attach to a scratch cgroup made here, never the
# root; pins go to a bpffs mounted in this script's mount namespace.  The
# processes podman starts leave this script's process group (conmon, the pause
# process and rootlessport start sessions or groups of their own), so the trap
# ends every process of the two test users by PID, then unloads, empties and
# removes the cgroup.  podman's files all live in $TMP/pod-USER.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=lib-kernel.sh
. "${0%/*}/lib-kernel.sh"

[ -x "$PG" ] || skip_all "needs $PG (make)"
require_cmd setpriv bpftool curl ss readelf podman runc slirp4netns newuidmap newgidmap
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
if ! [ -x /bin/busybox ] || readelf -l /bin/busybox | grep -q "program interpreter"; then
	skip_all "needs a static /bin/busybox (Debian package busybox-static; run scripts/install-deps.sh)"
fi

kernel_scratch t2020

A=pgt-palice$SFX
B=pgt-pbob$SFX

# end_user_procs USER: end every process of USER (podman's pause process,
# conmon, slirp4netns, rootlessport, the container), by PID: TERM, then KILL
# what is left after 5 s.  The users are this run's own, so all of their
# processes are ones this script started.
end_user_procs() {
	_uid=$(id -u "$1" 2>/dev/null) || return 0
	_i=0
	while _pids=$(ps -U "$_uid" -o pid= -o stat= | awk '$2 !~ /^Z/ { print $1 }') && [ -n "$_pids" ]; do
		_sig=
		[ $((_i % 10)) = 0 ] && _sig=TERM
		[ "$_i" -ge 50 ] && _sig=KILL
		# shellcheck disable=SC2086 # a list of PIDs
		[ -n "$_sig" ] && kill -s $_sig $_pids 2>/dev/null
		[ "$_sig" = KILL ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}
rootless_cleanup() {
	end_user_procs "$A"
	end_user_procs "$B"
	kernel_scratch_remove
	_pg_cleanup
}
trap rootless_cleanup EXIT
mkdir "$CG" || { echo "Bail out! cannot create a scratch cgroup under $CG2"; exit 1; }

make_user "$A"
make_user "$B"
A_UID=$(id -u "$A")
B_UID=$(id -u "$B")
for u in "$A" "$B"; do
	grep -q "^$u:" /etc/subuid && grep -q "^$u:" /etc/subgid && continue
	skip_all "useradd gave $u no subordinate ids in /etc/subuid and /etc/subgid (SUB_UID_COUNT in /etc/login.defs)"
done

# slirp4netns opens /dev/net/tun as the user.
if ! as_user "$A" sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
	[ -c /dev/net/tun ] || skip_all "no /dev/net/tun (the tun module), which slirp4netns needs"
	if ! mount -t tmpfs -o mode=0755,size=64k pgt-t2020-tun /dev/net ||
		! mknod -m 0666 /dev/net/tun c 10 200; then
		echo "Bail out! cannot make a private /dev/net/tun"
		exit 1
	fi
fi
RUNTIME=
if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] && [ "$CG2" = /sys/fs/cgroup/unified ] &&
	[ -n "$(cat "$CG2/cgroup.controllers")" ]; then
	RUNTIME="--runtime runc"
fi
echo "# $(podman --version), runtime: ${RUNTIME:-the default}"

ETC=$TMP/etc
mkdir -p "$ETC"
cat >"$ETC/portgate.conf" <<EOF
$A tcp://127.0.0.1:80
$A tcp://127.0.0.1:8080
EOF
chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=
OUT=$TMP/out
ERR=$TMP/err

# A busybox rootfs and podman's own folders for each user, all in $TMP/pod-USER.
for u in "$A" "$B"; do
	d=$TMP/pod-$u
	if ! { mkdir -p "$d/home" "$d/run" "$d/rootfs/bin" "$d/rootfs/www" "$d/rootfs/etc" \
		"$d/rootfs/proc" "$d/rootfs/sys" "$d/rootfs/dev" "$d/rootfs/tmp" &&
		cp /bin/busybox "$d/rootfs/bin/busybox" && ln -s busybox "$d/rootfs/bin/sh" &&
		echo "t2020 container of $u" >"$d/rootfs/www/index.html" &&
		chown -R "$u:$(id -g "$u")" "$d" && chmod 0700 "$d/run"; }; then
		echo "Bail out! cannot prepare $d"
		exit 1
	fi
done

printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
chmod 755 "$TMP/in_cg"
# pod USER ARGS...: rootless podman as USER, in the scratch cgroup, at most
# 120 s, with its storage, runtime and config folders in $TMP/pod-USER.
pod() {
	_u=$1
	shift
	_d=$TMP/pod-$_u
	# From $_d: the caller's folder may be one USER cannot enter (a checkout in a
	# 0700 folder, as .ci/run makes), and podman fails there.
	# shellcheck disable=SC2086 # RUNTIME is empty or two words
	(cd "$_d" && exec "$TMP/in_cg" setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$_d/home" \
		XDG_RUNTIME_DIR="$_d/run" XDG_CONFIG_HOME="$_d/home/.config" \
		XDG_DATA_HOME="$_d/home/.local/share" \
		timeout 120 podman --root "$_d/storage" --runroot "$_d/run/storage" \
		--tmpdir "$_d/run/libpod" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file $RUNTIME "$@")
}
# publish USER NAME PORT: USER's container NAME, busybox httpd on 8080 inside,
# published on 127.0.0.1:PORT by rootlessport.
publish() {
	pod "$1" run -d --name "$2" --network slirp4netns:port_handler=rootlesskit \
		-p "127.0.0.1:$3:8080" --rootfs "$TMP/pod-$1/rootfs" /bin/busybox httpd -f -p 8080 -h /www
}
# unpublish USER NAME: remove the container (httpd as pid 1 ignores TERM: -t 0).
unpublish() {
	pod "$1" rm -f -t 0 "$2" >/dev/null
}
# listener PORT: the listening TCP sockets on PORT in this netns (ss -e -p).
listener() {
	ss -Hltnpe "sport = :$1"
}
unbound() {
	test -z "$(listener "$1")"
}
page() {
	curl -s --max-time 2 "http://127.0.0.1:$1/" >"$OUT" && grep -qx "t2020 container of $2" "$OUT"
}
port_start() {
	test "$(sysctl -n net.ipv4.ip_unprivileged_port_start)" = 1024
}

test_expect_success 'this network namespace keeps ports below 1024 privileged (1024)' '
	port_start
'

# --- without the kernel path: the sysctl's rule -------------------------------------

test_expect_success "without the kernel path $A cannot publish 127.0.0.1:80: permission denied" '
	{ publish "$A" web0 80 2>"$ERR"; rc=$?; cat "$ERR"; unpublish "$A" web0; test $rc != 0; } &&
	grep -F "cannot expose privileged port 80" "$ERR" &&
	grep -F "listen tcp 127.0.0.1:80: bind: permission denied" "$ERR" && unbound 80
'

test_expect_success "without the kernel path $B publishes 127.0.0.1:8080 (at or above 1024: anyone)" '
	publish "$B" web0 8080 && wait_for 10 page 8080 "$B" && unpublish "$B" web0 &&
	wait_for 10 unbound 8080
'

# --- the kernel path -------------------------------------------------------------------

test_expect_success 'kernel load: the policy in the hooks of the scratch cgroup, none at the root' '
	"$PG" kernel load --cgroup "$CG" --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT" &&
	grep -F "loaded at $CG, pinned in $PINS" "$OUT" &&
	bpftool cgroup list "$CG" | grep -q portgate_bind4 &&
	! bpftool cgroup list "$CG2" | grep portgate_bind
'

test_expect_success "$A publishes a rootless container on 127.0.0.1:80" '
	publish "$A" web 80
'

test_expect_success 'curl gets its page on 127.0.0.1:80' '
	wait_for 10 page 80 "$A"
'

test_expect_success "rootlessport binds it: uid $A, its rootless user namespace, the scratch cgroup" '
	listener 80 >"$OUT" && cat "$OUT" &&
	grep -F "127.0.0.1:80 " "$OUT" && grep -F "\"rootlessport\"" "$OUT" &&
	grep -F " uid:$A_UID " "$OUT" && grep -F " cgroup:${CG#"$CG2"} " "$OUT" &&
	pid=$(sed -n "s/.*\"rootlessport\",pid=\([0-9]*\),.*/\1/p" "$OUT") && test -n "$pid" &&
	set -- $(grep "^Uid:" "/proc/$pid/status") && test "$2" = "$A_UID" &&
	test "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)"
'

test_expect_success "every process podman started for $A is in the scratch cgroup" '
	ps -U "$A_UID" -o pid= -o comm= >"$OUT" && cat "$OUT" && grep -q conmon "$OUT" &&
	while read -r p c; do
		grep -x "0::${CG#"$CG2"}" "/proc/$p/cgroup" >/dev/null || { echo "$p $c: not in $CG"; exit 1; }
	done <"$OUT"
'

test_expect_success 'kernel status: the listener is ok by the rule on line 1' '
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT"; cat "$OUT"
	grep "^  tcp/127.0.0.1:80 owner $A (uid $A_UID): ok, rule $ETC/portgate.conf:1 " "$OUT"
'

test_expect_success 'net.ipv4.ip_unprivileged_port_start is still 1024' '
	port_start
'

test_expect_success "$A removes her container: port 80 is free" '
	unpublish "$A" web && wait_for 10 unbound 80
'

test_expect_success "$B's container asking for 127.0.0.1:80 is refused: permission denied" '
	{ publish "$B" web 80 2>"$ERR"; rc=$?; cat "$ERR"; test $rc != 0; } &&
	grep -F "listen tcp 127.0.0.1:80: bind: permission denied" "$ERR" &&
	! grep -Fi "address already in use" "$ERR" && unbound 80 &&
	unpublish "$B" web
'

# logged MATCH: drain the kernel log into $TMP/klog (reading consumes it), then grep it.
logged() {
	"$PG" kernel log --pin-dir "$PINS" >>"$TMP/klog" && grep -q -- "$1" "$TMP/klog"
}
test_expect_success "the refusal is in portgate kernel log: uid $B, port 80, the rule on line 1" '
	wait_for 5 logged "^deny uid=$B_UID pid=[0-9]* bind=tcp/127.0.0.1:80 via=kernel rule=$ETC/portgate.conf:1 reason=" &&
	grep "^deny uid=$B_UID " "$TMP/klog"
'

test_expect_success "$B's container cannot take 127.0.0.1:8080, which the policy reserves for $A" '
	{ publish "$B" web 8080 2>"$ERR"; rc=$?; cat "$ERR"; test $rc != 0; } &&
	grep -F "listen tcp 127.0.0.1:8080: bind: permission denied" "$ERR" && unbound 8080 &&
	unpublish "$B" web
'

test_expect_success 'the sysctl was never touched: 1024' '
	port_start
'

test_expect_success "the users' podman processes end by PID; the scratch cgroup is left empty" '
	end_user_procs "$A" && end_user_procs "$B" &&
	test -z "$(ps -U "$A_UID,$(id -u "$B")" -o pid= -o stat= | awk "\$2 !~ /^Z/")" &&
	test -z "$(cat "$CG/cgroup.procs")"
'

test_done
