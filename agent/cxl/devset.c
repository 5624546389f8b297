/* The device set: device.h implemented once over any backends (backend.h).
 * Locking and the division of work with refresh.c: devset_impl.h. */
#include "cxl/device.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/devset_impl.h"
#include "cxl/mbox.h"
#include "util/clock.h"
#include "util/fanout.h"
#include "util/log.h"

#define DEFAULT_TIMEOUT_MS 5000u
#define DEFAULT_REFRESH_MS 1000u
#define DEFAULT_RING 256u
#define RING_FIRST 8u /* records a device ring starts with */
/* A device's opening thread: its deepest path is a refresh, as a poller
 * refresher's (core/poller.c), with buffers on the heap. */
#define OPEN_STACK_BYTES (256u * 1024u)

struct cxl_event *devset_ring_new(const struct cxl_devset *set, struct devslot *d)
{
	d->ring_alloc = set->ring_cap < RING_FIRST ? set->ring_cap : RING_FIRST;
	d->ring_start = d->ring_len = 0;
	return d->ring = calloc(d->ring_alloc, sizeof(*d->ring));
}

/* Called only while the ring has never wrapped (ring_start is 0), so the
 * records stay contiguous. */
static int ring_grow(const struct cxl_devset *set, struct devslot *d)
{
	size_t want = d->ring_alloc * 2 < set->ring_cap ? d->ring_alloc * 2 : set->ring_cap;
	struct cxl_event *r = realloc(d->ring, want * sizeof(*r));

	if (!r)
		return -ENOMEM;
	d->ring = r;
	d->ring_alloc = want;
	return 0;
}

struct cxl_event *devset_ring_add(const struct cxl_devset *set, struct devslot *d,
				  const struct cxl_event *ev)
{
	struct cxl_event *slot;

	if (d->ring_len == d->ring_alloc && d->ring_start == 0 && d->ring_alloc < set->ring_cap &&
	    ring_grow(set, d))
		log_warn("cxl: %s: no memory to keep more events, dropping the oldest", d->id);
	if (d->ring_len == d->ring_alloc) {
		d->ring_start = (d->ring_start + 1) % d->ring_alloc;
		d->ring_len--;
	}
	slot = &d->ring[(d->ring_start + d->ring_len) % d->ring_alloc];
	*slot = *ev;
	d->ring_len++;
	return slot;
}

void cxl_cmd_result_clear(struct cxl_cmd_result *res)
{
	if (!res)
		return;
	free(res->out);
	memset(res, 0, sizeof(*res));
}

void cxl_dev_id_format(uint64_t serial, const char *name, char *buf, size_t len)
{
	if (serial)
		snprintf(buf, len, "%016" PRIx64, serial);
	else
		snprintf(buf, len, "%s", name);
}

int64_t cxl_ms_until(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return clock_ms_between(&now, deadline);
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void mark_gone(struct devslot *d)
{
	bool was;
	pthread_mutex_lock(&d->cache);
	was = d->info.present;
	if (was) {
		d->info.present = false;
		d->info.generation++;
		d->health.valid = false;
	}
	pthread_mutex_unlock(&d->cache);
	if (was)
		log_warn("cxl: %s: device vanished (%s backend); marked not present", d->id,
			 d->be->ops->name);
}

int devset_exec(struct cxl_devset *set, size_t idx, uint16_t opcode, const uint8_t *in,
		    size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		    uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];
	int rc;

	*out_len = 0;
	*mbox_rc = 0;
	atomic_fetch_add(&d->mbox_count, 1);
	rc = d->be->ops->submit(d->be, d->local, opcode, in, in_len, out, out_max, out_len,
				mbox_rc, deadline);
	if (rc == -ENODEV || rc == -ENXIO) {
		mark_gone(d);
		rc = -ENODEV;
	}
	if (rc) {
		*out_len = 0;
		return rc;
	}
	if (*out_len > out_max) {
		/* per command, so per refresh of a faulty device: a few per window */
		log_warn_limited("cxl: answers longer than asked", d->id,
				 "cxl: %s: opcode 0x%04x answered %zu bytes, more than the %zu asked for",
				 d->id, opcode, *out_len, out_max);
		*out_len = 0;
		return -EPROTO;
	}
	return 0;
}

void cxl_devset_set_stale_hook(struct cxl_devset *set, void (*hook)(void *arg), void *arg)
{
	pthread_mutex_lock(&set->hook_lock);
	set->stale_hook = hook;
	set->stale_arg = arg;
	pthread_mutex_unlock(&set->hook_lock);
}

static void notify_stale(struct cxl_devset *set)
{
	pthread_mutex_lock(&set->hook_lock);
	if (set->stale_hook)
		set->stale_hook(set->stale_arg);
	pthread_mutex_unlock(&set->hook_lock);
}

static void free_slots(struct cxl_devset *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct devslot *d = &set->dev[i];
		pthread_mutex_destroy(&d->mbox);
		pthread_mutex_destroy(&d->cache);
		cxl_cel_free(&d->cel);
		free(d->ring);
		free(d->scratch);
		free(d->page);
	}
}

/* Whether the device layer may send its own reads of opcode this way. */
bool devset_agent_reads(struct devslot *d, uint16_t opcode)
{
	struct cxl_delivery_info di;
	memset(&di, 0, sizeof(di));
	d->be->ops->delivery(d->be, d->local, opcode, &di);
	return di.path && di.path->agent_reads;
}

static int init_slot(struct cxl_devset *set, size_t idx)
{
	struct devslot *d = &set->dev[idx];
	int rc;

	if (d->info.payload_max < 256)
		d->info.payload_max = 256; /* the smallest mailbox the spec allows */
	d->payload_max = d->info.payload_max;
	d->scratch = malloc(d->payload_max);
	d->page_max = (d->payload_max - CXL_EVENT_HDR_LEN) / CXL_EVENT_RECORD_LEN + 1;
	d->page = calloc(d->page_max, sizeof(*d->page));
	d->ring = devset_ring_new(set, d);
	if (!d->scratch || !d->page || !d->ring)
		return -ENOMEM;
	d->info.present = true;
	d->info.generation = 1;

	rc = devset_read_cel(set, idx, &d->cel);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		log_warn("cxl: %s: cannot read the Command Effects Log: %s", d->id, strerror(-rc));
	d->health_supported = cxl_cel_find(&d->cel, CXL_OP_GET_HEALTH_INFO) != NULL;
	d->events_supported = devset_mailbox_events(d);
	devset_refresh_locked(set, idx);
	return 0;
}

/* Ask every backend for its devices, in order, into set->dev[]. Each backend
 * holds at most CXL_MAX_DEVICES, but together they may hold more: the ones
 * past the limit are left out by name rather than silently, in backend
 * order (a later backend's devices are the ones left out). */
static int enumerate_all(struct cxl_devset *set, struct cxl_dev_info *infos, char *errbuf,
			 size_t errlen)
{
	struct cxl_dev_info *all = calloc(CXL_MAX_DEVICES, sizeof(*all));
	size_t total = 0;

	if (!all) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t b = 0; b < set->nbe; b++) {
		struct cxl_backend *be = set->be[b];
		int n = be->ops->enumerate(be, all, CXL_MAX_DEVICES);
		size_t fit;
		if (n < 0) {
			snprintf(errbuf, errlen, "%s backend: enumeration failed: %s", be->ops->name,
				 strerror(-n));
			free(all);
			return n;
		}
		fit = CXL_MAX_DEVICES - total < (size_t)n ? CXL_MAX_DEVICES - total : (size_t)n;
		memcpy(infos + total, all, fit * sizeof(*all));
		for (size_t i = 0; i < fit; i++) {
			set->dev[total + i].be = be;
			set->dev[total + i].local = i;
		}
		for (size_t i = fit; i < (size_t)n; i++)
			log_warn("cxl: %s device %s left out: the agent serves at most %d devices",
				 be->ops->name, all[i].name, CXL_MAX_DEVICES);
		total += fit;
	}
	free(all);
	set->n = total;
	return 0;
}

struct slot_open {
	struct cxl_devset *set;
	int *rc; /* one per device */
};

static void open_one(void *arg, size_t i)
{
	struct slot_open *o = arg;
	o->rc[i] = init_slot(o->set, i);
}

/* Read every device's CEL and first cache at once, a thread each: a device
 * that does not answer then costs the start its timeouts once, not once per
 * silent device (nine silent devices at the default 5 s timeout took longer
 * than a service manager's start timeout). A slot touches only its own
 * device. On failure, *bad is the first device that failed. */
static int init_slots(struct cxl_devset *set, size_t *bad)
{
	struct slot_open o = { .set = set, .rc = calloc(set->n ? set->n : 1, sizeof(int)) };
	int rc = 0;

	if (!o.rc)
		return -ENOMEM;
	fanout_run(set->n, OPEN_STACK_BYTES, open_one, &o);
	for (size_t i = 0; i < set->n && !rc; i++)
		if ((rc = o.rc[i]))
			*bad = i;
	free(o.rc);
	return rc;
}

/* Give each device its id (the serial, or the name when the serial is not
 * unique), set up its slot and read its CEL and first cache. */
static int open_slots(struct cxl_devset *set, const struct cxl_dev_info *infos, size_t *inited,
		      char *errbuf, size_t errlen)
{
	size_t bad = 0;
	int rc;

	for (size_t i = 0; i < set->n; i++) {
		struct devslot *d = &set->dev[i];
		bool dup = false;
		for (size_t j = 0; j < set->n; j++)
			if (j != i && infos[i].serial && infos[j].serial == infos[i].serial)
				dup = true;
		d->info = infos[i];
		cxl_dev_id_format(dup ? 0 : infos[i].serial, infos[i].name, d->id, sizeof(d->id));
		memcpy(d->info.id, d->id, sizeof(d->id));
		if (dup)
			log_warn("cxl: %s: serial 0x%016" PRIx64 " is not unique; using the name as id",
				 infos[i].name, infos[i].serial);
		pthread_mutex_init(&d->mbox, NULL);
		pthread_mutex_init(&d->cache, NULL);
		*inited = i + 1;
	}
	if ((rc = init_slots(set, &bad))) {
		snprintf(errbuf, errlen, "%s: %s", set->dev[bad].id, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct devslot *d = &set->dev[i];
		log_info("cxl: %s: %s device %s serial 0x%016" PRIx64 " volatile %" PRIu64
			 " B persistent %" PRIu64 " B fw \"%s\" lsa %" PRIu32 " B payload_max %" PRIu32
			 " cel %zu entries%s",
			 d->id, d->be->ops->name, d->info.name, d->info.serial,
			 d->info.volatile_only_bytes, d->info.persistent_only_bytes,
			 d->info.fw_revision, d->info.lsa_size, d->info.payload_max, d->cel.count,
			 d->health_supported ? "" : ", no health info");
	}
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = i + 1; j < set->n; j++)
			if (strcmp(set->dev[i].id, set->dev[j].id) == 0) {
				snprintf(errbuf, errlen, "two devices share the id \"%s\"",
					 set->dev[i].id);
				return -EEXIST;
			}
	return 0;
}

static void set_free(struct cxl_devset *set, size_t inited)
{
	free_slots(set, inited);
	free(set->dev);
	for (size_t b = 0; b < set->nbe; b++)
		set->be[b]->ops->free(set->be[b]);
	pthread_mutex_destroy(&set->hook_lock);
	free(set);
}

int cxl_devset_open_backends(const struct cxl_devset_config *cfg, struct cxl_backend *const *be,
			     size_t nbe, struct cxl_devset **out, char *errbuf, size_t errlen)
{
	struct cxl_devset *set = NULL;
	struct cxl_dev_info *infos = NULL;
	size_t inited = 0;
	int rc;

	*out = NULL;
	if (nbe == 0 || nbe > CXL_MAX_BACKENDS) {
		snprintf(errbuf, errlen, "a device set needs 1 to %d backends", CXL_MAX_BACKENDS);
		rc = -EINVAL;
		goto fail_be;
	}
	set = calloc(1, sizeof(*set));
	infos = calloc(CXL_MAX_DEVICES, sizeof(*infos));
	if (set)
		set->dev = calloc(CXL_MAX_DEVICES, sizeof(*set->dev));
	if (!set || !infos || !set->dev) {
		snprintf(errbuf, errlen, "out of memory");
		rc = -ENOMEM;
		if (set)
			free(set->dev);
		free(set);
		goto fail_be;
	}
	pthread_mutex_init(&set->hook_lock, NULL);
	for (size_t b = 0; b < nbe; b++) {
		size_t used = strlen(set->names);
		set->be[b] = be[b];
		snprintf(set->names + used, sizeof(set->names) - used, "%s%s", b ? "+" : "",
			 be[b]->ops->name);
	}
	set->nbe = nbe;
	set->timeout_ms = cfg->default_timeout_ms ? cfg->default_timeout_ms : DEFAULT_TIMEOUT_MS;
	set->refresh_ms = cfg->refresh_interval_ms ? cfg->refresh_interval_ms : DEFAULT_REFRESH_MS;
	set->ring_cap = cfg->event_ring_size ? cfg->event_ring_size : DEFAULT_RING;
	if ((rc = enumerate_all(set, infos, errbuf, errlen)) ||
	    (rc = open_slots(set, infos, &inited, errbuf, errlen))) {
		set_free(set, inited);
		free(infos);
		return rc;
	}
	free(infos);
	*out = set;
	return 0;
fail_be:
	free(infos);
	for (size_t b = 0; b < nbe; b++)
		be[b]->ops->free(be[b]);
	return rc;
}

int cxl_devset_open_backend(const struct cxl_devset_config *cfg, struct cxl_backend *be,
			    struct cxl_devset **out, char *errbuf, size_t errlen)
{
	return cxl_devset_open_backends(cfg, &be, 1, out, errbuf, errlen);
}

int cxl_devset_open(const struct cxl_devset_config *cfg, struct cxl_devset **out,
		    const char **why, char *errbuf, size_t errlen)
{
	struct cxl_backend *be[CXL_MAX_BACKENDS];
	char reason[CXL_MAX_BACKENDS][256];
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < CXL_MAX_BACKENDS && !rc; i++) {
		if (!cfg->backends[i] && (i > 0 || n > 0))
			continue;
		rc = cxl_backend_choose(NULL, 0, cfg->backends[i], cfg, &be[n], reason[n],
					sizeof(reason[n]), errbuf, errlen);
		if (!rc)
			n++;
	}
	if (!rc)
		rc = cxl_devset_open_backends(cfg, be, n, out, errbuf, errlen);
	else
		for (size_t i = 0; i < n; i++)
			be[i]->ops->free(be[i]);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen((*out)->why);
		snprintf((*out)->why + used, sizeof((*out)->why) - used, "%s%s", i ? "; " : "",
			 reason[i]);
	}
	if (why)
		*why = (*out)->why;
	return 0;
}

void cxl_devset_free(struct cxl_devset *set)
{
	if (set)
		set_free(set, set->n);
}

int cxl_devset_locate(struct cxl_devset *set, size_t idx, struct cxl_backend **be,
		      size_t *local)
{
	if (idx >= set->n)
		return -ERANGE;
	*be = set->dev[idx].be;
	*local = set->dev[idx].local;
	return 0;
}

const char *cxl_devset_backend(const struct cxl_devset *set)
{
	return set->names;
}

int cxl_devset_host_state(struct cxl_devset *set, struct cxl_host_state *out)
{
	/* The host's kernel state comes from the backend that talks to the
	 * host's driver; the first one that can tell answers. */
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < set->nbe; i++)
		if (set->be[i]->ops->host_state)
			return set->be[i]->ops->host_state(set->be[i], out);
	return -EOPNOTSUPP;
}

size_t cxl_devset_count(const struct cxl_devset *set)
{
	return set->n;
}

int cxl_devset_find(const struct cxl_devset *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->dev[i].id, id) == 0)
			return (int)i;
	return -ENOENT;
}

int cxl_devset_info(struct cxl_devset *set, size_t idx, struct cxl_dev_info *out)
{
	if (idx >= set->n)
		return -ERANGE;
	pthread_mutex_lock(&set->dev[idx].cache);
	*out = set->dev[idx].info;
	pthread_mutex_unlock(&set->dev[idx].cache);
	return 0;
}

int cxl_devset_health(struct cxl_devset *set, size_t idx, struct cxl_health *out)
{
	if (idx >= set->n)
		return -ERANGE;
	pthread_mutex_lock(&set->dev[idx].cache);
	*out = set->dev[idx].health;
	pthread_mutex_unlock(&set->dev[idx].cache);
	return 0;
}

int cxl_devset_cel(struct cxl_devset *set, size_t idx, struct cxl_cel *out)
{
	struct devslot *d;
	int rc = 0;

	out->count = 0;
	out->entries = NULL;
	if (idx >= set->n)
		return -ERANGE;
	d = &set->dev[idx];
	pthread_mutex_lock(&d->cache);
	if (d->cel.count) {
		out->entries = malloc(d->cel.count * sizeof(*out->entries));
		if (out->entries) {
			memcpy(out->entries, d->cel.entries, d->cel.count * sizeof(*out->entries));
			out->count = d->cel.count;
		} else {
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&d->cache);
	return rc;
}

int cxl_devset_events(struct cxl_devset *set, size_t idx, uint64_t after_seq,
		      struct cxl_event *out, size_t max)
{
	struct devslot *d;
	size_t n = 0;

	if (idx >= set->n)
		return -ERANGE;
	d = &set->dev[idx];
	pthread_mutex_lock(&d->cache);
	for (size_t i = 0; i < d->ring_len && n < max; i++) {
		const struct cxl_event *e = &d->ring[(d->ring_start + i) % d->ring_alloc];
		if (e->seq > after_seq)
			out[n++] = *e;
	}
	pthread_mutex_unlock(&d->cache);
	return (int)n;
}

const char *cxl_delivery_method(const struct cxl_delivery_info *d)
{
	return d->path ? d->path->method : "Unavailable";
}

int cxl_devset_delivery(struct cxl_devset *set, size_t idx, uint16_t opcode,
			struct cxl_delivery_info *out)
{
	bool present;

	if (idx >= set->n)
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&set->dev[idx].cache);
	present = set->dev[idx].info.present;
	pthread_mutex_unlock(&set->dev[idx].cache);
	if (!present) {
		snprintf(out->reason, sizeof(out->reason), "device is no longer present");
		return 0;
	}
	set->dev[idx].be->ops->delivery(set->dev[idx].be, set->dev[idx].local, opcode, out);
	return 0;
}

int cxl_devset_submit(struct cxl_devset *set, size_t idx, const struct cxl_cmd *cmd,
		      struct cxl_cmd_result *res)
{
	struct devslot *d;
	struct timespec deadline;
	uint8_t *buf;
	size_t out_len = 0;
	uint16_t mrc = 0;
	uint64_t t0 = mono_us();
	bool present, changes = false;
	int rc;

	memset(res, 0, sizeof(*res));
	if (idx >= set->n)
		return -ERANGE;
	if (!cmd || (cmd->in_len && !cmd->in))
		return -EINVAL;
	d = &set->dev[idx];
	clock_deadline_ms(&deadline, cmd->timeout_ms ? cmd->timeout_ms : set->timeout_ms);
	if (cmd->in_len > d->payload_max) {
		res->transport = -EINVAL; /* as the kernel answers an oversized payload */
		return 0;
	}
	buf = malloc(d->payload_max);
	if (!buf)
		return -ENOMEM;
	rc = pthread_mutex_clocklock(&d->mbox, CLOCK_MONOTONIC, &deadline);
	if (rc) {
		free(buf);
		res->transport = rc == ETIMEDOUT ? -EBUSY : -rc;
		res->duration_us = mono_us() - t0;
		return 0;
	}
	pthread_mutex_lock(&d->cache);
	present = d->info.present;
	pthread_mutex_unlock(&d->cache);
	if (!present) {
		rc = -ENODEV;
	} else {
		uint64_t t1 = mono_us();
		rc = devset_exec(set, idx, cmd->opcode, cmd->in, cmd->in_len, buf, d->payload_max,
			      &out_len, &mrc, &deadline);
		res->duration_us = mono_us() - t1;
	}
	if (!rc) {
		/* A command declaring any effect may have changed what we cache. */
		pthread_mutex_lock(&d->cache);
		const struct cxl_cel_entry *e = cxl_cel_find(&d->cel, cmd->opcode);
		changes = !e || e->effects;
		if (changes)
			d->stale = true;
		pthread_mutex_unlock(&d->cache);
	}
	pthread_mutex_unlock(&d->mbox);
	if (changes)
		notify_stale(set);
	res->transport = rc;
	res->mbox_rc = rc ? 0 : mrc;
	if (!rc && out_len) {
		uint8_t *shrunk = realloc(buf, out_len);
		if (shrunk)
			buf = shrunk;
		res->out = buf;
		res->out_len = out_len;
	} else {
		free(buf);
	}
	return 0;
}

uint64_t cxl_devset_mailbox_count(struct cxl_devset *set, size_t idx)
{
	if (idx >= set->n)
		return 0;
	return atomic_load(&set->dev[idx].mbox_count);
}
