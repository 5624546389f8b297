#include "util/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int dir_sync(const char *dir)
{
	int rc = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int fsync_parent(const char *path)
{
	char copy[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, n + 1);
	return dir_sync(dirname(copy));
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!rc)
		rc = fd_write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return fsync_parent(path);
}

int file_remove_stale_temporaries(const char *path)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 1], full[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t plen;
	int removed = 0;
	DIR *d;
	struct dirent *e;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (snprintf(prefix, sizeof(prefix), "%s.tmp.", base) >= (int)sizeof(prefix))
		return 0;
	plen = strlen(prefix);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		/* mkostemp's six characters, nothing else */
		if (strncmp(e->d_name, prefix, plen) != 0 || strlen(e->d_name) != plen + 6)
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, e->d_name) >= (int)sizeof(full))
			continue;
		if (unlink(full) == 0) {
			log_info("removed %s left by an interrupted rewrite", full);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

/* read() that retries on EINTR. */
static ssize_t read_some(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Reads fd to its end into a new buffer of at most max bytes. The size
 * fstat() gives is only where to start: files of /proc report 0 and sysfs
 * attributes a page, whatever they hold. */
static int read_to_end(int fd, size_t hint, size_t max, char **out, size_t *len)
{
	size_t cap = hint ? hint : 256, got = 0;
	char *buf, *more, c;
	ssize_t n;

	if (cap > max)
		cap = max;
	if (!(buf = malloc(cap + 1)))
		return -ENOMEM;
	for (;;) {
		if (got < cap) {
			n = read_some(fd, buf + got, cap - got);
		} else {
			/* Full: one byte more says whether there is more. */
			if ((n = read_some(fd, &c, 1)) <= 0)
				break;
			if (cap == max) {
				n = -EFBIG;
				break;
			}
			cap = cap > max / 2 ? max : cap * 2;
			if (!(more = realloc(buf, cap + 1))) {
				n = -ENOMEM;
				break;
			}
			buf = more;
			buf[got] = c;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	return file_read_all_flags(path, 0, max, out, len);
}

int file_read_all_flags(const char *path, int oflags, size_t max, char **out, size_t *len)
{
	struct stat st;
	int rc = 0;
	/* Non-blocking, so that a FIFO is refused below rather than waited on. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | oflags);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	else if ((size_t)st.st_size > max)
		rc = -EFBIG;
	else
		rc = read_to_end(fd, (size_t)st.st_size, max, out, len);
	close(fd);
	return rc;
}

int file_append(int fd, const void *data, size_t len)
{
	return fd_write_all(fd, data, len);
}

int file_append_sync(int fd, const void *data, size_t len)
{
	int rc = fd_write_all(fd, data, len);
	if (rc)
		return rc;
	return fdatasync(fd) < 0 ? -errno : 0;
}

int dir_ensure(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy, path, n + 1);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0) {
		struct stat st;
		if (errno != EEXIST)
			return -errno;
		if (stat(copy, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}

const char *file_refusal(int rc)
{
	switch (rc) {
	case -EINVAL:
	case -EISDIR:
		return "not a regular file";
	case -ELOOP:
		return "is a symbolic link (refused here)";
	default:
		return strerror(-rc);
	}
}
