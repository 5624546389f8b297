/* The mirror device set (mirror.h): a device set over a backend that owns no
 * device. Its slots are the device set's own, so every reader of device.h
 * works unchanged; the backend answers delivery and host state from what
 * the snapshots said and refuses to carry any command. */
#include "cxl/mirror.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/devset_impl.h"

struct mirror_dev {
	struct cxl_mirror_delivery *delivery;
	size_t ndelivery;
};

struct mirror_backend {
	struct cxl_backend base;
	pthread_mutex_t lock; /* guards dev[].delivery and host */
	bool has_host;
	struct cxl_host_state host;
	size_t n;
	struct mirror_dev dev[CXL_MAX_DEVICES];
};

static struct mirror_backend *mb_of(struct cxl_backend *be)
{
	return (struct mirror_backend *)be;
}

static int mirror_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	(void)be;
	(void)info;
	(void)max;
	return 0;
}

static int mirror_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
			 size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
			 uint16_t *mbox_rc, const struct timespec *deadline)
{
	(void)be, (void)idx, (void)opcode, (void)in, (void)in_len, (void)out, (void)out_max;
	(void)out_len, (void)mbox_rc, (void)deadline;
	return -EOPNOTSUPP;
}

static void mirror_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			    struct cxl_delivery_info *out)
{
	struct mirror_backend *mb = mb_of(be);
	bool found = false;

	pthread_mutex_lock(&mb->lock);
	for (size_t i = 0; idx < mb->n && i < mb->dev[idx].ndelivery; i++) {
		const struct cxl_mirror_delivery *d = &mb->dev[idx].delivery[i];
		if (d->opcode == opcode) {
			out->path = d->path;
			snprintf(out->reason, sizeof(out->reason), "%s", d->path ? "" : d->reason);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&mb->lock);
	if (!found) {
		out->path = NULL;
		snprintf(out->reason, sizeof(out->reason),
			 "opcode 0x%04x is neither in the device's CEL nor approved", opcode);
	}
}

static int mirror_host_state(struct cxl_backend *be, struct cxl_host_state *out)
{
	struct mirror_backend *mb = mb_of(be);
	int rc = -EOPNOTSUPP;

	pthread_mutex_lock(&mb->lock);
	if (mb->has_host) {
		*out = mb->host;
		rc = 0;
	}
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

static void mirror_free(struct cxl_backend *be)
{
	struct mirror_backend *mb = mb_of(be);
	for (size_t i = 0; i < mb->n; i++)
		free(mb->dev[i].delivery);
	pthread_mutex_destroy(&mb->lock);
	free(mb);
}

static const struct cxl_backend_ops mirror_ops = {
	.name = "mirror",
	.enumerate = mirror_enumerate,
	.submit = mirror_submit,
	.delivery = mirror_delivery,
	.host_state = mirror_host_state,
	.free = mirror_free,
};

static void free_set(struct cxl_devset *set, size_t inited)
{
	for (size_t i = 0; i < inited; i++) {
		pthread_mutex_destroy(&set->dev[i].mbox);
		pthread_mutex_destroy(&set->dev[i].cache);
		free(set->dev[i].ring);
		cxl_cel_free(&set->dev[i].cel);
	}
	if (set->nbe)
		set->be[0]->ops->free(set->be[0]);
	pthread_mutex_destroy(&set->hook_lock);
	free(set->dev);
	free(set);
}

int cxl_mirror_open(const char *names, const char *why, const char *const *ids, size_t n,
		    size_t ring_size, struct cxl_devset **out)
{
	struct cxl_devset *set;
	struct mirror_backend *mb;

	*out = NULL;
	if (n > CXL_MAX_DEVICES || !ring_size)
		return -EINVAL;
	if (!(set = calloc(1, sizeof(*set))))
		return -ENOMEM;
	pthread_mutex_init(&set->hook_lock, NULL);
	mb = calloc(1, sizeof(*mb));
	set->dev = calloc(n ? n : 1, sizeof(*set->dev));
	if (!mb || !set->dev) {
		free(mb);
		free_set(set, 0);
		return -ENOMEM;
	}
	mb->base.ops = &mirror_ops;
	mb->n = n;
	pthread_mutex_init(&mb->lock, NULL);
	set->be[0] = &mb->base;
	set->nbe = 1;
	snprintf(set->names, sizeof(set->names), "%s", names ? names : "");
	snprintf(set->why, sizeof(set->why), "%s", why ? why : "");
	set->ring_cap = ring_size;
	set->timeout_ms = 1;
	set->refresh_ms = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		struct devslot *d = &set->dev[i];
		pthread_mutex_init(&d->mbox, NULL);
		pthread_mutex_init(&d->cache, NULL);
		set->n = i + 1;
		d->be = &mb->base;
		d->local = i;
		snprintf(d->id, sizeof(d->id), "%s", ids[i]);
		memcpy(d->info.id, d->id, sizeof(d->id));
		d->payload_max = 256;
		d->info.payload_max = 256;
		d->refreshed_once = true;
		if (!devset_ring_new(set, d)) {
			free_set(set, i + 1);
			return -ENOMEM;
		}
	}
	*out = set;
	return 0;
}

int cxl_mirror_update(struct cxl_devset *set, size_t idx, const struct cxl_dev_info *info,
		      const struct cxl_health *health, struct cxl_cel *cel, uint64_t mailbox_count,
		      const struct cxl_mirror_delivery *delivery, size_t ndelivery)
{
	struct mirror_backend *mb;
	struct cxl_mirror_delivery *copy = NULL;
	struct devslot *d;
	struct cxl_cel old;

	if (idx >= set->n)
		return -ERANGE;
	d = &set->dev[idx];
	if (strcmp(info->id, d->id) != 0)
		return -EINVAL;
	if (ndelivery) {
		if (!(copy = malloc(ndelivery * sizeof(*copy))))
			return -ENOMEM;
		memcpy(copy, delivery, ndelivery * sizeof(*copy));
	}
	mb = mb_of(d->be);
	pthread_mutex_lock(&mb->lock);
	free(mb->dev[idx].delivery);
	mb->dev[idx].delivery = copy;
	mb->dev[idx].ndelivery = ndelivery;
	pthread_mutex_unlock(&mb->lock);

	pthread_mutex_lock(&d->cache);
	d->info = *info;
	d->health = *health;
	old = d->cel;
	d->cel = *cel;
	d->payload_max = info->payload_max;
	pthread_mutex_unlock(&d->cache);
	atomic_store(&d->mbox_count, mailbox_count);
	cel->entries = NULL;
	cel->count = 0;
	cxl_cel_free(&old);
	return 0;
}

int cxl_mirror_events(struct cxl_devset *set, size_t idx, const struct cxl_event *ev, size_t n)
{
	struct devslot *d;

	if (idx >= set->n)
		return -ERANGE;
	d = &set->dev[idx];
	pthread_mutex_lock(&d->cache);
	for (size_t i = 0; i < n; i++) {
		if (ev[i].seq <= d->next_seq)
			continue;
		devset_ring_add(set, d, &ev[i]);
		d->next_seq = ev[i].seq;
	}
	pthread_mutex_unlock(&d->cache);
	return 0;
}

void cxl_mirror_host(struct cxl_devset *set, const struct cxl_host_state *host)
{
	struct mirror_backend *mb = mb_of(set->be[0]);

	pthread_mutex_lock(&mb->lock);
	mb->has_host = host != NULL;
	if (host)
		mb->host = *host;
	pthread_mutex_unlock(&mb->lock);
}
