/* A mirror device set: the devices of another process (the broker), as
 * device.h readers see them, filled only by snapshots that process sends.
 * Its readers (cxl_devset_info/health/cel/events/delivery/host_state/
 * mailbox_count) behave as over a real set and never wait on the other
 * process; it never reaches a device: cxl_devset_submit() answers
 * transport -EOPNOTSUPP and cxl_devset_refresh() is never due. */
#ifndef CXLA_CXL_MIRROR_H
#define CXLA_CXL_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/device.h"

/* One opcode's delivery as the other process's device set answered it. */
struct cxl_mirror_delivery {
	uint16_t opcode;
	const struct cxl_delivery_path *path; /* static, NULL: unavailable */
	char reason[128];
};

/* n devices (<= 64) whose ids are ids[i] (borrowed, copied), backends named
 * names, chosen because why; ring_size event records kept per device. *out
 * is new (cxl_devset_free). */
int cxl_mirror_open(const char *names, const char *why, const char *const *ids, size_t n,
		    size_t ring_size, struct cxl_devset **out);
/* Replace device idx's inventory, health, CEL (taken over: *cel is emptied)
 * and delivery table (copied) and its mailbox count. -ERANGE for a bad
 * index, -EINVAL when info names another device, -ENOMEM. */
int cxl_mirror_update(struct cxl_devset *set, size_t idx, const struct cxl_dev_info *info,
		      const struct cxl_health *health, struct cxl_cel *cel, uint64_t mailbox_count,
		      const struct cxl_mirror_delivery *delivery, size_t ndelivery);
/* Append event records (their seq kept) to device idx's ring, oldest
 * dropped first; records not newer than the last one kept are ignored. */
int cxl_mirror_events(struct cxl_devset *set, size_t idx, const struct cxl_event *ev, size_t n);
/* The host state cxl_devset_host_state() answers (NULL: -EOPNOTSUPP). */
void cxl_mirror_host(struct cxl_devset *set, const struct cxl_host_state *host);

#endif
