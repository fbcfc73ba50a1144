#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0800-macos-build.sh - what `make macos` cross-built for macOS (Zig, no Mac
# involved) is what it should be, for arm64 and x86_64: Mach-O programs and
# libraries of the right architecture, portgate and libportgate.dylib asking
# launchd for sockets (_launch_activate_socket imported), the shim replacing
# bind() and listen() through a __DATA,__interpose section, `portgate kernel` saying it is
# Linux-only, and every unit test built.  Nothing here runs on a Mac: the
# binaries are only read (file, llvm-nm, llvm-objdump, strings).
#
# The build: if .build/macos-ARCH is missing and Zig is installed
# (scripts/install-zig.sh, which needs the network and so cannot run in this
# test's network namespace), the script runs `make macos` itself; without
# Zig it skips, unless PORTGATE_TEST_STRICT=1 (.ci/run installs Zig first).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

require_cmd file llvm-nm llvm-objdump strings make
ARCHS="arm64 x86_64"
ZIG=$PORTGATE_SRC/.build/tools/zig-0.11.0/zig
missing=""
for a in $ARCHS; do
	[ -x "$PORTGATE_SRC/.build/macos-$a/portgate" ] || missing="$missing $a"
done
if [ -n "$missing" ]; then
	[ -x "$ZIG" ] || skip_all "no macOS build (make macos) and no Zig (scripts/install-zig.sh)"
	echo "# make macos (missing:$missing)"
	make -C "$PORTGATE_SRC" --no-print-directory macos >"$TMP/make-macos.log" 2>&1 || {
		sed 's/^/# /' "$TMP/make-macos.log" | tail -40
		echo "Bail out! make macos failed"
		exit 1
	}
fi

# file(1)'s word for each architecture.
file_arch() {
	case $1 in
	arm64) echo arm64 ;;
	x86_64) echo x86_64 ;;
	esac
}

for a in $ARCHS; do
	M=$PORTGATE_SRC/.build/macos-$a
	FA=$(file_arch "$a")
	export M FA
	test_expect_success "$a: portgate, portgated and launch_socket_server are Mach-O $a executables" '
		for p in portgate portgated launch_socket_server; do
			file -L "$M/$p" | grep "Mach-O 64-bit $FA executable" || exit 1
		done
	'
	test_expect_success "$a: launch_socket_server is portgate under the original's name" '
		[ "$(readlink "$M/launch_socket_server")" = portgate ]
	'
	test_expect_success "$a: libportgate.dylib and the shim are Mach-O $a dylibs" '
		file "$M/libportgate.dylib" | grep "Mach-O 64-bit $FA dynamically linked shared library" &&
		file "$M/libportgate-preload.dylib" |
			grep "Mach-O 64-bit $FA dynamically linked shared library"
	'
	test_expect_success "$a: libportgate.a holds $a objects, the header is beside it" '
		llvm-nm -A "$M/libportgate.a" | grep -q " T _portgate_listen_fds$" &&
		file "$M/src/lib/listen-fds-darwin.o" | grep "Mach-O 64-bit.*$FA" &&
		cmp "$M/include/portgate.h" "$PORTGATE_SRC/include/portgate.h"
	'
	test_expect_success "$a: portgate and libportgate.dylib import _launch_activate_socket" '
		llvm-nm -u "$M/portgate" | grep -x "_launch_activate_socket" &&
		llvm-nm -u "$M/libportgate.dylib" | grep -x "_launch_activate_socket"
	'
	test_expect_success "$a: libportgate.dylib exports the receiver API" '
		llvm-nm -gU "$M/libportgate.dylib" | grep " T _portgate_listen_fds$" &&
		llvm-nm -gU "$M/libportgate.dylib" | grep " T _portgate_free_names$"
	'
	test_expect_success "$a: the shim has a __DATA,__interpose section and no bind or listen of its own" '
		llvm-objdump --section-headers "$M/libportgate-preload.dylib" | grep -w __interpose &&
		! llvm-nm -gU "$M/libportgate-preload.dylib" | grep -E " T _(bind|listen)$" &&
		llvm-nm -u "$M/libportgate-preload.dylib" | grep -x _bind &&
		llvm-nm -u "$M/libportgate-preload.dylib" | grep -x _listen
	'
	# The section: one 16-byte tuple a row, the replacement (an address in the
	# dylib, little-endian), then the original (bound by dyld).
	for pair in 1:bind 2:listen; do
		n=${pair%%:*} fn=${pair#*:}
		test_expect_success "$a: interpose tuple $n is (pg_shim_$fn, libSystem $fn)" '
			f=$M/libportgate-preload.dylib
			set -- $(llvm-objdump -s --section=__interpose "$f" | grep "^ [0-9a-f]" | sed -n "${n}p")
			repl=$(echo "$2$3" | sed "s/../& /g" | awk "{for (i = NF; i > 0; i--) printf \"%s\", \$i}")
			shim=$(llvm-nm "$f" | awk "\$3 == \"_pg_shim_$fn\" { print \$1 }")
			echo "replacement 0x$repl, _pg_shim_$fn 0x$shim"
			[ -n "$shim" ] && [ $((0x$repl)) -eq $((0x$shim)) ] &&
			llvm-objdump --macho --bind "$f" | grep -E "__interpose .* libSystem +_$fn$"
		'
	done
	test_expect_success "$a: portgate says the kernel path is Linux-only" '
		strings "$M/portgate" | grep "the kernel path is Linux-only (eBPF cgroup hooks); on macOS use launchd sockets or portgated"
	'
	test_expect_success "$a: portgate has no eBPF loader and no Linux-only libraries" '
		! llvm-nm "$M/portgate" | grep -q "pg_bpf_load" &&
		! llvm-objdump --macho --dylibs-used "$M/portgate" "$M/portgated" | grep -E "libacl|libcap|libbpf"
	'
	test_expect_success "$a: every unit test is built (not run: this is not a Mac)" '
		for src in "$PORTGATE_SRC"/tests/unit/test-*.c; do
			t=${src##*/}
			t=${t%.c}
			case $t in
			test-sigsource) t=test-sigsource-pipe ;;
			*-linux) continue ;;
			esac
			file "$M/tests/unit/$t" | grep -q "Mach-O 64-bit $FA executable" ||
				{ echo "missing or not Mach-O $FA: $t"; exit 1; }
		done
	'
done

test_done
