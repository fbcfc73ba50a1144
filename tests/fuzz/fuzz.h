/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz.h - the libFuzzer entry points every tests/fuzz/fuzz-NAME.c defines.
 * Linked with libFuzzer by `make fuzz`, or with replay-main.c by `make check`.
 */
#ifndef PG_FUZZ_H
#define PG_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional: called once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * An invariant of the code under test does not hold.  Say which and abort, so
 * that libFuzzer keeps the input and the replay fails; never compiled out.
 */
static inline void _noreturn_ _printf_(1, 2) fuzz_bug(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: BUG: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#endif
