/* Keeps device data fresh without waiting for a reader: once per refresh
 * interval it asks the device layer for each device's inventory, which
 * refreshes a stale cache and drains the device's event records into the
 * bounded in-memory log, so records are collected even when nobody reads
 * them and device event logs do not overflow. */
#ifndef CXLA_CORE_POLLER_H
#define CXLA_CORE_POLLER_H

struct cxl_devset;
struct poller;

/* devices is borrowed and must outlive the poller. */
int poller_start(struct cxl_devset *devices, unsigned interval_ms, struct poller **out);
/* Milliseconds since the thread last finished a round over the devices (or
 * started): the liveness the service watchdog is fed from. */
unsigned long long poller_idle_ms(struct poller *p);
/* Stops the thread (within one device refresh) and frees. NULL is fine. */
void poller_stop(struct poller *p);

#endif
