#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0500-install.sh - `make install PREFIX= DESTDIR=` puts every piece in place,
# and a server built against the installed header, library and pkg-config
# file receives its sockets from the installed portgate.
. "${0%/*}/lib.sh"
require_cmd pkg-config cc

DEST=$TMP/dest
# A sanitizer build's library needs its runtime in the program that loads it.
SAN=""
ldd "$PG" | grep -q libasan && SAN="-fsanitize=address,undefined"
test_expect_success 'make install into a DESTDIR' '
	make -C "$PORTGATE_SRC" --no-print-directory -s install PREFIX=/usr DESTDIR="$DEST" \
		B="$PORTGATE_BUILD" >"$TMP/install.log" 2>&1
'
test_expect_success 'the program, library, header, pkg-config file and man pages are there' '
	test -x "$DEST/usr/bin/portgate" &&
	test "$(readlink "$DEST/usr/sbin/launch_socket_server")" = ../bin/portgate &&
	test ! -e "$DEST/usr/bin/launch_socket_server" &&
	test -f "$DEST/usr/lib/libportgate.so.0" && test -L "$DEST/usr/lib/libportgate.so" &&
	test -f "$DEST/usr/lib/libportgate.a" &&
	test -f "$DEST/usr/include/portgate.h" &&
	test -f "$DEST/usr/lib/pkgconfig/portgate.pc" &&
	test -f "$DEST/usr/share/man/man1/portgate.1" &&
	test -f "$DEST/usr/share/man/man5/portgate.conf.5" &&
	test -f "$DEST/usr/share/man/man3/portgate_listen_fds.3" &&
	test "$(readlink "$DEST/usr/share/man/man1/launch_socket_server.1")" = portgate.1 &&
	test -f "$DEST/usr/share/doc/portgate/examples/portgate.conf" && test ! -e "$DEST/etc"
'
test_expect_success 'the broker, the shim, their man pages and the systemd unit are there' '
	test -x "$DEST/usr/sbin/portgated" &&
	test -f "$DEST/usr/lib/portgate/libportgate-preload.so" &&
	test -f "$DEST/usr/share/man/man8/portgated.8" &&
	test -f "$DEST/usr/share/man/man8/portgate-preload.8" &&
	grep "^ExecStart=/usr/sbin/portgated" "$DEST/usr/lib/systemd/system/portgated.service" &&
	grep "^ExecStart=/usr/bin/portgate kernel watch" \
		"$DEST/usr/lib/systemd/system/portgate-kernel-watch.service"
'
# The unit is the fallback where the kernel path is unavailable, so the broker
# is then the only enforcement: it must hold the reserved ports.  Run portgated
# with the unit's own arguments (and a test socket, policy and user).
UNIT=$DEST/usr/lib/systemd/system/portgated.service
UNIT_ARGS=$(sed -n "s|^ExecStart=/usr/sbin/portgated ||p" "$UNIT")
make_user "pgt-unit$SFX"
ETC=$TMP/etc
mkdir -p "$ETC" && printf 'pgt-unit%s tcp://*:8080\n' "$SFX" >"$ETC/portgate.conf"
chmod -R a+rX "$ETC"
# shellcheck disable=SC2086 # the unit's arguments, split as systemd does
start_portgated $UNIT_ARGS
test_expect_success 'the installed portgated unit holds the reserved ports (--hold)' '
	echo "unit: $UNIT_ARGS" && cat "$TMP/portgated.log" &&
	grep "hold: holding 1 of 1 reserved port$" "$TMP/portgated.log" &&
	! /usr/bin/python3 -c "import socket; socket.socket().bind((\"0.0.0.0\", 8080))" 2>"$TMP/err" &&
	grep "Address already in use" "$TMP/err"
'
# Root's portgate run -u (the common handoff) binds directly, meets the held
# socket (EADDRINUSE) and must ask portgated for it, as an ordinary user's does.
test_expect_success '  ... and hands it to its owner through portgate run as root with -u' '
	PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR= "$DEST/usr/bin/portgate" run \
		-u "pgt-unit$SFX" -l "tcp://*:8080" -- "$HELPERS/pg-listen-check" >"$TMP/out" 2>&1 &&
	cat "$TMP/out" && grep "family=inet6 type=stream addr=:: port=8080 listening=1" "$TMP/out" &&
	grep "uid=0 .*bind=tcp/\[::\]:8080 dualstack=1 via=new .*hold=handed-over" "$TMP/portgated.log"
'
stop_portgated
test_expect_success 'the pkg-config file names the installed prefix' '
	grep "^prefix=/usr$" "$DEST/usr/lib/pkgconfig/portgate.pc"
'
test_expect_success 'the library exports only its API' '
	nm -D --defined-only "$DEST/usr/lib/libportgate.so.0" | awk "\$2 == \"T\" {sub(/@.*/, \"\", \$3); print \$3}" |
		sort >"$TMP/syms" &&
	printf "portgate_free_names\nportgate_listen_fds\n" | diff - "$TMP/syms"
'
test_expect_success 'a server builds against the installed files with pkg-config' '
	PKG_CONFIG_PATH="$DEST/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$DEST" \
		sh -c "cc $SAN -o \"$TMP/example\" \"$DATA/examples/listen-example.c\" \$(pkg-config --cflags --libs portgate)"
'
test_expect_success '  ... and receives named sockets from the installed portgate run' '
	LD_LIBRARY_PATH="$DEST/usr/lib" "$DEST/usr/bin/portgate" run -l 127.0.0.1:8080 \
		-l udp://[::1]:5353 --fdname web:mdns -- "$TMP/example" >"$TMP/out" &&
	printf "fd 3 is web\nfd 4 is mdns\n" | diff - "$TMP/out"
'
test_expect_success 'the installed launch_socket_server is in sbin, where the original installs, and is the drop-in' '
	{ "$DEST/usr/sbin/launch_socket_server" 2>"$TMP/err"; test $? = 1; } &&
	cat "$TMP/err" && grep "usage: .*/usr/sbin/launch_socket_server <program>" "$TMP/err"
'
test_expect_success '  ... serving the socket named Socket from socket activation, a private backend for PROG' '
	"$DEST/usr/bin/portgate" run -l 127.0.0.1:8090 --fdname Socket -- \
		"$DEST/usr/sbin/launch_socket_server" /bin/sh -c \
		"echo \"\$LAUNCH_DAEMON_SOCKET_NAME \$LAUNCH_PROGRAM_SOCKET_PATH\"" >"$TMP/out" &&
	cat "$TMP/out" && grep -x "Socket /.*/portgate-proxy\.[^/]*/backend\.sock" "$TMP/out"
'
test_expect_success '  ... under PREFIX=/usr/local too, the link resolving from sbin to bin' '
	make -C "$PORTGATE_SRC" --no-print-directory -s install PREFIX=/usr/local DESTDIR="$TMP/local" \
		B="$PORTGATE_BUILD" >"$TMP/install2.log" 2>&1 &&
	test "$(readlink -f "$TMP/local/usr/local/sbin/launch_socket_server")" = "$TMP/local/usr/local/bin/portgate"
'
test_expect_success 'the installed portgate exec finds the installed shim' '
	env -u PORTGATE_PRELOAD "$DEST/usr/bin/portgate" exec -q -- /bin/sh -c "echo \$LD_PRELOAD" \
		>"$TMP/preload" 2>&1 &&
	grep "$DEST/usr/bin/../lib/portgate/libportgate-preload.so" "$TMP/preload"
'
test_expect_success 'the man pages render without warnings' '
	for m in "$DEST"/usr/share/man/man*/*; do
		MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null | grep . && exit 1
	done
	true
'
test_expect_success 'the bash completion is installed where bash-completion looks' '
	bash -c ". \"$DEST/usr/share/bash-completion/completions/portgate\" && complete -p portgate" |
		grep "_portgate portgate"
'
test_expect_success 'make uninstall removes it all' '
	make -C "$PORTGATE_SRC" --no-print-directory -s uninstall PREFIX=/usr DESTDIR="$DEST" &&
	find "$DEST" ! -type d >"$TMP/left" && cat "$TMP/left" && test ! -s "$TMP/left"
'
test_done
