/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fileio.h - whole-file reads and atomic replacement of configuration files.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_FILEIO_H
#define PG_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read a regular file of at most max bytes into a NUL-terminated malloc'd
 * buffer.  -EFBIG if larger, -EINVAL if not a regular file, -EISDIR.
 */
int pg_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/*
 * Replace path with buf: write a temporary file in the same directory, give it
 * mode/uid/gid, fsync it, rename it over path and fsync the directory.  Readers
 * see the old or the new file, never a mix.  uid/gid (uid_t)-1 keep the
 * caller's.
 */
int pg_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, uid_t uid,
			 gid_t gid);

#endif
