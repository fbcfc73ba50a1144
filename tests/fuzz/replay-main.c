// SPDX-License-Identifier: BSD-2-Clause
/*
 * replay-main.c - a main() for the fuzz targets without libFuzzer: every file
 * named on the command line, or found directly in a directory named there, is
 * fed once to LLVMFuzzerTestOneInput().  `make check-fuzz` replays the seed
 * corpora with it; a crash names the input that caused it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (1024 * 1024)

/* Weak: a target need not define it, and the sanitizer runtime may be absent. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
const char *__ubsan_default_options(void);

/*
 * UBSan's runtime does not run ASan's death callback: have it abort() instead
 * of exiting, so that the SIGABRT handler names the input.
 */
const char *
__ubsan_default_options(void)
{
	return "abort_on_error=1:print_stacktrace=1";
}

static const char *current_input;
static bool leak_seen;

static void
write_str(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Called from a signal handler or a sanitizer's death path: async-signal-safe only. */
static void
report_current_input(void)
{
	if (current_input == NULL)
		return;
	write_str("replay: crashed on input '");
	write_str(current_input);
	write_str("'\n");
}

static void
on_fatal_signal(int sig)
{
	report_current_input();
	(void)raise(sig); /* SA_RESETHAND: the default action now */
}

/*
 * Name the input on a crash.  With a sanitizer runtime, its death callback
 * covers its own reports and only abort() (assert) needs a handler: taking
 * SIGSEGV from it would lose its report.
 */
static void
install_crash_reporting(void)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND };
	size_t n = sizeof(sigs) / sizeof(sigs[0]);

	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(report_current_input);
		n = 1;
	}
	(void)sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

/*
 * Read path into a buffer of exactly its size, so that the sanitizers catch
 * a target reading one byte past the input, and run the target on it.
 * Returns 0, 1 if the input leaked (reported), or -errno if it cannot be read.
 */
static int
replay_file(const char *path)
{
	unsigned char *buf;
	struct stat st;
	size_t len = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (st.st_size > REPLAY_MAX_INPUT) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO; /* a file that shrank under us */
			free(buf);
			goto out;
		}
		len += (size_t)n;
	}
	current_input = path;
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	/*
	 * As libFuzzer does: a leak is a failure of the input that caused it.
	 * Later checks would report the same blocks again, so stop at the first.
	 */
	if (__lsan_do_recoverable_leak_check != NULL && !leak_seen &&
	    __lsan_do_recoverable_leak_check() != 0) {
		fprintf(stderr, "replay: input '%s' leaks memory\n", path);
		leak_seen = true;
		r = 1;
	}
	current_input = NULL;
out:
	(void)close(fd);
	return r;
}

static int
skip_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static bool
replay_one(const char *path)
{
	int r = replay_file(path);

	if (r < 0)
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(-r));
	return r == 0;
}

/*
 * Replay every file directly in dir, in name order; hidden files are skipped.
 * An empty corpus is an error: it would make a replay pass without testing.
 */
static bool
replay_dir(const char *dir)
{
	struct dirent **names;
	size_t count = 0;
	bool ok = true;
	int n;

	n = scandir(dir, &names, skip_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot read directory '%s': %s\n", dir, strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		char *path;

		if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			fprintf(stderr, "replay: %s\n", strerror(ENOMEM));
			ok = false;
		} else {
			if (replay_one(path))
				count++;
			else
				ok = false;
			free(path);
		}
		free(names[i]);
	}
	free(names);
	if (ok && count == 0) {
		fprintf(stderr, "replay: directory '%s' holds no inputs\n", dir);
		ok = false;
	}
	if (ok)
		printf("%s: %zu inputs replayed\n", dir, count);
	return ok;
}

int
main(int argc, char **argv)
{
	bool ok = true;

	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	install_crash_reporting();

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: cannot read '%s': %s\n", argv[i], strerror(errno));
			ok = false;
		} else if (S_ISDIR(st.st_mode)) {
			ok = replay_dir(argv[i]) && ok;
		} else {
			ok = replay_one(argv[i]) && ok;
		}
	}
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
