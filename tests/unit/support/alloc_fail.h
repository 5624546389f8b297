/* Allocation failure on demand, in the manner of jansson's test_chaos.c:
 * make the Nth allocation fail, for every N, and check that each path
 * unwinds without a crash, a leak or a half-written file.
 *
 * Two seams, neither in production code: jansson's json_set_alloc_funcs()
 * for everything jansson allocates, and the linker's --wrap for the agent's
 * own malloc, calloc, realloc and strdup (every unit test is linked with
 * it; the wrappers pass through until a failure is armed). Allocations made
 * inside other shared libraries (libc, OpenSSL) are not counted. */
#ifndef CXLA_TEST_ALLOC_FAIL_H
#define CXLA_TEST_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>

/* Route jansson's allocations through the counter (idempotent). */
void alloc_fail_install(void);
/* Fail the nth allocation from now on (1: the next one) and every later
 * one until disarmed. 0 disarms and keeps alloc_fail_hit() as it was, so an
 * operation can check its own result unhindered; any other n restarts the
 * count and clears it. */
void alloc_fail_at(size_t n);
/* Whether an armed failure was hit since the last alloc_fail_at(). */
bool alloc_fail_hit(void);

/* Run op(arg) with allocation 1, 2, ... failing until a run completes
 * without hitting the failure; after(arg, rc, failed) is called after every
 * run (failed: an allocation was refused during it) to check and restore
 * state. op must return 0 on success. Returns the number of runs, the last
 * of which had no failure. Aborts past max_runs (an operation that never
 * completes). */
size_t alloc_fail_each(int (*op)(void *arg), void (*after)(void *arg, int rc, bool failed),
		       void *arg, size_t max_runs);

#endif
