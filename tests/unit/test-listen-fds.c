// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-listen-fds.c - both sides of the socket activation protocol: the
 * receiver portgate_listen_fds() and the sender's pg_listen_fds_place(),
 * pg_listen_env_format() and pg_fdname_is_valid().  The placement tests run in
 * a child that execs this program again ("--list-fds") to see what survived.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "listen-fds-send.h"
#include "portgate.h"
#include "../../src/lib/listen-fds-platform.h"
#include "tap.h"

static void
clear_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_PIDFDID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

static void
set_listen_env(const char *pid, const char *fds, const char *names)
{
	clear_listen_env();
	if (pid != NULL)
		setenv("LISTEN_PID", pid, 1);
	if (fds != NULL)
		setenv("LISTEN_FDS", fds, 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	setenv("LISTEN_PIDFDID", "1", 1);
}

static const char *
mypid(void)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	return buf;
}

static bool
no_listen_env(void)
{
	return !getenv("LISTEN_PID") && !getenv("LISTEN_FDS") && !getenv("LISTEN_FDNAMES") &&
	       !getenv("LISTEN_PIDFDID");
}

static bool
is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* Put a fresh socket at fds 3 and 4, not close-on-exec, as a sender would. */
static void
install_two_sockets(void)
{
	int sv[2];

	if (pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (dup2(sv[0], 3) < 0 || dup2(sv[1], 4) < 0)
		abort();
	if (sv[0] != 3 && sv[0] != 4)
		close(sv[0]);
	if (sv[1] != 3 && sv[1] != 4)
		close(sv[1]);
	fcntl(3, F_SETFD, 0);
	fcntl(4, F_SETFD, 0);
}

static void
test_receiver(void)
{
	char **names = NULL;
	int r;

	clear_listen_env();
	is_int(portgate_listen_fds(1, &names), 0, "receiver: no LISTEN_PID gives 0");

	set_listen_env("1", "2", "a:b");
	is_int(portgate_listen_fds(0, &names), 0,
	       "receiver: LISTEN_PID of another process gives 0");
	ok(getenv("LISTEN_FDS") != NULL, "receiver: unset_environment=0 keeps the variables");
	is_int(portgate_listen_fds(1, &names), 0, "receiver: still 0 when unsetting");
	ok(no_listen_env(), "receiver: a LISTEN_PID mismatch still unsets all four variables");

	set_listen_env(mypid(), NULL, NULL);
	is_int(portgate_listen_fds(1, &names), 0,
	       "receiver: LISTEN_PID without LISTEN_FDS gives 0");

	install_two_sockets();
	set_listen_env(mypid(), "2", "http:");
	r = portgate_listen_fds(0, &names);
	is_int(r, 2, "receiver: two fds");
	if (r == 2) {
		is_str(names[0], "http", "receiver: first name");
		is_str(names[1], "", "receiver: an empty name is kept");
		ok(names[2] == NULL, "receiver: names are NULL-terminated");
	}
	portgate_free_names(names);
	names = NULL;
	ok(is_cloexec(3) && is_cloexec(4), "receiver: the fds are made close-on-exec");
	ok(getenv("LISTEN_PID") && getenv("LISTEN_FDNAMES"),
	   "receiver: unset_environment=0 leaves the variables");

	install_two_sockets();
	set_listen_env(mypid(), "2", "::");
	is_int(portgate_listen_fds(1, &names), -EINVAL,
	       "receiver: three names for two fds is EINVAL");
	ok(no_listen_env(), "receiver: the variables are unset on error too");
	set_listen_env(mypid(), "2", "one");
	is_int(portgate_listen_fds(1, &names), -EINVAL, "receiver: one name for two fds is EINVAL");

	set_listen_env(mypid(), "2", NULL);
	r = portgate_listen_fds(1, &names);
	is_int(r, 2, "receiver: fds without LISTEN_FDNAMES");
	if (r == 2)
		ok(strcmp(names[0], "unknown") == 0 && strcmp(names[1], "unknown") == 0,
		   "receiver: missing names read as 'unknown'");
	portgate_free_names(names);
	names = NULL;
	ok(no_listen_env(), "receiver: unset_environment=1 removes LISTEN_PIDFDID too");

	set_listen_env(mypid(), "1", NULL);
	is_int(portgate_listen_fds(1, NULL), 1, "receiver: ret_names may be NULL");

	set_listen_env(mypid(), "0", NULL);
	is_int(portgate_listen_fds(1, NULL), -EINVAL, "receiver: LISTEN_FDS=0 is EINVAL");
	set_listen_env(mypid(), "-1", NULL);
	is_int(portgate_listen_fds(1, NULL), -EINVAL, "receiver: LISTEN_FDS=-1 is EINVAL");
	set_listen_env(mypid(), "2x", NULL);
	is_int(portgate_listen_fds(1, NULL), -EINVAL, "receiver: LISTEN_FDS=2x is EINVAL");
	set_listen_env(mypid(), "2147483647", NULL);
	is_int(portgate_listen_fds(1, NULL), -EINVAL, "receiver: LISTEN_FDS beyond INT_MAX-3");
	set_listen_env("x", "1", NULL);
	is_int(portgate_listen_fds(1, NULL), -EINVAL, "receiver: LISTEN_PID=x is EINVAL");

	close(4);
	set_listen_env(mypid(), "2", NULL);
	is_int(portgate_listen_fds(1, NULL), -EBADF, "receiver: a closed fd is EBADF");
	close(3);
	clear_listen_env();
}

static void
test_fdname(void)
{
	char long_name[PG_FDNAME_MAX + 2];

	ok(pg_fdname_is_valid(""), "fdname: empty is valid");
	ok(pg_fdname_is_valid("http"), "fdname: 'http'");
	ok(pg_fdname_is_valid(" ~!"), "fdname: space and punctuation are printable");
	ok(!pg_fdname_is_valid("a:b"), "fdname: ':' is the separator");
	ok(!pg_fdname_is_valid("a\nb"), "fdname: control characters are refused");
	ok(!pg_fdname_is_valid("\x7f"), "fdname: DEL is refused");
	ok(!pg_fdname_is_valid("caf\xc3\xa9"), "fdname: non-ASCII is refused");
	ok(!pg_fdname_is_valid(NULL), "fdname: NULL is refused");
	memset(long_name, 'x', PG_FDNAME_MAX);
	long_name[PG_FDNAME_MAX] = '\0';
	ok(pg_fdname_is_valid(long_name), "fdname: 255 characters");
	long_name[PG_FDNAME_MAX] = 'x';
	long_name[PG_FDNAME_MAX + 1] = '\0';
	ok(!pg_fdname_is_valid(long_name), "fdname: 256 characters are too many");
}

static void
test_env_format(void)
{
	const char *names[] = { "web", "", "dns" };
	const char *bad[] = { "ok", "b:d" };
	char *env[3] = { NULL, NULL, NULL };

	is_int(pg_listen_env_format(1234, 3, names, env), 0, "env: three named fds");
	is_str(env[0], "LISTEN_FDS=3", "env: LISTEN_FDS");
	is_str(env[1], "LISTEN_PID=1234", "env: LISTEN_PID");
	is_str(env[2], "LISTEN_FDNAMES=web::dns", "env: LISTEN_FDNAMES keeps the empty name");
	for (int i = 0; i < 3; i++)
		free(env[i]);

	is_int(pg_listen_env_format(99, 1, NULL, env), 0, "env: no names");
	ok(env[2] == NULL, "env: no names, no LISTEN_FDNAMES");
	free(env[0]);
	free(env[1]);

	is_int(pg_listen_env_format(99, 2, bad, env), -EINVAL, "env: an invalid name is refused");
	is_int(pg_listen_env_format(99, 0, NULL, env), -EINVAL, "env: zero fds is EINVAL");
}

/* --list-fds: what survived the exec, as "open=FD:INODE" lines. */
static int
list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		long fd = strtol(de->d_name, NULL, 10);
		struct stat st;

		if (de->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		if (fstat((int)fd, &st) == 0)
			printf("open=%ld:%lu\n", fd, (unsigned long)st.st_ino);
		else
			printf("open=%ld:?\n", fd);
	}
	closedir(d);
	return 0;
}

static unsigned long
inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* A new socket at exactly fd target, close-on-exec like every other fd. */
static void
socket_at(int target)
{
	int fd = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);

	if (fd < 0 || (fd != target && (pg_dup3(fd, target, O_CLOEXEC) < 0 || close(fd) < 0)))
		_exit(99);
}

/* A leaked fd: not close-on-exec, as an unknowing parent might leave it. */
static void
leak_at(int target)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0 || (fd != target && (dup2(fd, target) < 0 || close(fd) < 0)))
		_exit(99);
}

static void
exec_list(void)
{
	fflush(stdout);
	execl("/proc/self/exe", "test-listen-fds", "--list-fds", (char *)NULL);
	printf("exec=failed\n");
	fflush(stdout);
	_exit(1);
}

/*
 * Sockets sit at 5, 3, 4 (each other's targets, in reverse) and stray fds at
 * 6 and 40 are not close-on-exec.  After placing, 3/4/5 must hold the sockets
 * from 5/3/4, and after exec nothing else may be open.
 */
static void
child_collide(void)
{
	int fds[3] = { 5, 3, 4 };
	int r;

	for (int fd = 3; fd < 64; fd++)
		(void)close(fd);
	socket_at(3);
	socket_at(4);
	socket_at(5);
	leak_at(6);
	leak_at(40);
	printf("ino5=%lu\nino3=%lu\nino4=%lu\n", inode(5), inode(3), inode(4));
	r = pg_listen_fds_place(fds, 3);
	printf("r=%d\nfds=%d,%d,%d\n", r, fds[0], fds[1], fds[2]);
	printf("cloexec=%d,%d,%d,%d,%d\n", is_cloexec(3), is_cloexec(4), is_cloexec(5),
	       is_cloexec(6), is_cloexec(40));
	exec_list();
}

/* stdin was closed, so the socket landed on fd 0: it must move to 3 and leave 0 closed. */
static void
child_low_fd(void)
{
	int fds[1];

	for (int fd = 3; fd < 64; fd++)
		(void)close(fd);
	close(0);
	fds[0] = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	printf("sockfd=%d\nino=%lu\n", fds[0], inode(fds[0]));
	printf("r=%d\n", pg_listen_fds_place(fds, 1));
	printf("fd0_open=%d\n", fcntl(0, F_GETFD) >= 0);
	exec_list();
}

/* Run fn in a child with stdout on a pipe; return everything it (and its exec) wrote. */
static char *
run_child(void (*fn)(void))
{
	static char buf[4096];
	size_t len = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pg_pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		if (dup2(p[1], 1) < 0)
			_exit(98);
		fn();
		_exit(97);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return buf;
}

static unsigned long
value_of(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

static int
count_lines(const char *out, const char *prefix)
{
	int n = 0;

	for (const char *p = out; (p = strstr(p, prefix)) != NULL; p++)
		if (p == out || p[-1] == '\n')
			n++;
	return n;
}

static void
test_place(void)
{
	char want[64];
	char *out;
	int fds[2], fd;

	out = run_child(child_collide);
	ok(out && strstr(out, "r=0\n"), "place: colliding fds are placed");
	ok(out && strstr(out, "fds=3,4,5\n"), "place: fds[] holds the new numbers");
	ok(out && strstr(out, "cloexec=0,0,0,1,1\n"),
	   "place: CLOEXEC cleared on the placed fds only, set on the strays");
	if (out != NULL) {
		snprintf(want, sizeof(want), "open=3:%lu\n", value_of(out, "ino5="));
		ok(strstr(out, want) != NULL, "place: fd 3 after exec is the socket from fd 5");
		snprintf(want, sizeof(want), "open=4:%lu\n", value_of(out, "ino3="));
		ok(strstr(out, want) != NULL, "place: fd 4 after exec is the socket from fd 3");
		snprintf(want, sizeof(want), "open=5:%lu\n", value_of(out, "ino4="));
		ok(strstr(out, want) != NULL, "place: fd 5 after exec is the socket from fd 4");
		is_int(count_lines(out, "open="), 3, "place: only the placed fds survive exec");
		if (count_lines(out, "open=") != 3)
			tap_diag("child said:\n%s", out);
	}

	out = run_child(child_low_fd);
	ok(out && strstr(out, "sockfd=0\n") && strstr(out, "r=0\n"),
	   "place: a socket on fd 0 is placed");
	if (out != NULL) {
		snprintf(want, sizeof(want), "open=3:%lu\n", value_of(out, "ino="));
		ok(strstr(out, want) != NULL, "place: it arrives at fd 3");
		ok(strstr(out, "fd0_open=0\n") != NULL, "place: fd 0 is closed again afterwards");
		is_int(count_lines(out, "open="), 1, "place: nothing else survives exec");
	}

	is_int(pg_listen_fds_place(fds, 0), -EINVAL, "place: no fds is EINVAL");
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[0] = fd;
	fds[1] = fd;
	is_int(pg_listen_fds_place(fds, 2), -EINVAL, "place: a repeated fd is EINVAL");
	ok(fcntl(fd, F_GETFD) >= 0, "place: ...and nothing was closed");
	fds[1] = -1;
	is_int(pg_listen_fds_place(fds, 2), -EINVAL, "place: a negative fd is EINVAL");
	close(fd);
}

/* libportgate's move of launchd's sockets to 3.. (listen-fds-move.c), in this process. */
static void
test_move(void)
{
	unsigned long ino3, ino4;
	int fds[2], nul, high;

	if (fcntl(3, F_GETFD) >= 0 || fcntl(4, F_GETFD) >= 0) {
		tap_skip("fds 3 and 4 are open in this process", "move: launchd's sockets to 3..");
		return;
	}
	socket_at(3);
	socket_at(4);
	ino3 = inode(3);
	ino4 = inode(4);
	(void)fcntl(3, F_SETFD, 0);
	fds[0] = 4; /* launchd's order, not the numbers' */
	fds[1] = 3;
	is_int(listen_fds_move(fds, 2), 0, "move: two sockets at 4 and 3");
	ok(fds[0] == 3 && fds[1] == 4, "move: fds[] holds 3 and 4");
	ok(inode(3) == ino4 && inode(4) == ino3, "move: in the order given (4 -> 3, 3 -> 4)");
	ok(fcntl(3, F_GETFD) == FD_CLOEXEC && fcntl(4, F_GETFD) == FD_CLOEXEC,
	   "move: both close-on-exec");
	ok(fcntl(5, F_GETFD) < 0 && fcntl(6, F_GETFD) < 0, "move: no temporary fd left open");
	close(3);
	close(4);

	nul = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free: 3 */
	high = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	fds[0] = high;
	is_int(listen_fds_move(fds, 1), -EBUSY, "move: fd 3 opened by the program is EBUSY");
	ok(fds[0] == high && fcntl(high, F_GETFD) >= 0 && fcntl(nul, F_GETFD) >= 0,
	   "move: ...and nothing moved or closed");
	close(high);
	close(nul);
	is_int(listen_fds_move(fds, 0), 0, "move: no sockets, nothing to do");
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--list-fds") == 0)
		return list_fds();
	test_receiver();
	test_fdname();
	test_env_format();
	test_place();
	test_move();
	return tap_done();
}
