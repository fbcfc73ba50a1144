/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tap.h - a tiny Test Anything Protocol producer for the C unit tests.
 * Each test program prints "ok N - name" / "not ok N - name" and a plan at the
 * end; prove(1) runs them.
 */
#ifndef PG_TAP_H
#define PG_TAP_H

#include <stdbool.h>

#include "macro.h"

void tap_ok(bool pass, const char *file, int line, const char *fmt, ...) _printf_(4, 5);
void tap_diag(const char *fmt, ...) _printf_(1, 2);
void tap_skip(const char *reason, const char *fmt, ...) _printf_(2, 3);
/* Prints the plan and returns the exit status: 0 if every test passed. */
int tap_done(void);

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long _g = (long long)(got), _w = (long long)(want);                           \
		tap_ok(_g == _w, __FILE__, __LINE__, __VA_ARGS__);                                 \
		if (_g != _w)                                                                      \
			tap_diag("  got %lld, want %lld", _g, _w);                                 \
	} while (0)
#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *_g = (got), *_w = (want);                                              \
		bool _p = _g && _w && strcmp(_g, _w) == 0;                                         \
		tap_ok(_p, __FILE__, __LINE__, __VA_ARGS__);                                       \
		if (!_p)                                                                           \
			tap_diag("  got '%s', want '%s'", _g ? _g : "(null)", _w ? _w : "(null)"); \
	} while (0)

#endif
