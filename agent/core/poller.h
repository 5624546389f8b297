/* The only reader of devices after open: once per refresh interval, and at
 * once when a command marks a device's cache stale, it refreshes each due
 * device (inventory, health, and draining its event records into the
 * bounded in-memory log), so records are collected even when nobody reads
 * them and device event logs do not overflow. Requests only read the cache. */
#ifndef CXLA_CORE_POLLER_H
#define CXLA_CORE_POLLER_H

struct cxl_devset;
struct poller;

/* devices is borrowed and must outlive the poller; the poller installs
 * itself as the set's stale hook until stopped. */
int poller_start(struct cxl_devset *devices, unsigned interval_ms, struct poller **out);
/* Milliseconds since the thread last finished a round over the devices (or
 * started): the liveness the service watchdog is fed from. */
unsigned long long poller_idle_ms(struct poller *p);
/* Stops the thread (within one device refresh) and frees. NULL is fine. */
void poller_stop(struct poller *p);

#endif
