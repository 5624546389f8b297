#include "io_fail.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <unistd.h>

#include <semaphore.h>
#include <time.h>

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

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

/* fdatasync: calls counted, optionally held until released, and failed
 * from a given call on. */
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cond = PTHREAD_COND_INITIALIZER;
static unsigned sync_calls, sync_fail_from;
static int sync_held, sync_fail_errno;
static pthread_t sync_last_thread;

int __wrap_fdatasync(int fd)
{
	unsigned n;
	int err;

	pthread_mutex_lock(&sync_lock);
	n = ++sync_calls;
	sync_last_thread = pthread_self();
	pthread_cond_broadcast(&sync_cond);
	while (sync_held)
		pthread_cond_wait(&sync_cond, &sync_lock);
	err = sync_fail_errno && n >= sync_fail_from ? sync_fail_errno : 0;
	pthread_mutex_unlock(&sync_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return __real_fdatasync(fd);
}

void io_sync_reset(void)
{
	pthread_mutex_lock(&sync_lock);
	sync_calls = 0;
	sync_fail_errno = 0;
	sync_held = 0;
	pthread_cond_broadcast(&sync_cond);
	pthread_mutex_unlock(&sync_lock);
}

void io_sync_hold(int hold)
{
	pthread_mutex_lock(&sync_lock);
	sync_held = hold;
	pthread_cond_broadcast(&sync_cond);
	pthread_mutex_unlock(&sync_lock);
}

void io_sync_fail_from(unsigned call, int err)
{
	pthread_mutex_lock(&sync_lock);
	sync_fail_from = call;
	sync_fail_errno = err;
	pthread_mutex_unlock(&sync_lock);
}

unsigned io_sync_calls(void)
{
	unsigned n;

	pthread_mutex_lock(&sync_lock);
	n = sync_calls;
	pthread_mutex_unlock(&sync_lock);
	return n;
}

void io_sync_wait_calls(unsigned n)
{
	pthread_mutex_lock(&sync_lock);
	while (sync_calls < n)
		pthread_cond_wait(&sync_cond, &sync_lock);
	pthread_mutex_unlock(&sync_lock);
}

int io_sync_last_by_me(void)
{
	int me;

	pthread_mutex_lock(&sync_lock);
	me = sync_calls && pthread_equal(sync_last_thread, pthread_self());
	pthread_mutex_unlock(&sync_lock);
	return me;
}

int __real_sem_wait(sem_t *sem);
int __wrap_sem_wait(sem_t *sem);

static atomic_uint wake_delay_ms;

int __wrap_sem_wait(sem_t *sem)
{
	int rc = __real_sem_wait(sem);
	unsigned ms = atomic_load(&wake_delay_ms);

	if (!rc && ms) {
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return rc;
}

void io_wake_delay(unsigned ms)
{
	atomic_store(&wake_delay_ms, ms);
}
