# SPDX-License-Identifier: BSD-2-Clause
# config.mk - toolchain and install paths.  Override on the command line:
#   make PREFIX=/usr DESTDIR=/tmp/stage install
#   make check SANITIZE=1 WERROR=1
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/portgate
SYSCONFDIR  ?= /etc
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

CC          ?= cc
CLANG       ?= clang
CFLAGS      ?= -O2 -g
SANITIZE    ?=
WERROR      ?=
V           ?=
