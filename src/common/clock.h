/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clock.h - CLOCK_MONOTONIC in microseconds and milliseconds, for timeouts,
 * deadlines and polls.  Header-only, so the preload shim (which links only a
 * few files of libpgcommon) has it too.
 */
#ifndef PG_CLOCK_H
#define PG_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
pg_now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static inline uint64_t
pg_now_ms(void)
{
	return pg_now_us() / 1000;
}

#endif
