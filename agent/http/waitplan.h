/* How long a server thread waits for events before its next pass, and when
 * it gives freed memory back to the system: decisions without a clock of
 * their own, so that they can be tested. */
#ifndef CXLA_HTTP_WAITPLAN_H
#define CXLA_HTTP_WAITPLAN_H

#include <stdbool.h>

/* After connections have closed, this long without any event counts as the
 * end of a burst: freed memory goes back to the system then. */
#define WAIT_TRIM_IDLE_MS 1000
/* The longest single wait; the loop then simply asks again. */
#define WAIT_MAX_MS 60000
/* The wait when the daemons ask for another pass at once although the last
 * one moved nothing: what they wait for comes as an event, and this only
 * bounds the delay of any work an event would not announce. */
#define WAIT_STUCK_MS 10

/* The wait before the next pass in ms: -1 until an event, 0 not at all (the
 * daemons already have work: run them now). mhd_ms is the daemons' earliest
 * timeout (-1 none, 0 work pending); stuck says the last pass moved no bytes
 * and handled no request data, so that its "work pending" is a connection
 * waiting on its peer (a handshake); closed says whether connections closed
 * since memory was last given back; idle_ms is how long nothing has
 * happened on the thread. */
int wait_plan_ms(long long mhd_ms, bool stuck, bool closed, long long idle_ms);

/* Whether freed memory goes back to the system now: connections closed and
 * the thread has been idle for WAIT_TRIM_IDLE_MS since. Trimming while
 * requests are served would take every malloc arena's lock and unmap pages
 * that the next requests fault back in. */
bool wait_trim_due(bool closed, long long idle_ms);

#endif
