#include "thread_fail.h"

#include <pthread.h>
#include <stdatomic.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);

/* Test-only state: pthread_create() has no context argument to carry it. */
static atomic_int fail_errno;
static atomic_uint refused;

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg)
{
	int err = atomic_load(&fail_errno);

	if (err) {
		atomic_fetch_add(&refused, 1);
		return err;
	}
	return __real_pthread_create(t, attr, fn, arg);
}

void thread_fail_starts(int err)
{
	atomic_store(&refused, 0);
	atomic_store(&fail_errno, err);
}

unsigned thread_fail_count(void)
{
	return atomic_load(&refused);
}
