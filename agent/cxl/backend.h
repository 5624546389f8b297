/* Backend interface under the device set (devset.c). A backend knows how to
 * enumerate devices and move one mailbox command to a device and back; the
 * device set does everything else (locking, caching, CEL, events, length
 * checks), identically for every backend.
 *
 * Backends live in their own directories (cxl/kernel/, cxl/emulated/) and
 * are listed once, in backends.c: adding one is a directory plus one row.
 * Nothing outside that row names a particular backend.
 *
 * Internal to agent/cxl and its tests. */
#ifndef CXLA_CXL_BACKEND_H
#define CXLA_CXL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cxl/device.h"

struct cxl_backend;

struct cxl_backend_ops {
	const char *name; /* as in the backend table: "kernel", "emulated", ... */
	/* Fill info[0..n) with what enumeration knows (name, serial, host, PCI
	 * ids, capacities, label size, fw, numa node, payload_max). Called once
	 * at open, before any submit. id, present, generation and read_at are
	 * set by the device set. Returns the number of devices or -errno. */
	int (*enumerate)(struct cxl_backend *be, struct cxl_dev_info *info, size_t max);
	/* Send one command to device idx (the backend's own numbering) and wait
	 * for its answer, no later than deadline (CLOCK_MONOTONIC) where the
	 * transport allows. out has room for out_max bytes. Returns the
	 * transport result: 0 (then *mbox_rc and *out_len are set; the caller
	 * checks *out_len <= out_max) or -errno; -ENODEV/-ENXIO mean the device
	 * is gone. Called for one device at a time per idx (the device set
	 * serialises), concurrently across idx. */
	int (*submit)(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline);
	/* How opcode can reach device idx: one of the backend's own paths, or
	 * NULL and a reason. Never blocks on a running command. */
	void (*delivery)(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out);
	/* Optional: event records that reached the backend by a way of its own
	 * (the kernel driver's trace events) for device idx: up to max, oldest
	 * first, each handed out once. Returns the count or -errno. The device
	 * set never drains the event logs of a backend that has it. */
	int (*take_events)(struct cxl_backend *be, size_t idx, struct cxl_event *out, size_t max);
	/* Optional: who answers as device idx now (serial and PCI ids, asked
	 * afresh), no later than deadline. The device set asks it of a device
	 * that answers again after it was absent, so that another device in
	 * its place is not taken for it. 0 or -errno. NULL for backends whose
	 * gone devices never answer again (a removed kernel device node). */
	int (*identity)(struct cxl_backend *be, size_t idx, uint64_t *serial, uint16_t *vendor,
			uint16_t *device, const struct timespec *deadline);
	/* Optional: the host kernel's state; NULL for backends without one. */
	int (*host_state)(struct cxl_backend *be, struct cxl_host_state *out);
	void (*free)(struct cxl_backend *be);
};

struct cxl_backend {
	const struct cxl_backend_ops *ops;
};

/* One row of the backend table. */
struct cxl_backend_desc {
	const char *name;
	/* For auto: whether this host has devices for the backend. Cheap and
	 * without side effects; note says what was found either way (for the
	 * log). NULL: never chosen by auto. */
	bool (*probe)(char *note, size_t len);
	/* Create the backend from the device-set configuration (each backend
	 * reads its own fields). Returns 0 and a new backend, or -errno with a
	 * message in errbuf. */
	int (*open)(const struct cxl_devset_config *cfg, struct cxl_backend **out, char *errbuf,
		    size_t errlen);
	/* Every delivery path the backend can name, NULL-terminated. */
	const struct cxl_delivery_path *const *paths;
};

/* The built-in table, in auto order (*n rows). Borrowed, static. */
const struct cxl_backend_desc *const *cxl_backend_table(size_t *n);
/* The row called name in table (NULL: the built-in one), or NULL. */
const struct cxl_backend_desc *cxl_backend_lookup(const struct cxl_backend_desc *const *table,
						  size_t n, const char *name);
/* Open the backend called name from table (NULL: built-in), or for "auto"
 * the first row, in table order, whose probe finds devices and that opens;
 * a row whose open fails is logged and the next one tried. why (whylen
 * bytes) says which was chosen and why. -ENOENT with a message for an
 * unknown name or when auto finds nothing. */
int cxl_backend_choose(const struct cxl_backend_desc *const *table, size_t n, const char *name,
		       const struct cxl_devset_config *cfg, struct cxl_backend **out, char *why,
		       size_t whylen, char *errbuf, size_t errlen);

#define CXL_MAX_DEVICES 64

/* Stable device id: the serial as 16 lowercase hex digits when non-zero,
 * else name. */
void cxl_dev_id_format(uint64_t serial, const char *name, char *buf, size_t len);

/* Open a device set over already-created backends (n of them, devices in
 * that order), which it takes over (freed on failure too). Used by
 * cxl_devset_open() and by tests with their own backends. */
int cxl_devset_open_backends(const struct cxl_devset_config *cfg, struct cxl_backend *const *be,
			     size_t n, struct cxl_devset **out, char *errbuf, size_t errlen);
/* The same over one backend. */
int cxl_devset_open_backend(const struct cxl_devset_config *cfg, struct cxl_backend *be,
			    struct cxl_devset **out, char *errbuf, size_t errlen);
/* The backend (borrowed) serving device idx and the device's index within
 * it, for backend-specific test hooks such as cxl_emu_inject(). 0 or
 * -ERANGE. */
int cxl_devset_locate(struct cxl_devset *set, size_t idx, struct cxl_backend **be,
		      size_t *local);

/* Milliseconds until deadline (a clock_deadline_ms() time, util/clock.h). */
int64_t cxl_ms_until(const struct timespec *deadline); /* negative when past */

#endif
