#include "alloc_fail.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* Test-only state shared by the wrappers: an allocation has no context
 * argument to carry it. Atomic because the code under test may allocate on
 * more than one thread. */
static atomic_size_t fail_at;   /* 0: off */
static atomic_size_t counted;
static atomic_bool hit;

static bool refuse(void)
{
	size_t at = atomic_load(&fail_at);

	if (!at)
		return false;
	if (atomic_fetch_add(&counted, 1) + 1 < at)
		return false;
	atomic_store(&hit, true);
	return true;
}

void *__wrap_malloc(size_t n)
{
	return refuse() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return refuse() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return refuse() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return refuse() ? NULL : __real_strdup(s);
}

static void *json_malloc(size_t n)
{
	return refuse() ? NULL : __real_malloc(n);
}

void alloc_fail_install(void)
{
	json_set_alloc_funcs(json_malloc, free);
}

void alloc_fail_at(size_t n)
{
	atomic_store(&fail_at, 0);
	if (!n)
		return;
	atomic_store(&counted, 0);
	atomic_store(&hit, false);
	atomic_store(&fail_at, n);
}

bool alloc_fail_hit(void)
{
	return atomic_load(&hit);
}

size_t alloc_fail_each(int (*op)(void *arg), void (*after)(void *arg, int rc, bool failed),
		       void *arg, size_t max_runs)
{
	alloc_fail_install();
	for (size_t n = 1; n <= max_runs; n++) {
		int rc;
		bool failed;

		alloc_fail_at(n);
		rc = op(arg);
		failed = alloc_fail_hit();
		alloc_fail_at(0);
		if (after)
			after(arg, rc, failed);
		if (!failed) {
			if (getenv("CXLA_ALLOC_FAIL_VERBOSE"))
				fprintf(stderr, "alloc_fail_each: %zu runs\n", n);
			return n;
		}
	}
	fprintf(stderr, "alloc_fail_each: still failing after %zu runs\n", max_runs);
	abort();
}
