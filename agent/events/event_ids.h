/* Event ids that only grow, across restarts too, whatever the wall clock
 * does. A start's first id is the wall clock in microseconds or, when that
 * is lower (the clock was set back), the high-water mark kept in the state
 * directory. The mark is an upper bound of the ids handed out, reserved
 * durably a block ahead of use, so publishing waits for the disk once per
 * block (event_bus_keep_ids in events/bus.h). */
#ifndef CXLA_EVENTS_EVENT_IDS_H
#define CXLA_EVENTS_EVENT_IDS_H

#include <stdint.h>

#include "util/clock.h"

/* Ids reserved by each write of the mark. */
#define EVENT_ID_BLOCK 65536u
/* The largest mark accepted: far beyond any clock in microseconds, and low
 * enough that a mark plus blocks never wraps. */
#define EVENT_ID_MAX (UINT64_MAX / 2)

/* The first id of this start into *first: clock's wall time in
 * microseconds, or the mark at path when higher. Temporaries a crash left
 * beside path are removed first. 0, or -EBADMSG when path holds no mark
 * (ids could repeat: the caller must not start), -ELOOP when it is a
 * symbolic link (never followed), -EINVAL or -EISDIR when it is not a
 * regular file, another -errno when it cannot be read. */
int event_ids_seed(const struct clock_source *clock, const char *path, uint64_t *first);
/* Write mark to path durably (atomically, mode 0600). 0 or -errno. */
int event_ids_write_mark(const char *path, uint64_t mark);

#endif
