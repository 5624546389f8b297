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

#endif
