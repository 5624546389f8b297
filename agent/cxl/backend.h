/* Backend interface under the device set (devset.c). A backend knows how to
 * enumerate devices and move one mailbox command to a device and back; the
 * device set does everything else (locking, caching, CEL, events, length
 * checks), identically for every backend.
 *
 * Internal to agent/cxl and its tests. */
#ifndef CXLA_CXL_BACKEND_H
#define CXLA_CXL_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cxl/device.h"

struct cxl_backend;

struct cxl_backend_ops {
	const char *name; /* "kernel", "emulated", ... */
	/* Fill info[0..n) with what enumeration knows (name, serial, host, PCI
	 * ids, capacities, label size, fw, numa node, payload_max). Called once
	 * at open, before any submit. id, present, generation and read_at are
	 * set by the device set. Returns the number of devices or -errno. */
	int (*enumerate)(struct cxl_backend *be, struct cxl_dev_info *info, size_t max);
	/* Send one command to device idx and wait for its answer, no later than
	 * deadline (CLOCK_MONOTONIC) where the transport allows. out has room
	 * for out_max bytes. Returns the transport result: 0 (then *mbox_rc and
	 * *out_len are set; the caller checks *out_len <= out_max) or -errno;
	 * -ENODEV/-ENXIO mean the device is gone. Called for one device at a
	 * time per idx (the device set serialises), concurrently across idx. */
	int (*submit)(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline);
	/* How opcode can reach device idx. Never blocks on a running command. */
	void (*delivery)(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out);
	void (*free)(struct cxl_backend *be);
};

struct cxl_backend {
	const struct cxl_backend_ops *ops;
};

#define CXL_MAX_DEVICES 64

/* Stable device id: the serial as 16 lowercase hex digits when non-zero,
 * else name. */
void cxl_dev_id_format(uint64_t serial, const char *name, char *buf, size_t len);

/* Open a device set over an already-created backend, which it takes over
 * (freed on failure too). Used by cxl_devset_open() and by tests with their
 * own backends. */
int cxl_devset_open_backend(const struct cxl_devset_config *cfg, struct cxl_backend *be,
			    struct cxl_devset **out, char *errbuf, size_t errlen);
/* The backend under a set (borrowed), for backend-specific test hooks such
 * as cxl_emu_inject(). */
struct cxl_backend *cxl_devset_backend_of(struct cxl_devset *set);

/* Constructors of the built-in backends. */
int cxl_emu_backend_new(const char *profile, const char *state_dir, struct cxl_backend **out,
			char *errbuf, size_t errlen);
/* Enumerates /dev/cxl/mem* through libcxl and opens each. -ENODEV when
 * there is no device; errbuf says why. */
int cxl_kernel_backend_new(struct cxl_backend **out, char *errbuf, size_t errlen);

/* Milliseconds helpers on CLOCK_MONOTONIC. */
void cxl_deadline_in(struct timespec *ts, unsigned ms);
int64_t cxl_ms_until(const struct timespec *deadline); /* negative when past */

#endif
