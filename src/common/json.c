// SPDX-License-Identifier: BSD-2-Clause
/*
 * json.c - the streaming JSON writer of json.h.  Library code: never logs.
 */
#include <errno.h>
#include <string.h>

#include "json.h"

void
pg_json_init(struct pg_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void
pg_json_init_compact(struct pg_json *j, FILE *f)
{
	pg_json_init(j, f);
	j->compact = true;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void
put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	fputc('"', f);
	while (n > 0) {
		size_t len = utf8_len(p, n);

		if (len == 0) {
			fputs("\\ufffd", f);
			len = 1;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
	fputc('"', f);
}

/* The separator, indentation and key before a value. */
static void
member(struct pg_json *j, const char *key)
{
	bool want_key = j->depth > 0 && !j->in_array[j->depth - 1];

	if (want_key != (key != NULL))
		j->misuse = true;
	if (j->depth > 0) {
		if (j->has_member[j->depth - 1])
			fputs(j->compact ? ", " : ",", j->f);
		j->has_member[j->depth - 1] = true;
		if (!j->compact)
			fprintf(j->f, "\n%*s", 2 * j->depth, "");
	}
	if (key != NULL && want_key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void
begin(struct pg_json *j, const char *key, bool array)
{
	member(j, key);
	fputc(array ? '[' : '{', j->f);
	if (j->depth == PG_JSON_MAX_DEPTH) {
		j->misuse = true;
		return;
	}
	j->in_array[j->depth] = array;
	j->has_member[j->depth] = false;
	j->depth++;
}

static void
end(struct pg_json *j, bool array)
{
	if (j->depth == 0 || j->in_array[j->depth - 1] != array) {
		j->misuse = true;
		return;
	}
	j->depth--;
	if (j->has_member[j->depth] && !j->compact)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(array ? ']' : '}', j->f);
}

void
pg_json_begin_object(struct pg_json *j, const char *key)
{
	begin(j, key, false);
}

void
pg_json_end_object(struct pg_json *j)
{
	end(j, false);
}

void
pg_json_begin_array(struct pg_json *j, const char *key)
{
	begin(j, key, true);
}

void
pg_json_end_array(struct pg_json *j)
{
	end(j, true);
}

void
pg_json_string(struct pg_json *j, const char *key, const char *value)
{
	member(j, key);
	if (value == NULL)
		fputs("null", j->f);
	else
		put_string(j->f, value);
}

void
pg_json_int(struct pg_json *j, const char *key, long long value)
{
	member(j, key);
	fprintf(j->f, "%lld", value);
}

void
pg_json_bool(struct pg_json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void
pg_json_null(struct pg_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

int
pg_json_finish(struct pg_json *j)
{
	fputc('\n', j->f);
	if (j->misuse || j->depth != 0)
		return -EINVAL;
	return fflush(j->f) == 0 && !ferror(j->f) ? 0 : -EIO;
}
