// SPDX-License-Identifier: BSD-2-Clause
/*
 * interpose-darwin.c - how the shim replaces bind() and listen() on macOS.  dyld does not
 * let a library inserted with DYLD_INSERT_LIBRARIES override a libSystem
 * function by exporting the same name (two-level namespace); it reads
 * (replacement, original) pairs from the image's __DATA,__interpose section
 * instead and sends every other image's calls of the original to the
 * replacement.  Calls from this image itself are left alone, so shim.c's
 * pg_shim_bind() reaches the real bind() simply by calling bind(), and
 * pg_shim_listen() the real listen().
 */
#include <sys/socket.h>

#include "preload.h"

struct pg_interpose {
	const void *replacement;
	const void *original;
};

/* One (replacement, original) pair per function the shim replaces. */
__attribute__((used,
	       section("__DATA,__interpose"))) static const struct pg_interpose pg_interpose[] = {
	{ (const void *)pg_shim_bind, (const void *)bind },
	{ (const void *)pg_shim_listen, (const void *)listen },
};
