/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json.h - a streaming JSON writer for the CLI's --json output: objects and
 * arrays nest, commas and indentation are placed for the caller, strings are
 * escaped, and bytes that are not UTF-8 become U+FFFD, so the output is valid
 * JSON whatever a file name or a user name holds.
 *
 *	struct pg_json j;
 *	pg_json_init(&j, stdout);
 *	pg_json_begin_object(&j, NULL);
 *	pg_json_string(&j, "user", "alice");
 *	pg_json_begin_array(&j, "verdicts");
 *	...
 *	pg_json_end_array(&j);
 *	pg_json_end_object(&j);
 *	r = pg_json_finish(&j);
 *
 * key is the member's name inside an object and NULL inside an array or at the
 * top.  Misuse (too deep, a key in an array, ending what is not open) is
 * remembered and reported by pg_json_finish() as -EINVAL.
 * Library code: never logs.
 */
#ifndef PG_JSON_H
#define PG_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PG_JSON_MAX_DEPTH 16

struct pg_json {
	FILE *f;
	int depth;
	bool in_array[PG_JSON_MAX_DEPTH];
	bool has_member[PG_JSON_MAX_DEPTH];
	bool misuse;
	bool compact; /* one line: no newlines or indentation inside the document */
};

void pg_json_init(struct pg_json *j, FILE *f);
/* The same, for one document per line (JSON Lines): {"a": 1, "b": [2, 3]} */
void pg_json_init_compact(struct pg_json *j, FILE *f);
void pg_json_begin_object(struct pg_json *j, const char *key);
void pg_json_end_object(struct pg_json *j);
void pg_json_begin_array(struct pg_json *j, const char *key);
void pg_json_end_array(struct pg_json *j);
void pg_json_string(struct pg_json *j, const char *key, const char *value); /* NULL: null */
void pg_json_int(struct pg_json *j, const char *key, long long value);
void pg_json_bool(struct pg_json *j, const char *key, bool value);
void pg_json_null(struct pg_json *j, const char *key);

/* Ends the document with a newline; 0, -EINVAL for misuse, -EIO if writing failed. */
int pg_json_finish(struct pg_json *j);

#endif
