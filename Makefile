# SPDX-License-Identifier: BSD-2-Clause
# portgate - one non-recursive Makefile.  Objects go to .build/ (.build/san with
# SANITIZE=1).  Sources are found by directory, so adding a file needs no edit:
#   src/common/*.c     libpgcommon.a: shared code, never logs, returns -errno (of
#                      sigsource-*.c only the one SIGSOURCE names, see below)
#   src/lib/*.c        libportgate: the receiver API for servers (portgate.h)
#   src/portgate/*.c   the portgate CLI
#   src/portgated/*.c  the broker daemon (holds only CAP_NET_BIND_SERVICE)
#   src/preload/*.c    the bind() shim preloaded by `portgate exec` (never sanitized:
#                      it runs inside foreign programs)
#   tests/unit/test-*.c, tests/helpers/*.c, tests/fuzz/fuzz-*.c
include config.mk

VERSION := 0.1.0
ifeq ($(SANITIZE),)
B := .build
else
B := .build/san
endif

# One notion of platform: PLATFORM (linux or darwin, from `uname -s` unless
# given; `make macos` gives darwin with Zig's cross compiler).  It picks the
# sources by file-name suffix, in every directory alike:
#   *-linux.c *-epoll.c                  only on linux
#   *-darwin.c *-bsd.c *-kqueue.c        only on darwin
#   *-none.c *-posix.c *-double.c        fallbacks: built unless the directory
#                                        has STEM-<a suffix of this platform>.c
# plus the Linux-only kernel path (PLATFORM_LINUX_ONLY below), which darwin
# replaces with src/portgate/cmd-kernel-none.c (and src/bpf/bpf-loader-none.c).
UNAME_S := $(shell uname -s)
PLATFORM ?= $(if $(filter Darwin,$(UNAME_S)),darwin,linux)
ifeq ($(filter linux darwin,$(PLATFORM)),)
$(error PLATFORM='$(PLATFORM)': give linux or darwin)
endif
PLATFORM_SUFFIXES_linux  := linux epoll
PLATFORM_SUFFIXES_darwin := darwin bsd kqueue
PLATFORM_SUFFIXES := $(PLATFORM_SUFFIXES_$(PLATFORM))
OTHER_SUFFIXES := $(filter-out $(PLATFORM_SUFFIXES),$(PLATFORM_SUFFIXES_linux) \
	$(PLATFORM_SUFFIXES_darwin))
FALLBACK_SUFFIXES := none posix double
# The kernel path's commands: every cmd-kernel*.c but cmd-kernel-none.c.
PLATFORM_LINUX_ONLY := $(filter-out src/portgate/cmd-kernel-none.c,$(wildcard \
	src/portgate/cmd-kernel*.c))
# stem: src/common/pdeathsig-posix.c -> src/common/pdeathsig
stem = $(patsubst %-$(lastword $(subst -, ,$(basename $(1)))),%,$(basename $(1)))
# has_native FILE: non-empty when FILE's stem has a file of this platform's suffixes.
has_native = $(strip $(foreach x,$(PLATFORM_SUFFIXES),$(wildcard $(call stem,$(1))-$(x).c)))
is_other = $(filter $(addprefix %-,$(addsuffix .c,$(OTHER_SUFFIXES))),$(1))
is_fallback = $(filter $(addprefix %-,$(addsuffix .c,$(FALLBACK_SUFFIXES))),$(1))
# platform_src FILES: the ones this platform builds.
platform_src = $(foreach f,$(filter-out $(if $(filter darwin,$(PLATFORM)),$(PLATFORM_LINUX_ONLY),src/portgate/cmd-kernel-none.c),$(1)),$(if $(call is_other,$(f)),,$(if $(and $(call is_fallback,$(f)),$(call has_native,$(f))),,$(f))))

# Signals reach the programs through src/common/sigsource.h, whose implementation
# is picked here: signalfd on Linux, the POSIX self-pipe elsewhere.  SIGSOURCE=pipe
# forces the self-pipe on Linux too, into a build directory of its own
# ($(B)/sigsource-pipe), so the default build is left as it is.  Both are unit-tested
# on Linux whatever is picked (test-sigsource-signalfd, test-sigsource-pipe).
SIGSOURCE_DEFAULT := $(if $(filter linux,$(PLATFORM)),signalfd,pipe)
SIGSOURCE ?= $(SIGSOURCE_DEFAULT)
ifeq ($(filter signalfd pipe,$(SIGSOURCE)),)
$(error SIGSOURCE='$(SIGSOURCE)': give signalfd or pipe)
endif
ifneq ($(SIGSOURCE),$(SIGSOURCE_DEFAULT))
B := $(B)/sigsource-$(SIGSOURCE)
endif
SIGSOURCE_IMPLS := $(if $(filter linux,$(PLATFORM)),signalfd) pipe

ifeq ($(V),)
Q = @
msg = @printf '  %-7s %s\n' $(1) $(2);
else
Q =
msg =
endif

WARNINGS := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
	-Wmissing-prototypes -Wmissing-declarations -Wformat=2 -Wsign-compare \
	-Wno-unused-parameter -Wundef -Wvla -Wno-missing-field-initializers
ifneq ($(WERROR),)
WARNINGS += -Werror
endif
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIC
ifeq ($(PLATFORM),linux)
LDHARDEN := -Wl,-z,relro,-z,now
PIE := -pie
else
LDHARDEN :=
PIE :=
endif
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HARDEN := -fPIC
endif

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DPG_VERSION='"$(VERSION)"' \
	-DPG_SYSCONFDIR='"$(SYSCONFDIR)"' -DPG_PKGLIBDIR='"$(LIBDIR)/portgate"' $(WARNINGS) $(HARDEN) $(SANFLAGS) \
	-Isrc/common -Iinclude $(CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDHARDEN) $(SANFLAGS) $(LDFLAGS)
LDLIBS_ALL := $(if $(filter linux,$(PLATFORM)),-lacl) $(LDLIBS)
DAEMON_LDLIBS := $(if $(filter linux,$(PLATFORM)),-lcap-ng)

COMMON_SRC := $(call platform_src,$(filter-out src/common/sigsource-%.c,$(wildcard \
	src/common/*.c)) src/common/sigsource-$(SIGSOURCE).c $(wildcard src/proxy/*.c))
LIB_SRC    := $(call platform_src,$(wildcard src/lib/*.c))
CLI_SRC    := $(call platform_src,$(wildcard src/portgate/*.c))
DAEMON_SRC := $(call platform_src,$(wildcard src/portgated/*.c))
SHIM_SRC   := $(call platform_src,$(wildcard src/preload/*.c) $(wildcard src/common/compat-*.c)) \
	src/common/broker.c src/common/fdpass.c src/common/wire.c src/common/spec.c
UNIT_SRC   := $(call platform_src,$(filter-out tests/unit/test-sigsource.c,$(wildcard \
	tests/unit/test-*.c)))
HELPER_SRC := $(call platform_src,$(wildcard tests/helpers/*.c))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz-*.c)

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LIB_OBJ    := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
SHIM_OBJ   := $(SHIM_SRC:%.c=$(B)/shim/%.o)
TAP_OBJ    := $(B)/tests/unit/tap.o
UNIT_BIN   := $(UNIT_SRC:%.c=$(B)/%) $(if $(filter linux,$(PLATFORM)),$(B)/tests/unit/test-shovel-none) \
	      $(SIGSOURCE_IMPLS:%=$(B)/tests/unit/test-sigsource-%)
HELPER_BIN := $(HELPER_SRC:%.c=$(B)/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=$(B)/tests/fuzz/replay-%)

ifeq ($(PLATFORM),linux)
LIBPG_SO := $(B)/libportgate.so.0
SHIM_SO  := $(B)/libportgate-preload.so
else
LIBPG_SO := $(B)/libportgate.dylib
SHIM_SO  := $(B)/libportgate-preload.dylib
endif
PROGRAMS := $(B)/portgate $(if $(DAEMON_SRC),$(B)/portgated) $(if $(wildcard src/preload/*.c),$(SHIM_SO))
TEST_BINS := $(UNIT_BIN) $(HELPER_BIN) $(REPLAY_BIN)

.SECONDARY: $(FUZZ_SRC:%.c=$(B)/%.o) $(UNIT_SRC:%.c=$(B)/%.o) $(HELPER_SRC:%.c=$(B)/%.o) \
	$(B)/tests/unit/test-sigsource.o $(SIGSOURCE_IMPLS:%=$(B)/src/common/sigsource-%.o)
.PHONY: all check check-unit check-fuzz check-integration demo deps install uninstall \
	clean fuzz format lint
.DELETE_ON_ERROR:

all: $(PROGRAMS) $(LIBPG_SO) $(B)/libportgate.a $(B)/portgate.pc

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libpgcommon.a: $(COMMON_OBJ)
	$(call msg,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(B)/libportgate.a: $(LIB_OBJ)
	$(call msg,AR,$@)rm -f $@ && $(AR) rcs $@ $^

ifeq ($(PLATFORM),linux)
$(LIBPG_SO): $(LIB_OBJ) src/lib/libportgate.map
	$(call msg,LD,$@)$(CC) -shared -Wl,-soname,libportgate.so.0 \
		-Wl,--version-script=src/lib/libportgate.map $(ALL_LDFLAGS) -o $@ $(LIB_OBJ)
else
# Mach-O: the install name is where `make install` puts it.  No version
# script: every global of src/lib is exported (Zig's Mach-O linker has no
# -exported_symbols_list); only portgate_* is declared in portgate.h.
$(LIBPG_SO): $(LIB_OBJ)
	$(call msg,LD,$@)$(CC) -dynamiclib -Wl,-install_name,$(LIBDIR)/libportgate.dylib \
		$(ALL_LDFLAGS) -o $@ $(LIB_OBJ)
endif

# Generated again at install time, for the PREFIX given to `make install`.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|'
$(B)/portgate.pc: src/lib/portgate.pc.in Makefile config.mk
	$(call msg,GEN,$@)$(PC_SED) $< > $@

$(B)/portgate: $(CLI_OBJ) $(B)/libpgcommon.a $(B)/libportgate.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) $(PIE) -o $@ $(CLI_OBJ) $(B)/libpgcommon.a \
		$(B)/libportgate.a $(LDLIBS_ALL)

$(B)/portgated: $(DAEMON_OBJ) $(B)/libpgcommon.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) $(PIE) -o $@ $(DAEMON_OBJ) $(B)/libpgcommon.a \
		$(LDLIBS_ALL) $(DAEMON_LDLIBS)

# The shim: position-independent, no sanitizer runtime, only bind() exported.
SHIM_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) -Isrc/common -fPIC -fvisibility=hidden \
	-fstack-protector-strong $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS)) -MMD -MP
$(B)/shim/%.o: %.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(SHIM_CFLAGS) -c -o $@ $<

ifeq ($(PLATFORM),linux)
$(SHIM_SO): $(SHIM_OBJ) src/preload/shim.map
	$(call msg,LD,$@)$(CC) -shared -Wl,--version-script=src/preload/shim.map -Wl,-z,relro,-z,now \
		-o $@ $(SHIM_OBJ) -ldl
else
# DYLD_INSERT_LIBRARIES: bind() is replaced through the __DATA,__interpose
# tuple of interpose-darwin.c, not by exporting a symbol named bind.
$(SHIM_SO): $(SHIM_OBJ)
	$(call msg,LD,$@)$(CC) -dynamiclib -o $@ $(SHIM_OBJ)
endif

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(TAP_OBJ) $(B)/libpgcommon.a $(B)/libportgate.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TAP_OBJ) $(B)/libpgcommon.a \
		$(B)/libportgate.a $(LDLIBS_ALL)

$(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(B)/libpgcommon.a $(B)/libportgate.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libpgcommon.a $(B)/libportgate.a \
		$(LDLIBS_ALL)

$(B)/tests/fuzz/replay-%: $(B)/tests/fuzz/fuzz-%.o $(B)/tests/fuzz/replay-main.o \
		$(B)/libpgcommon.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# One test source, a binary per implementation of sigsource.h: its object comes
# first, so the one in libpgcommon.a is never pulled in.
$(B)/tests/unit/test-sigsource-%: $(B)/tests/unit/test-sigsource.o $(B)/src/common/sigsource-%.o \
		$(TAP_OBJ) $(B)/libpgcommon.a $(B)/libportgate.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/src/common/sigsource-$*.o $(TAP_OBJ) \
		$(B)/libpgcommon.a $(B)/libportgate.a $(LDLIBS_ALL)

$(UNIT_SRC:%.c=$(B)/%.o) $(B)/tests/unit/test-sigsource.o $(TAP_OBJ): ALL_CFLAGS += -Itests/unit

# test-shovel once more, against zerocopy-none.c (the shovel of a platform without
# splice) built with PG_ZEROCOPY_NONE: linked before libpgcommon.a, its functions
# stand in for zerocopy-linux.c's, which the linker then never pulls in.
ZC_NONE_OBJ := $(B)/zc-none/src/proxy/zerocopy-none.o
$(ZC_NONE_OBJ): src/proxy/zerocopy-none.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(ALL_CFLAGS) -DPG_ZEROCOPY_NONE -c -o $@ $<
$(B)/tests/unit/test-shovel-none: $(B)/tests/unit/test-shovel.o $(ZC_NONE_OBJ) $(TAP_OBJ) \
		$(B)/libpgcommon.a $(B)/libportgate.a
	$(call msg,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ZC_NONE_OBJ) $(TAP_OBJ) \
		$(B)/libpgcommon.a $(B)/libportgate.a $(LDLIBS_ALL)

# --- kernel enforcement: the eBPF bind hooks (src/bpf/, issue 4) -----------------
# bind-policy.bpf.c -> clang -target bpf (CO-RE against a vmlinux.h dumped from this
# kernel's BTF) -> bpftool gen object -> bpftool gen skeleton -> included by
# bpf-loader.c, which the portgate CLI links with libbpf.  Needs clang, bpftool,
# libbpf-dev and /sys/kernel/btf/vmlinux (scripts/install-deps.sh).
ifeq ($(PLATFORM),linux)
BPFTOOL ?= bpftool
BPF_ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/; s/ppc64le/powerpc/')
BPF_CFLAGS := -target bpf -mcpu=v3 -g -O2 -Wall -D__TARGET_ARCH_$(BPF_ARCH) -I$(B)/bpf -Isrc/bpf \
	-I/usr/include/$(shell $(CC) -dumpmachine)
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
BPF_LOADER_OBJ := $(B)/src/bpf/bpf-loader.o $(B)/src/bpf/bpf-status.o $(B)/src/bpf/bpf-host.o
$(B)/bpf/vmlinux.h:
	@mkdir -p $(@D)
	$(call msg,GEN,$@)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c >$@
$(B)/bpf/bind-policy.bpf.o: src/bpf/bind-policy.bpf.c src/bpf/bind-policy.h $(B)/bpf/vmlinux.h
	$(call msg,BPF,$@)$(CLANG) $(BPF_CFLAGS) -c -o $(@:.o=.unstripped.o) $< && \
		$(BPFTOOL) gen object $@ $(@:.o=.unstripped.o)
$(B)/bpf/bind-policy.skel.h: $(B)/bpf/bind-policy.bpf.o
	$(call msg,GEN,$@)$(BPFTOOL) gen skeleton $< name bind_policy >$@
$(BPF_LOADER_OBJ): $(B)/bpf/bind-policy.skel.h
$(BPF_LOADER_OBJ): ALL_CFLAGS += -I$(B)/bpf
$(B)/portgate: $(BPF_LOADER_OBJ)
$(B)/portgate: CLI_OBJ += $(BPF_LOADER_OBJ)
$(B)/portgate: LDLIBS_ALL += $(LIBBPF_LIBS)
else
# No kernel path: "portgate status" reads bpf-loader-none.c's answer.
$(B)/portgate: $(B)/src/bpf/bpf-loader-none.o
$(B)/portgate: CLI_OBJ += $(B)/src/bpf/bpf-loader-none.o
endif

# --- macOS, cross-built here with Zig (issue 12) -------------------------------
# `make macos` builds everything for macOS into .build/macos-arm64 and
# .build/macos-x86_64: a make of its own per architecture with PLATFORM=darwin
# and Zig's C compiler, which links Mach-O against the macOS SDK headers and
# libSystem stubs it ships (scripts/install-zig.sh installs the pinned Zig).
# Built, not run: tests/integration/t0800-macos-build.sh checks the results.
MACOS_ARCHS := arm64 x86_64
zig_arch = $(patsubst arm64,aarch64,$(1))
.PHONY: macos macos-all $(MACOS_ARCHS:%=macos-%)
macos: $(MACOS_ARCHS:%=macos-%)
$(MACOS_ARCHS:%=macos-%): macos-%:
	$(Q)zig=$$(scripts/install-zig.sh) && \
		$(MAKE) --no-print-directory PLATFORM=darwin B=.build/macos-$* SANITIZE= WERROR=1 \
		CC="$$zig/zig cc -target $(call zig_arch,$*)-macos" AR="$$zig/zig ar" macos-all

# What a Mac's `make` builds, and the unit tests (for a Mac to run).
macos-all: all $(UNIT_BIN) $(B)/launch_socket_server $(B)/include/portgate.h
$(B)/launch_socket_server: $(B)/portgate
	$(call msg,LN,$@)ln -sf portgate $@
$(B)/include/portgate.h: include/portgate.h
	@mkdir -p $(@D)
	$(call msg,CP,$@)cp $< $@

# --- tests -------------------------------------------------------------------
PROVE := prove --failures --source Executable
deps:
	$(Q)scripts/install-deps.sh

# Zig too (scripts/install-zig.sh, network needed): t0800 cross-builds for macOS
# inside its own network namespace, where nothing can be fetched.
check: deps
	$(Q)scripts/install-zig.sh >/dev/null
	$(Q)$(MAKE) --no-print-directory all-tests
	$(Q)$(MAKE) --no-print-directory check-unit check-fuzz check-integration

.PHONY: all-tests
all-tests: all $(TEST_BINS)

check-unit: all-tests
	$(Q)$(PROVE) $(UNIT_BIN)

check-fuzz: all-tests
	$(Q)set -e; for t in $(REPLAY_BIN); do \
		n=$${t##*/replay-}; echo "fuzz replay: $$n"; \
		$$t tests/fuzz/corpus/$$n; done

check-integration: all-tests
	$(Q)PORTGATE_BUILD=$(abspath $(B)) PORTGATE_SRC=$(CURDIR) \
		$(PROVE) $(sort $(wildcard tests/integration/t[0-9]*.sh))

demo: deps all
	$(Q)PORTGATE_BUILD=$(abspath $(B)) scripts/demo.sh

# --- fuzzing with libFuzzer (clang) --------------------------------------------
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=.build/fuzz/fuzz-%)
fuzz: $(FUZZ_BIN)
.build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(COMMON_SRC) $(wildcard src/common/*.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -Isrc/common \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(filter %.c,$^) -lacl

# --- install -------------------------------------------------------------------
# launch_socket_server -> portgate: relative on Linux (GNU realpath), absolute
# on macOS, whose realpath has no --relative-to.
ifeq ($(PLATFORM),linux)
SELF_LINK = $(shell realpath -m --relative-to=$(SBINDIR) $(BINDIR)/portgate)
else
SELF_LINK = $(BINDIR)/portgate
endif
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 0755 $(B)/portgate $(DESTDIR)$(BINDIR)/portgate
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/portgate $(DESTDIR)$(MANDIR)/man8 \
		$(if $(filter linux,$(PLATFORM)),$(DESTDIR)$(SYSTEMDUNITDIR))
	# Where launch_socket_server's own make install puts it, and plists name it.
	ln -sf $(SELF_LINK) $(DESTDIR)$(SBINDIR)/launch_socket_server
	install -m 0755 $(B)/portgated $(DESTDIR)$(SBINDIR)/portgated
	install -m 0644 $(SHIM_SO) $(DESTDIR)$(LIBDIR)/portgate/$(notdir $(SHIM_SO))
	install -m 0644 man/portgated.8 $(DESTDIR)$(MANDIR)/man8/portgated.8
	install -m 0644 man/portgate-preload.8 $(DESTDIR)$(MANDIR)/man8/portgate-preload.8
ifeq ($(PLATFORM),linux)
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/systemd/portgated.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/portgated.service
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/portgate-kernel-watch.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/portgate-kernel-watch.service
	install -m 0644 $(LIBPG_SO) $(DESTDIR)$(LIBDIR)/libportgate.so.0
	ln -sf libportgate.so.0 $(DESTDIR)$(LIBDIR)/libportgate.so
else
	install -m 0644 $(LIBPG_SO) $(DESTDIR)$(LIBDIR)/libportgate.dylib
endif
	install -m 0644 $(B)/libportgate.a $(DESTDIR)$(LIBDIR)/libportgate.a
	install -m 0644 include/portgate.h $(DESTDIR)$(INCLUDEDIR)/portgate.h
	$(PC_SED) src/lib/portgate.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/portgate.pc
	install -m 0644 man/portgate.1 $(DESTDIR)$(MANDIR)/man1/portgate.1
	ln -sf portgate.1 $(DESTDIR)$(MANDIR)/man1/launch_socket_server.1
	install -m 0644 man/portgate_listen_fds.3 $(DESTDIR)$(MANDIR)/man3/portgate_listen_fds.3
	install -m 0644 man/portgate.conf.5 $(DESTDIR)$(MANDIR)/man5/portgate.conf.5
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	# No install -D: macOS's install(1) has none.
	install -d $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 etc/portgate.conf.example $(DESTDIR)$(DOCDIR)/examples/portgate.conf
	install -m 0644 contrib/bash-completion/portgate \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/portgate

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/portgated $(DESTDIR)$(MANDIR)/man8/portgated.8 \
		$(DESTDIR)$(MANDIR)/man8/portgate-preload.8 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/portgated.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/portgate-kernel-watch.service
	rm -rf $(DESTDIR)$(LIBDIR)/portgate
	rm -f $(DESTDIR)$(BINDIR)/portgate $(DESTDIR)$(SBINDIR)/launch_socket_server \
		$(DESTDIR)$(LIBDIR)/libportgate.so* $(DESTDIR)$(LIBDIR)/libportgate.dylib \
		$(DESTDIR)$(LIBDIR)/libportgate.a $(DESTDIR)$(INCLUDEDIR)/portgate.h \
		$(DESTDIR)$(PKGCONFIGDIR)/portgate.pc $(DESTDIR)$(MANDIR)/man1/portgate.1 \
		$(DESTDIR)$(MANDIR)/man1/launch_socket_server.1 \
		$(DESTDIR)$(MANDIR)/man3/portgate_listen_fds.3 \
		$(DESTDIR)$(MANDIR)/man5/portgate.conf.5
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/portgate
	rm -rf $(DESTDIR)$(DOCDIR)

# --- housekeeping ----------------------------------------------------------------
format:
	clang-format -i $(wildcard src/*/*.[ch] tests/*/*.[ch] include/*.h bench/*.c)

lint:
	clang-format --dry-run --Werror $(wildcard src/*/*.[ch] tests/*/*.[ch] include/*.h bench/*.c)
	shellcheck -x scripts/*.sh tests/integration/*.sh bench/*.sh .ci/run
	scripts/check-spdx.sh

clean:
	rm -rf .build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
