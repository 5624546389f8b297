/* Durable file writes: every rewrite goes through a temporary file in the same
 * directory, fsync, rename, fsync of the directory, so a crash leaves either
 * the old or the new contents, never a mix. */
#ifndef CXLA_UTIL_FILEIO_H
#define CXLA_UTIL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data. Returns 0 or -errno; on failure path is untouched
 * and the temporary file is removed. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Remove the "<path>.tmp.XXXXXX" files that a crash inside
 * file_write_atomic left beside path (path itself is intact: the rename is
 * atomic), so that crashes do not pile them up. Only for a start-up, before
 * anything writes path. Returns how many were removed. */
int file_remove_stale_temporaries(const char *path);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer.
 * Returns 0 or -errno (-EFBIG when larger than max, -EINVAL for anything but
 * a regular file, which is never waited on: a FIFO does not block). */
int file_read_all(const char *path, size_t max, char **out, size_t *len);
/* The same with extra open(2) flags: O_NOFOLLOW for a file in a directory
 * another user may write, or for a state file, which is never read through
 * a link (-ELOOP when path is one). */
int file_read_all_flags(const char *path, int oflags, size_t max, char **out, size_t *len);
/* Why a state file read with O_NOFOLLOW was refused (rc from
 * file_read_all_flags), in the words every state file's refusal uses:
 * "not a regular file", "is a symbolic link (refused here)", or strerror. */
const char *file_refusal(int rc);

/* All of data written to fd (a file, pipe or socket; EINTR and short
 * writes retried). Returns 0 or -errno. */
int fd_write_all(int fd, const void *data, size_t len);
/* Append data to fd in one write and fsync it. Returns 0 or -errno. */
int file_append_sync(int fd, const void *data, size_t len);
/* The same without the sync: all of data written (EINTR and short writes
 * retried), or -errno. */
int file_append(int fd, const void *data, size_t len);

/* fsync the directory dir, so that names made or removed in it last.
 * Returns 0 or -errno. */
int dir_sync(const char *dir);
/* mkdir -p with mode for the last component. Returns 0 or -errno. */
int dir_ensure(const char *path, mode_t mode);

#endif
