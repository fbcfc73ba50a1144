// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-proxyproto.c - the PROXY protocol header builder: byte-exact v1 and v2
 * headers for IPv4, IPv6 and IPv4-mapped clients, the UNKNOWN/LOCAL fallback,
 * short buffers and bad versions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../../src/proxy/proxyproto.h"
#include "tap.h"

static struct sockaddr_storage
mkaddr(const char *host, unsigned port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		ss.ss_family = AF_UNIX;
	}
	return ss;
}

static int
build(enum pg_proxyproto v, const char *s, unsigned sp, const char *d, unsigned dp, char *buf,
      size_t size)
{
	struct sockaddr_storage a = mkaddr(s, sp), b = mkaddr(d, dp);

	return pg_proxyproto_build(v, (struct sockaddr *)&a, (struct sockaddr *)&b, buf, size);
}

static void
check_v1(const char *s, unsigned sp, const char *d, unsigned dp, const char *want, const char *name)
{
	char buf[PG_PROXYPROTO_MAX + 1];
	int n = build(PG_PROXYPROTO_V1, s, sp, d, dp, buf, PG_PROXYPROTO_MAX);

	is_int(n, (int)strlen(want), "v1 %s: length", name);
	if (n >= 0) {
		buf[n] = '\0';
		is_str(buf, want, "v1 %s: text", name);
	}
}

static void
check_v2(const char *s, unsigned sp, const char *d, unsigned dp, const unsigned char *want,
	 size_t wlen, const char *name)
{
	char buf[PG_PROXYPROTO_MAX];
	int n = build(PG_PROXYPROTO_V2, s, sp, d, dp, buf, sizeof(buf));

	is_int(n, (int)wlen, "v2 %s: length", name);
	ok(n == (int)wlen && memcmp(buf, want, wlen) == 0, "v2 %s: bytes", name);
}

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

int
main(void)
{
	static const unsigned char v2_v4[] = { SIG, 0x21, 0x11, 0x00, 0x0c, 192,  0,	2,   1,
					       127, 0,	  0,	1,    0xd4, 0x31, 0x00, 0x50 };
	static const unsigned char v2_v6[] = { SIG, 0x21, 0x21, 0x00, 0x24, 0x20, 0x01, 0x0d, 0xb8,
					       0,   0,	  0,	0,    0,    0,	  0,	0,    0,
					       0,   0,	  1,	0,    0,    0,	  0,	0,    0,
					       0,   0,	  0,	0,    0,    0,	  0,	0,    0,
					       1,   0xff, 0xff, 0x01, 0xbb };
	static const unsigned char v2_local[] = { SIG, 0x20, 0x00, 0x00, 0x00 };
	char buf[PG_PROXYPROTO_MAX];

	check_v1("192.0.2.1", 54321, "127.0.0.1", 80, "PROXY TCP4 192.0.2.1 127.0.0.1 54321 80\r\n",
		 "IPv4");
	check_v1("2001:db8::1", 65535, "::1", 443, "PROXY TCP6 2001:db8::1 ::1 65535 443\r\n",
		 "IPv6");
	check_v1("::ffff:192.0.2.1", 54321, "::ffff:127.0.0.1", 80,
		 "PROXY TCP4 192.0.2.1 127.0.0.1 54321 80\r\n", "IPv4-mapped");
	check_v1("unix", 0, "unix", 0, "PROXY UNKNOWN\r\n", "UNIX listener");
	check_v1("192.0.2.1", 1, "::1", 2, "PROXY UNKNOWN\r\n", "mixed families");
	check_v1("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535,
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		 "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe "
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		 "longest (107 bytes)");

	check_v2("192.0.2.1", 54321, "127.0.0.1", 80, v2_v4, sizeof(v2_v4), "IPv4");
	check_v2("2001:db8::1", 65535, "::1", 443, v2_v6, sizeof(v2_v6), "IPv6");
	check_v2("::ffff:192.0.2.1", 54321, "::ffff:127.0.0.1", 80, v2_v4, sizeof(v2_v4),
		 "IPv4-mapped");
	check_v2("unix", 0, "unix", 0, v2_local, sizeof(v2_local), "UNIX listener (LOCAL)");

	is_int(build(PG_PROXYPROTO_V1, "192.0.2.1", 1, "127.0.0.1", 2, buf, 20), -ENOBUFS,
	       "v1: a short buffer is -ENOBUFS");
	is_int(build(PG_PROXYPROTO_V2, "2001:db8::1", 1, "::1", 2, buf, 51), -ENOBUFS,
	       "v2: a short buffer is -ENOBUFS");
	is_int(build(PG_PROXYPROTO_NONE, "192.0.2.1", 1, "127.0.0.1", 2, buf, sizeof(buf)), -EINVAL,
	       "no version is -EINVAL");
	is_int(pg_proxyproto_build(PG_PROXYPROTO_V1, NULL, NULL, buf, sizeof(buf)), 15,
	       "no addresses: PROXY UNKNOWN");
	return tap_done();
}
