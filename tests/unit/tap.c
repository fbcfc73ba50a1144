// SPDX-License-Identifier: BSD-2-Clause
/*
 * tap.c - TAP output for the C unit tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int tests, failures;

void
tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!pass)
		failures++;
	printf("%sok %d - ", pass ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	tests++;
	printf("ok %d - ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
}

int
tap_done(void)
{
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
