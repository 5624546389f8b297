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
 * one only found empty sockets: the first, doubled after each further such
 * pass up to WAIT_IDLE_MS << WAIT_IDLE_MAX_SHIFT. What they wait for (a
 * client's next handshake flight) comes as an event; this only bounds the
 * delay of work an event would not announce, and polls clients that never
 * answer less and less often. */
#define WAIT_IDLE_MS 1
#define WAIT_IDLE_MAX_SHIFT 4

/* The passes in a row that only found empty sockets, after one more pass
 * that came after idle_passes such passes: moved says it moved bytes on a
 * socket or handed request data to the handler, empty that a read found
 * nothing. A pass that did neither (nothing was asked of a socket) breaks
 * the run too: its work came from buffers. */
unsigned wait_idle_passes(unsigned idle_passes, bool moved, bool empty);

/* The wait before the next pass in ms: -1 until an event, 0 not at all (the
 * daemons already have work: run them now). mhd_ms is the daemons' earliest
 * timeout (-1 none, 0 work pending); idle_passes is wait_idle_passes' count,
 * which turns a "work pending" that is only a connection waiting on its
 * peer (libmicrohttpd 0.9.75 keeps a handshake that waits for the client
 * ready) into a short wait; closed says whether connections closed since
 * memory was last given back; idle_ms is how long nothing has happened on
 * the thread. */
int wait_plan_ms(long long mhd_ms, unsigned idle_passes, bool closed, long long idle_ms);

/* Whether freed memory goes back to the system now: connections closed and
 * the thread has been idle for WAIT_TRIM_IDLE_MS since. Trimming while
 * requests are served would take every malloc arena's lock and unmap pages
 * that the next requests fault back in. */
bool wait_trim_due(bool closed, long long idle_ms);

#endif
