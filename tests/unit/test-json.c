// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-json.c - the --json writer: layout, escapes, bytes that are not UTF-8
 * (U+FFFD), and misuse reported instead of written silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

struct buf {
	char *text;
	size_t len;
	FILE *f;
};

static void
buf_open(struct buf *b, struct pg_json *j)
{
	b->text = NULL;
	b->f = open_memstream(&b->text, &b->len);
	pg_json_init(j, b->f);
}

static int
buf_close(struct buf *b, struct pg_json *j)
{
	int r = pg_json_finish(j);

	fclose(b->f);
	return r;
}

/* One string value written as the whole document. */
static char *
encode(const char *s)
{
	struct pg_json j;
	struct buf b;

	buf_open(&b, &j);
	pg_json_string(&j, NULL, s);
	(void)buf_close(&b, &j);
	return b.text;
}

static void
test_layout(void)
{
	struct pg_json j;
	struct buf b;
	int r;

	buf_open(&b, &j);
	pg_json_begin_object(&j, NULL);
	pg_json_string(&j, "user", "alice");
	pg_json_int(&j, "uid", 1001);
	pg_json_bool(&j, "allowed", false);
	pg_json_null(&j, "rule");
	pg_json_begin_array(&j, "list");
	pg_json_int(&j, NULL, -1);
	pg_json_begin_object(&j, NULL);
	pg_json_end_object(&j);
	pg_json_begin_array(&j, NULL);
	pg_json_end_array(&j);
	pg_json_end_array(&j);
	pg_json_string(&j, "none", NULL);
	pg_json_end_object(&j);
	r = buf_close(&b, &j);
	is_int(r, 0, "a well-formed document finishes with 0");
	is_str(b.text,
	       "{\n  \"user\": \"alice\",\n  \"uid\": 1001,\n  \"allowed\": false,\n"
	       "  \"rule\": null,\n  \"list\": [\n    -1,\n    {},\n    []\n  ],\n"
	       "  \"none\": null\n}\n",
	       "members, commas, nesting and indentation");
	free(b.text);
}

/* JSON Lines: the same document on one line. */
static void
test_compact(void)
{
	struct pg_json j;
	struct buf b;
	int r;

	b.text = NULL;
	b.f = open_memstream(&b.text, &b.len);
	pg_json_init_compact(&j, b.f);
	pg_json_begin_object(&j, NULL);
	pg_json_string(&j, "user", "alice\n");
	pg_json_begin_array(&j, "list");
	pg_json_int(&j, NULL, 1);
	pg_json_begin_object(&j, NULL);
	pg_json_end_object(&j);
	pg_json_end_array(&j);
	pg_json_end_object(&j);
	r = buf_close(&b, &j);
	is_int(r, 0, "a compact document finishes with 0");
	is_str(b.text, "{\"user\": \"alice\\n\", \"list\": [1, {}]}\n",
	       "compact: one line, \", \" between members, a newline at the end");
	free(b.text);
}

static void
test_escapes(void)
{
	static const struct {
		const char *in, *out, *name;
	} cases[] = {
		{ "plain", "\"plain\"\n", "plain text" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"\n", "quote and backslash" },
		{ "l1\nl2\tx", "\"l1\\nl2\\tx\"\n", "newline and tab" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"\n", "control characters" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n", "UTF-8 passes through" },
		{ "a\xff"
		  "b",
		  "\"a\\ufffdb\"\n", "a stray byte becomes U+FFFD" },
		{ "\xc3", "\"\\ufffd\"\n", "a cut sequence at the end" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"\n", "an overlong form" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"\n", "a UTF-16 surrogate" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"\n", "beyond U+10FFFF" },
		{ "", "\"\"\n", "the empty string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = encode(cases[i].in);

		is_str(got, cases[i].out, "%s", cases[i].name);
		free(got);
	}
}

static void
test_misuse(void)
{
	struct pg_json j;
	struct buf b;

	buf_open(&b, &j);
	pg_json_begin_object(&j, NULL);
	pg_json_int(&j, NULL, 1);
	pg_json_end_object(&j);
	is_int(buf_close(&b, &j), -EINVAL, "a member without a key in an object is misuse");
	free(b.text);

	buf_open(&b, &j);
	pg_json_begin_array(&j, NULL);
	pg_json_int(&j, "k", 1);
	pg_json_end_array(&j);
	is_int(buf_close(&b, &j), -EINVAL, "a key in an array is misuse");
	free(b.text);

	buf_open(&b, &j);
	pg_json_begin_array(&j, NULL);
	pg_json_end_object(&j);
	is_int(buf_close(&b, &j), -EINVAL, "ending an object that is an array is misuse");
	free(b.text);

	buf_open(&b, &j);
	pg_json_begin_object(&j, NULL);
	is_int(buf_close(&b, &j), -EINVAL, "an object left open is misuse");
	free(b.text);

	buf_open(&b, &j);
	for (int i = 0; i < PG_JSON_MAX_DEPTH + 1; i++)
		pg_json_begin_array(&j, NULL);
	for (int i = 0; i < PG_JSON_MAX_DEPTH; i++)
		pg_json_end_array(&j);
	is_int(buf_close(&b, &j), -EINVAL, "nesting past the limit is misuse");
	free(b.text);
}

int
main(void)
{
	test_layout();
	test_compact();
	test_escapes();
	test_misuse();
	return tap_done();
}
