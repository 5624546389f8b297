#include "io_fail.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

/* Test-only state: write() has no context argument to carry it. */
static atomic_int fail_errno;
static atomic_uint refused;

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	int err = atomic_load(&fail_errno);

	if (err) {
		atomic_fetch_add(&refused, 1);
		errno = err;
		return -1;
	}
	return __real_write(fd, buf, n);
}

void io_fail_writes(int err)
{
	atomic_store(&refused, 0);
	atomic_store(&fail_errno, err);
}

unsigned io_fail_count(void)
{
	return atomic_load(&refused);
}
