/* The device set's insides, shared by devset.c (open, submit, cached
 * reads) and refresh.c (what the poller's refresh does). Internal to
 * agent/cxl.
 *
 * Locking, per device:
 *  - mbox serialises mailbox traffic (user submissions, the CEL read at open,
 *    cache refreshes). Submitters wait for it with pthread_mutex_clocklock on
 *    CLOCK_MONOTONIC, bounded by their timeout; a device still busy at the
 *    deadline gives transport -EBUSY (the command was never sent), while
 *    -ETIMEDOUT is kept for "sent, and no answer in time" from the backend.
 *  - cache guards the copies readers get (info, health, CEL, event ring) and
 *    is only ever held for memcpy-sized work, never across a command. A
 *    refresh that is due takes mbox with trylock: when a command is running
 *    it is skipped, and readers keep the cached copy and its read_at.
 *  - mbox is always taken before cache, never the other way round.
 * Readers never talk to a device: cxl_devset_info/health/events copy the
 * cache. Refreshes (inventory, health, event draining, which clears the
 * device's event records) run only in cxl_devset_refresh(), called by the
 * background poller, and once at open. A command with effects marks the
 * cache stale and calls the stale hook so the poller refreshes promptly. */
#ifndef CXLA_CXL_DEVSET_IMPL_H
#define CXLA_CXL_DEVSET_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cxl/backend.h"
#include "cxl/device.h"

struct devslot {
	pthread_mutex_t mbox;
	pthread_mutex_t cache;
	char id[CXL_ID_MAX]; /* immutable after open */
	uint32_t payload_max; /* immutable after open */
	struct cxl_backend *be; /* borrowed from the set; immutable after open */
	size_t local;           /* the device's index within be */
	/* under cache */
	struct cxl_dev_info info;
	struct cxl_health health;
	bool health_supported;
	bool events_supported;
	struct cxl_cel cel;
	bool cel_unread;        /* to be read again: the firmware changed and the read failed */
	char cel_fw[CXL_FW_REV_LEN + 1]; /* the firmware revision the CEL belongs to */
	bool cel_fw_known;      /* cel_fw set (by the first Identify after the CEL read) */
	/* Grows by doubling up to the set's ring_cap, from a few records: most
	 * devices log few events, and a full ring costs 96 KiB per device.
	 * It only wraps once full at ring_cap, so growing keeps it contiguous. */
	struct cxl_event *ring;
	size_t ring_alloc, ring_start, ring_len;
	uint64_t next_seq;
	struct timespec refreshed; /* CLOCK_MONOTONIC of the last refresh attempt */
	bool refreshed_once;
	bool stale;
	/* under mbox */
	uint8_t *scratch; /* payload_max bytes */
	struct cxl_event *page; /* one Get Event Records page */
	size_t page_max;
	bool stranger_seen;       /* another device answers in this one's place */
	uint64_t stranger_serial; /* its serial, logged once */
	_Atomic uint64_t mbox_count;
};

struct cxl_devset {
	struct cxl_backend *be[CXL_MAX_BACKENDS]; /* owned */
	size_t nbe;
	char names[64]; /* backend names joined by '+' */
	char why[256];  /* why these backends */
	pthread_mutex_t hook_lock;
	void (*stale_hook)(void *arg); /* under hook_lock */
	void *stale_arg;
	unsigned timeout_ms;
	unsigned refresh_ms;
	size_t ring_cap;
	size_t n;
	struct devslot *dev;
};

/* One command to device idx with its mbox held; checks the reply length
 * against out_max and marks a vanished device not present. */
int devset_exec(struct cxl_devset *set, size_t idx, uint16_t opcode, const uint8_t *in,
		size_t in_len, uint8_t *out, size_t out_max, size_t *out_len, uint16_t *mbox_rc,
		const struct timespec *deadline);
/* Whether the device layer may send its own reads of opcode to d. */
bool devset_agent_reads(struct devslot *d, uint16_t opcode);
/* Whether the device layer drains d's event logs through its mailbox: the
 * CEL has Get and Clear Event Records, the agent may send them, and the
 * backend has no event records of its own (take_events). Cache held. */
bool devset_mailbox_events(struct devslot *d);
/* Read and decode the CEL of device idx, mbox held (refresh.c). */
int devset_read_cel(struct cxl_devset *set, size_t idx, struct cxl_cel *cel);
/* Re-read inventory, health and events of device idx, mbox held. */
void devset_refresh_locked(struct cxl_devset *set, size_t idx);
/* A device's first event ring: room for a few records, or fewer when the
 * set's ring_cap is smaller. New, NULL when out of memory. */
struct cxl_event *devset_ring_new(const struct cxl_devset *set, struct devslot *d);
/* Keep ev at the ring's end, growing it towards ring_cap or dropping the
 * oldest record; returns where it went (the caller sets its seq). Cache held. */
struct cxl_event *devset_ring_add(const struct cxl_devset *set, struct devslot *d,
				  const struct cxl_event *ev);

#endif
