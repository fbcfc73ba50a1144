/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * preload.h - the contract between `portgate exec` and the bind() shim it
 * preloads: the library's file name and the environment variables they share.
 * portgate-preload(8) documents them.
 */
#ifndef PG_PRELOAD_H
#define PG_PRELOAD_H

/*
 * The shim's file name, in the build tree next to portgate and in PG_PKGLIBDIR,
 * and the variable the dynamic loader reads it from (macOS: dyld, which ignores
 * it for programs protected by System Integrity Protection).
 */
#ifdef __APPLE__
#define PG_PRELOAD_LIB "libportgate-preload.dylib"
#define PG_PRELOAD_VAR "DYLD_INSERT_LIBRARIES"
#else
#define PG_PRELOAD_LIB "libportgate-preload.so"
#define PG_PRELOAD_VAR "LD_PRELOAD"
#endif

/* The shim's path as it appears in LD_PRELOAD: how it finds itself to leave. */
#define PG_PRELOAD_ENV "PORTGATE_PRELOAD"

/*
 * How many more generations of exec'd programs get the shim: unset, empty or
 * "y" means all of them (deep); N >= 1 means this program and N-1 more.
 */
#define PG_PRELOAD_LEVELS_ENV "PORTGATE_PRELOAD_LEVELS"
#define PG_PRELOAD_DEEP	      "y"

/* The shim's bind(): named bind where the loader finds it by name (ld.so). */
#ifdef __APPLE__
#include <sys/socket.h>
#define PG_SHIM_BIND   pg_shim_bind
#define PG_SHIM_LISTEN pg_shim_listen
int pg_shim_bind(int fd, const struct sockaddr *sa, socklen_t len);
int pg_shim_listen(int fd, int backlog);
#else
#define PG_SHIM_BIND   bind
#define PG_SHIM_LISTEN listen
#endif

/* Set (non-empty): the shim writes one line to stderr per bind() it sees refused. */
#define PG_PRELOAD_DEBUG_ENV "PORTGATE_DEBUG"

#endif
