/* The thread-start seam: pthread_create() in the agent fails on demand, as
 * it does under a task limit (TasksMax=, RLIMIT_NPROC), and otherwise
 * passes through. */
#ifndef CXLA_TEST_THREAD_FAIL_H
#define CXLA_TEST_THREAD_FAIL_H

/* From now on every pthread_create() fails with err (0: none fails). */
void thread_fail_starts(int err);
/* pthread_create() calls refused since thread_fail_starts(). */
unsigned thread_fail_count(void);

#endif
