// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-bind-opts.c - test helper: bind sockets the way real programs do, with
 * options set before bind(), and report what bind() did to errno and options.
 *
 *   pg-bind-opts [--reuseport] [--v6only 0|1] [--storage] [--unspec] [--twice]
 *                [--threads | --fork | --fork-between | --closefrom FILE | --wait-stdin |
 *                 --setuid UID] tcp|udp ADDR PORT...
 *
 * One socket per PORT, of ADDR's family ("127.0.0.1", "::1", "[::]",
 * "::ffff:127.0.0.1").  --reuseport and --v6only set SO_REUSEPORT and
 * IPV6_V6ONLY before bind(); --storage passes addrlen = sizeof(struct
 * sockaddr_storage); --unspec sends 0.0.0.0 as AF_UNSPEC to an AF_INET socket;
 * --twice binds a second socket (same options) to each port afterwards;
 * --threads binds every PORT in its own thread, released together; --fork
 * binds in a forked child.  The others test the connection the preload shim
 * keeps: --fork-between binds the first PORT, forks, binds the second in the
 * child, then the rest in the parent (one more line: "parent=PID child=PID");
 * --closefrom binds the first PORT, closes
 * every fd >= 3, opens FILE (read-write) on fds 3 to 15, binds the rest, and
 * then checks that those fds are still FILE, at offset 0, and FILE still empty
 * (one more line: "files=ok" or what is wrong); --wait-stdin prints each
 * line at once and reads a line from stdin before each bind after the first.
 * errno is set to EDOM before each bind().  One line per PORT, in order:
 *
 *   PORT ok addr=A port=P reuseport=0|1 v6only=0|1|- errno=kept|NAME [twice=ok|NAME]
 *   PORT NAME errno=...		(bind failed: NAME is the errno name, e.g. EACCES)
 *
 * Exit 0 if every bind worked, 1 if one failed, 2 on bad usage.  Test code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PORTS 64

struct opts {
	int type;
	int family;
	struct sockaddr_storage ss; /* the address, port filled in per bind */
	int reuseport, v6only;	    /* -1: leave the default */
	bool storage, unspec, twice, threads, fork, fork_between, wait_stdin;
	const char *closefrom; /* FILE */
	long setuid;	       /* -1: stay who we are */
};

#define FILE_FD_LAST 15 /* --closefrom: FILE is opened on fds 3..FILE_FD_LAST */

struct job {
	const struct opts *o;
	unsigned port;
	char line[256];
	int failed;
};

static pthread_barrier_t start;

static const char *
errname(int err)
{
	const char *s = strerrorname_np(err);

	return s != NULL ? s : "E?";
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: pg-bind-opts [--reuseport] [--v6only 0|1] [--storage] [--unspec] "
			"[--twice] [--threads | --fork | --fork-between | --closefrom FILE | "
			"--wait-stdin] tcp|udp ADDR PORT...\n");
	exit(2);
}

/* Make and bind one socket; 0 and the fd, or the errno of the step that failed. */
static int
bind_one(const struct opts *o, unsigned port, int *ret_fd, int *ret_errno_after)
{
	struct sockaddr_storage ss = o->ss;
	socklen_t len;
	int fd, r;

	fd = socket(o->family, o->type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (o->reuseport >= 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &o->reuseport, sizeof(o->reuseport)) < 0)
		goto fail;
	if (o->v6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &o->v6only, sizeof(o->v6only)) < 0)
		goto fail;
	if (o->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_port = htons((uint16_t)port);
		if (o->unspec)
			sin->sin_family = AF_UNSPEC;
		len = sizeof(*sin);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	}
	if (o->storage)
		len = sizeof(struct sockaddr_storage);
	errno = EDOM;
	r = bind(fd, (struct sockaddr *)&ss, len);
	*ret_errno_after = errno;
	if (r < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	r = errno;
	(void)close(fd);
	return r;
}

static void
run_job(struct job *j)
{
	const struct opts *o = j->o;
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	char addr[INET6_ADDRSTRLEN] = "?", v6only[4] = "-", twice[32] = "";
	int fd = -1, fd2 = -1, err, after, v, port = 0;
	socklen_t olen;

	err = bind_one(o, j->port, &fd, &after);
	if (err != 0) {
		snprintf(j->line, sizeof(j->line), "%u %s errno=%s", j->port, errname(err),
			 errname(after));
		j->failed = 1;
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&got, &len) == 0) {
		if (got.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&got;

			inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
			port = ntohs(sin->sin_port);
		} else if (got.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&got;

			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
			port = ntohs(sin6->sin6_port);
		}
	}
	olen = sizeof(v);
	if (o->family == AF_INET6 && getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &olen) == 0)
		snprintf(v6only, sizeof(v6only), "%d", !!v);
	if (o->twice) {
		int after2, err2 = bind_one(o, j->port, &fd2, &after2);

		snprintf(twice, sizeof(twice), " twice=%s", err2 == 0 ? "ok" : errname(err2));
		if (err2 != 0)
			j->failed = 1;
	}
	olen = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &olen) < 0)
		v = -1;
	snprintf(j->line, sizeof(j->line),
		 "%u ok addr=%s port=%d reuseport=%d v6only=%s errno=%s%s", j->port, addr, port, v,
		 v6only, after == EDOM ? "kept" : errname(after), twice);
	if (fd2 >= 0)
		(void)close(fd2);
	(void)close(fd);
}

static void *
thread_main(void *arg)
{
	(void)pthread_barrier_wait(&start);
	run_job(arg);
	return NULL;
}

/* What a daemon does: close every fd from 3 up, whatever it is. */
static void
close_from_3(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		(void)close(fd);
}

/* Open path on fds 3..FILE_FD_LAST (the lowest free ones after close_from_3()). */
static int
open_file_fds(const char *path, ino_t *ret_ino)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd != 3 || fstat(fd, &st) < 0)
		return -1;
	*ret_ino = st.st_ino;
	for (int want = 4; want <= FILE_FD_LAST; want++)
		if (fcntl(3, F_DUPFD_CLOEXEC, want) != want)
			return -1;
	return 0;
}

/* Are fds 3..FILE_FD_LAST still path's file, at offset 0, and is it still empty? */
static void
check_file_fds(ino_t ino, char *line, size_t size)
{
	for (int fd = 3; fd <= FILE_FD_LAST; fd++) {
		struct stat st;

		if (fstat(fd, &st) < 0) {
			snprintf(line, size, "files=fd %d: %s", fd, errname(errno));
			return;
		}
		if (!S_ISREG(st.st_mode) || st.st_ino != ino) {
			snprintf(line, size, "files=fd %d is no longer the file", fd);
			return;
		}
		if (st.st_size != 0 || lseek(fd, 0, SEEK_CUR) != 0) {
			snprintf(line, size, "files=fd %d: size %lld offset %lld", fd,
				 (long long)st.st_size, (long long)lseek(fd, 0, SEEK_CUR));
			return;
		}
	}
	snprintf(line, size, "files=ok");
}

static int
parse_addr(const char *text, struct opts *o)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(text);

	if (len >= sizeof(buf))
		return -1;
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
	} else {
		memcpy(buf, text, len + 1);
	}
	memset(&o->ss, 0, sizeof(o->ss));
	if (text[0] != '[' && inet_pton(AF_INET, buf, &((struct sockaddr_in *)&o->ss)->sin_addr)) {
		o->family = AF_INET;
		o->ss.ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *)&o->ss)->sin6_addr) == 1) {
		o->family = AF_INET6;
		o->ss.ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct opts o = { .reuseport = -1, .v6only = -1, .setuid = -1 };
	struct job jobs[MAX_PORTS];
	pthread_t tids[MAX_PORTS];
	int i = 1, njobs = 0, failed = 0;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--reuseport") == 0)
			o.reuseport = 1;
		else if (strcmp(argv[i], "--v6only") == 0 && i + 1 < argc &&
			 (strcmp(argv[i + 1], "0") == 0 || strcmp(argv[i + 1], "1") == 0))
			o.v6only = argv[++i][0] == '1';
		else if (strcmp(argv[i], "--storage") == 0)
			o.storage = true;
		else if (strcmp(argv[i], "--unspec") == 0)
			o.unspec = true;
		else if (strcmp(argv[i], "--twice") == 0)
			o.twice = true;
		else if (strcmp(argv[i], "--threads") == 0)
			o.threads = true;
		else if (strcmp(argv[i], "--fork") == 0)
			o.fork = true;
		else if (strcmp(argv[i], "--fork-between") == 0)
			o.fork_between = true;
		else if (strcmp(argv[i], "--closefrom") == 0 && i + 1 < argc)
			o.closefrom = argv[++i];
		else if (strcmp(argv[i], "--wait-stdin") == 0)
			o.wait_stdin = true;
		else if (strcmp(argv[i], "--setuid") == 0 && i + 1 < argc)
			o.setuid = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (argc - i < 3 || argc - i - 2 > MAX_PORTS ||
	    o.threads + o.fork + o.fork_between + !!o.closefrom + o.wait_stdin + (o.setuid >= 0) >
		    1)
		usage();
	if (strcmp(argv[i], "tcp") == 0)
		o.type = SOCK_STREAM;
	else if (strcmp(argv[i], "udp") == 0)
		o.type = SOCK_DGRAM;
	else
		usage();
	if (parse_addr(argv[i + 1], &o) < 0)
		usage();
	if ((o.unspec && o.family != AF_INET) || (o.v6only >= 0 && o.family != AF_INET6))
		usage();
	for (i += 2; i < argc; i++) {
		char *end;
		unsigned long p = strtoul(argv[i], &end, 10);

		if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || p > 65535)
			usage();
		jobs[njobs++] = (struct job){ .o = &o, .port = (unsigned)p };
	}

	if (o.fork) {
		/* The child binds and reports; the parent only waits and passes on the status. */
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("pg-bind-opts: fork");
			return 2;
		}
		if (pid > 0) {
			if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
				return 2;
			return WEXITSTATUS(status);
		}
	}
	if (o.fork_between) {
		/* The parent binds, the child binds (and reports), the parent binds the rest. */
		int status;
		pid_t pid;

		if (njobs < 3)
			usage();
		run_job(&jobs[0]);
		printf("%s\n", jobs[0].line);
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("pg-bind-opts: fork");
			return 2;
		}
		if (pid == 0) {
			run_job(&jobs[1]);
			printf("%s\n", jobs[1].line);
			exit(jobs[1].failed);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
			return 2;
		failed = jobs[0].failed | WEXITSTATUS(status);
		for (i = 2; i < njobs; i++) {
			run_job(&jobs[i]);
			printf("%s\n", jobs[i].line);
			failed |= jobs[i].failed;
		}
		printf("parent=%d child=%d\n", (int)getpid(), (int)pid);
		return failed;
	}
	if (o.closefrom) {
		char files[128];
		ino_t ino;

		if (njobs < 2)
			usage();
		run_job(&jobs[0]);
		fflush(stdout);
		close_from_3();
		if (open_file_fds(o.closefrom, &ino) < 0) {
			fprintf(stderr, "pg-bind-opts: cannot open %s on fds 3..%d\n", o.closefrom,
				FILE_FD_LAST);
			return 2;
		}
		for (i = 1; i < njobs; i++)
			run_job(&jobs[i]);
		check_file_fds(ino, files, sizeof(files));
		for (i = 0; i < njobs; i++) {
			printf("%s\n", jobs[i].line);
			failed |= jobs[i].failed;
		}
		printf("%s\n", files);
		return failed | (strcmp(files, "files=ok") != 0);
	}
	if (o.setuid >= 0) {
		run_job(&jobs[0]);
		if (setgroups(0, NULL) < 0 || setgid((gid_t)o.setuid) < 0 ||
		    setuid((uid_t)o.setuid) < 0) {
			perror("pg-bind-opts: setuid");
			return 2;
		}
		for (i = 1; i < njobs; i++)
			run_job(&jobs[i]);
		for (i = 0; i < njobs; i++) {
			printf("%s\n", jobs[i].line);
			failed |= jobs[i].failed;
		}
		return failed;
	}
	if (o.wait_stdin) {
		char buf[64];

		for (i = 0; i < njobs; i++) {
			if (i > 0 && fgets(buf, sizeof(buf), stdin) == NULL)
				return 2;
			run_job(&jobs[i]);
			printf("%s\n", jobs[i].line);
			fflush(stdout);
			failed |= jobs[i].failed;
		}
		return failed;
	}
	if (o.threads) {
		if (pthread_barrier_init(&start, NULL, (unsigned)njobs) != 0)
			return 2;
		for (i = 0; i < njobs; i++)
			if (pthread_create(&tids[i], NULL, thread_main, &jobs[i]) != 0)
				return 2;
		for (i = 0; i < njobs; i++)
			(void)pthread_join(tids[i], NULL);
	} else {
		for (i = 0; i < njobs; i++)
			run_job(&jobs[i]);
	}
	for (i = 0; i < njobs; i++) {
		printf("%s\n", jobs[i].line);
		failed |= jobs[i].failed;
	}
	return failed;
}
