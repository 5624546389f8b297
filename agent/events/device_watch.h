/* Turns what the device poller observes into events: a device vanishing or
 * coming back (ResourceEvent ResourceRemoved/ResourceCreated), its health
 * changing (ResourceEvent ResourceStatusChanged*), and each event record the
 * device layer drained (CxlAgent DeviceEventRecord, with the record's log,
 * type UUID, handle, flags, timestamp and data). Only the poller thread calls
 * device_watch_poll. */
#ifndef CXLA_EVENTS_DEVICE_WATCH_H
#define CXLA_EVENTS_DEVICE_WATCH_H

struct cxl_devset;
struct event_bus;
struct device_watch;

/* Snapshot the devices' current state (no events for what already is).
 * devices and bus are borrowed and must outlive the watch. */
int device_watch_new(struct cxl_devset *devices, struct event_bus *bus, struct device_watch **out);
void device_watch_free(struct device_watch *w);
/* Compare with the snapshot, publish the differences, update the snapshot.
 * Shaped as a poller observer (arg is the watch). */
void device_watch_poll(void *arg);

#endif
