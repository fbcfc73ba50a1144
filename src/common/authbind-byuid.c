// SPDX-License-Identifier: BSD-2-Clause
/*
 * authbind-byuid.c - the lines of /etc/authbind/byuid/UID as authbind 2.1.3's helper
 * reads and matches them (fgets() of 298 bytes, sscanf() formats, inet_pton() per
 * address family), turned into what each line grants: one address range and one
 * port range per family.  pg_authbind_eval() matches binds against these ranges and
 * the kernel path compiles them into its maps, so both use one reading of a line.
 * Trust: byuid text is untrusted input (bounded lines and reads).
 * Library code: returns -errno, never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authbind.h"
#include "macro.h"

/*
 * A cursor over one NUL-terminated line, reproducing glibc sscanf() directives in
 * the C locale (the helper never calls setlocale()).
 */
struct scan {
	const char *s;
	size_t i;
};

static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* A ' ' directive: any amount of white space, including none. */
static void
scan_space(struct scan *sc)
{
	while (is_space(sc->s[sc->i]))
		sc->i++;
}

/* An ordinary character in the format: must match exactly, no white space skipped. */
static bool
scan_char(struct scan *sc, char c)
{
	if (sc->s[sc->i] != c)
		return false;
	sc->i++;
	return true;
}

/*
 * %u: white space, an optional sign, decimal digits, converted by strtoul() (so
 * "-1" is ULONG_MAX and an overflow saturates) and stored in an unsigned int (the
 * low 32 bits: "4294967376" is 80).
 */
static bool
scan_uint(struct scan *sc, unsigned *ret)
{
	unsigned long v = 0;
	bool neg = false, over = false;
	size_t digits = 0;

	scan_space(sc);
	if (sc->s[sc->i] == '+' || sc->s[sc->i] == '-')
		neg = sc->s[sc->i++] == '-';
	for (; sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9'; sc->i++, digits++) {
		unsigned d = (unsigned)(sc->s[sc->i] - '0');

		if (v > (ULONG_MAX - d) / 10)
			over = true;
		else if (!over)
			v = v * 10 + d;
	}
	if (digits == 0)
		return false;
	if (over)
		v = ULONG_MAX;
	else if (neg)
		v = -v;
	*ret = (unsigned)v;
	return true;
}

/* A trailing " %n" compared with strlen(): the whole line must have been consumed. */
static bool
scan_end(struct scan *sc)
{
	scan_space(sc);
	return sc->s[sc->i] == '\0';
}

/* " %u-%u %n", else " %u %n" (then max = min). */
static bool
scan_ports(const char *s, unsigned *pmin, unsigned *pmax)
{
	struct scan sc = { s, 0 };

	if (scan_uint(&sc, pmin) && scan_char(&sc, '-') && scan_uint(&sc, pmax) && scan_end(&sc))
		return true;
	sc.i = 0;
	if (scan_uint(&sc, pmin) && scan_end(&sc)) {
		*pmax = *pmin;
		return true;
	}
	return false;
}

/* Format (c), IPv4 only: " %u.%u.%u.%u/%u: %u,%u %n" consuming the whole line. */
static bool
scan_legacy(const char *s, unsigned a[4], unsigned *alen, unsigned *pmin, unsigned *pmax)
{
	struct scan sc = { s, 0 };

	return scan_uint(&sc, &a[0]) && scan_char(&sc, '.') && scan_uint(&sc, &a[1]) &&
	       scan_char(&sc, '.') && scan_uint(&sc, &a[2]) && scan_char(&sc, '.') &&
	       scan_uint(&sc, &a[3]) && scan_char(&sc, '/') && scan_uint(&sc, alen) &&
	       scan_char(&sc, ':') && scan_uint(&sc, pmin) && scan_char(&sc, ',') &&
	       scan_uint(&sc, pmax) && scan_end(&sc);
}

static void
line_err(struct pg_authbind_line_error *err, const char *line, const char *at, const char *msg)
{
	if (err == NULL)
		return;
	err->col = (unsigned)(at - line) + 1;
	(void)snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

/*
 * addr/len as the helper matches it, byte by byte: (addr[i] & mask[i]) == net[i].
 * len was read with %u into an int, so values of 2^31 and up are negative there; the
 * helper then shifts 0xff by that negative count.  That is undefined in C, but the
 * amd64 package masks the count to 5 bits (checked: "127.0.0.0/4294967295,80" grants
 * 127.1.2.3:80), and we reproduce it so that the same lines match.  Lengths beyond
 * the address size (33 for IPv4) never match, nor does a net with bits set beyond
 * the mask.  The masks always form a prefix, so what matches is the range from net
 * to net with every bit beyond the mask set.
 */
static bool
prefix_range(const uint8_t *net, size_t alen, unsigned len, struct pg_authbind_range *r)
{
	int remain = len > INT_MAX ? (int)(len - (unsigned)INT_MAX - 1u) + INT_MIN : (int)len;

	for (size_t i = 0; i < alen; i++) {
		int bits = remain < 8 ? remain : 8;
		unsigned mask = 0xffu ^ (0xffu >> ((unsigned)bits & 31u));

		remain -= bits;
		if ((net[i] & ~mask & 0xffu) != 0)
			return false;
		r->lo[i] = net[i];
		r->hi[i] = (uint8_t)(net[i] | (~mask & 0xffu));
	}
	return remain == 0;
}

bool
pg_authbind_line_range(const char *line, int family, struct pg_authbind_range *r,
		       struct pg_authbind_line_error *err)
{
	size_t alen = family == AF_INET ? 4 : 16;
	char s[PG_AUTHBIND_LINE_MAX + 1];
	unsigned pmin, pmax;
	char *comma, *slash, *hyphen;

	memset(r, 0, sizeof(*r));
	r->family = family;
	(void)snprintf(s, sizeof(s), "%s", line);
	if (family == AF_INET) {
		unsigned a[4], len;

		if (scan_legacy(s, a, &len, &pmin, &pmax)) {
			uint32_t net, mask;

			if (len > 32 || pmin > 0xffff || pmax > 0xffff || a[0] > 0xff ||
			    a[1] > 0xff || a[2] > 0xff || a[3] > 0xff) {
				line_err(err, s, s,
					 "a number out of range in A.B.C.D/LEN: PORT,PORT");
				return false;
			}
			net = (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
			mask = len ? UINT32_MAX << (32 - len) : 0;
			if ((net & ~mask) != 0) {
				line_err(err, s, strchr(s, '/'),
					 "the address has bits set beyond its prefix length");
				return false;
			}
			for (int i = 0; i < 4; i++) {
				r->lo[i] = (uint8_t)(net >> (24 - 8 * i));
				r->hi[i] = (uint8_t)((net | ~mask) >> (24 - 8 * i));
			}
			goto ports;
		}
	}

	comma = strchr(s, ',');
	if (comma == NULL) {
		line_err(err, s, s, "no ',' between the address and the port");
		return false;
	}
	*comma++ = '\0';
	slash = strchr(s, '/');
	hyphen = strchr(s, '-');
	if (slash != NULL && hyphen != NULL) {
		line_err(err, s, hyphen, "an address with both '/' and '-'");
		return false;
	}
	if (slash != NULL) {
		struct scan sc = { slash + 1, 0 };
		uint8_t net[16];
		unsigned len;

		*slash = '\0';
		if (!scan_uint(&sc, &len) || !scan_end(&sc)) {
			line_err(err, s, slash + 1, "the prefix length is not a number");
			return false;
		}
		if (inet_pton(family, s, net) != 1) {
			line_err(err, s, s,
				 family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
			return false;
		}
		if (!prefix_range(net, alen, len, r)) {
			line_err(err, s, slash + 1,
				 "a prefix length too long, or bits set beyond it");
			return false;
		}
	} else {
		const char *max = s;

		if (hyphen != NULL) {
			*hyphen = '\0';
			max = hyphen + 1;
		}
		if (inet_pton(family, s, r->lo) != 1 || inet_pton(family, max, r->hi) != 1) {
			line_err(err, s, inet_pton(family, s, r->lo) != 1 ? s : max,
				 family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
			return false;
		}
		if (memcmp(r->lo, r->hi, alen) > 0) {
			line_err(err, s, s, "the address range is empty (first > last)");
			return false;
		}
	}
	if (!scan_ports(comma, &pmin, &pmax)) {
		line_err(err, s, comma, "not a port or PORT-PORT");
		return false;
	}
ports:
	if (pmin > 0xffff || pmin > pmax) {
		line_err(err, s, s, "the port range is empty or out of range");
		return false;
	}
	r->port_lo = (uint16_t)pmin;
	r->port_hi = (uint16_t)(pmax > 0xffff ? 0xffff : pmax);
	return true;
}

bool
pg_authbind_range_covers(const struct pg_authbind_range *r, const struct pg_bind *b)
{
	size_t alen = b->family == AF_INET ? 4 : 16;

	return r->family == b->family && b->port >= r->port_lo && b->port <= r->port_hi &&
	       memcmp(b->addr, r->lo, alen) >= 0 && memcmp(b->addr, r->hi, alen) <= 0;
}

int
pg_authbind_read_line(struct pg_authbind_reader *rd, char out[static PG_AUTHBIND_LINE_MAX + 1],
		      size_t *ret_len)
{
	size_t n = 0;

	while (n < PG_AUTHBIND_LINE_MAX) {
		char c;

		if (rd->start == rd->end) {
			ssize_t k;

			if (rd->eof)
				break;
			if (rd->total >= PG_AUTHBIND_BYUID_MAX)
				return -EFBIG;
			k = RETRY_EINTR(read(rd->fd, rd->buf, sizeof(rd->buf)));
			if (k < 0)
				return errno;
			if (k == 0) {
				rd->eof = true;
				break;
			}
			rd->start = 0;
			rd->end = (size_t)k;
			rd->total += (size_t)k;
		}
		c = rd->buf[rd->start++];
		out[n++] = c;
		if (c == '\n')
			break;
	}
	out[n] = '\0';
	*ret_len = n;
	return 0;
}
