/* Write failure on demand: the linker's --wrap routes the agent's write()
 * calls through a wrapper that passes them through until a failure is
 * armed, then fails every write with the armed errno (ENOSPC: a full disk,
 * which needs no root and no tiny file system to show). Not in production
 * code; writes made inside shared libraries are not affected. */
#ifndef CXLA_TEST_IO_FAIL_H
#define CXLA_TEST_IO_FAIL_H

/* Fail every write() with err from now on; 0 disarms. */
void io_fail_writes(int err);
/* write() calls refused since the last io_fail_writes(). */
unsigned io_fail_count(void);

/* fdatasync() is wrapped the same way, so that a test can see how many
 * syncs a group of writers shared, hold a sync in progress while others
 * pile up behind it, and make syncs fail. */
/* Forget the calls so far; no hold, no failure. */
void io_sync_reset(void);
/* Nonzero: every fdatasync() from now on waits, counted, until 0 is set. */
void io_sync_hold(int hold);
/* Fail the call-th fdatasync() since the reset and every later one with
 * err (after any hold); err 0 disarms. */
void io_sync_fail_from(unsigned call, int err);
/* fdatasync() calls entered since the reset. */
unsigned io_sync_calls(void);
/* Nonzero when the last fdatasync() was called from this thread. */
int io_sync_last_by_me(void);
/* Wait until n calls have entered. */
void io_sync_wait_calls(unsigned n);

/* sem_wait() is wrapped too: nonzero ms makes every wait that returns
 * sleep that long first, as a thread does when it is woken and not
 * scheduled for a while on a loaded machine; 0 disarms. */
void io_wake_delay(unsigned ms);

#endif
