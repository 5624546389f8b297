/* The only reader of devices after open: once per refresh interval, and at
 * once when a command marks a device's cache stale, it refreshes each due
 * device (inventory, health, and draining its event records into the
 * bounded in-memory log), so records are collected even when nobody reads
 * them and device event logs do not overflow. Requests only read the cache.
 * Each device has a refresher thread of its own: one that does not answer
 * holds its own refresh for its timeout, not every other device's. */
#ifndef CXLA_CORE_POLLER_H
#define CXLA_CORE_POLLER_H

struct cxl_devset;
struct poller;

/* devices is borrowed and must outlive the poller; the poller installs
 * itself as the set's stale hook until stopped. */
int poller_start(struct cxl_devset *devices, unsigned interval_ms, struct poller **out);
/* Milliseconds since the device refreshed longest ago last finished a
 * refresh attempt (or the poller started): the liveness the service watchdog
 * is fed from. */
unsigned long long poller_idle_ms(struct poller *p);
/* Same, and after device refreshes, at least once per interval, calls
 * observe(arg) on a thread of the poller's (one: calls never overlap; to
 * publish what changed). observe may be NULL. */
int poller_start_observed(struct cxl_devset *devices, unsigned interval_ms,
			  void (*observe)(void *arg), void *arg, struct poller **out);
/* No refresh starts from now on (the agent is stopping: a device that does
 * not answer must not hold the stop for another timeout); one under way
 * ends within its device's timeout. poller_stop() still joins and frees.
 * NULL is fine. */
void poller_quiesce(struct poller *p);
/* Stops the threads (each within its device's refresh) and frees. NULL is
 * fine. */
void poller_stop(struct poller *p);

#endif
