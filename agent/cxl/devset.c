/* The device set: device.h implemented once over any backend (backend.h).
 *
 * Locking, per device:
 *  - mbox serialises mailbox traffic (user submissions, the CEL read at open,
 *    cache refreshes). Submitters wait for it with pthread_mutex_clocklock on
 *    CLOCK_MONOTONIC, bounded by their timeout; a device still busy at the
 *    deadline gives transport -EBUSY (the command was never sent), while
 *    -ETIMEDOUT is kept for "sent, and no answer in time" from the backend.
 *  - cache guards the copies readers get (info, health, CEL, event ring) and
 *    is only ever held for memcpy-sized work, never across a command. A
 *    refresh that is due takes mbox with trylock: when a command is running,
 *    readers get the cached copy and its read_at instead of waiting.
 *  - mbox is always taken before cache, never the other way round.
 * Readers never talk to a device: cxl_devset_info/health/events copy the
 * cache. Refreshes (inventory, health, event draining, which clears the
 * device's event records) run only in cxl_devset_refresh(), called by the
 * background poller, and once at open. A command with effects marks the
 * cache stale and calls the stale hook so the poller refreshes promptly. */
#include "cxl/device.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/mbox.h"
#include "util/log.h"

#define DEFAULT_TIMEOUT_MS 5000u
#define DEFAULT_REFRESH_MS 1000u
#define DEFAULT_RING 256u
#define CEL_MAX_BYTES (65536u * 4u)
#define EVENT_PAGES_PER_LOG 16 /* bound on Get Event Records rounds per refresh */
#define CLEAR_MAX_HANDLES 255u /* Clear Event Records counts handles in one byte */

struct devslot {
	pthread_mutex_t mbox;
	pthread_mutex_t cache;
	char id[CXL_ID_MAX]; /* immutable after open */
	uint32_t payload_max; /* immutable after open */
	/* under cache */
	struct cxl_dev_info info;
	struct cxl_health health;
	bool health_supported;
	bool events_supported;
	struct cxl_cel cel;
	struct cxl_event *ring;
	size_t ring_start, ring_len;
	uint64_t next_seq;
	struct timespec refreshed; /* CLOCK_MONOTONIC of the last refresh attempt */
	bool refreshed_once;
	bool stale;
	/* under mbox */
	uint8_t *scratch; /* payload_max bytes */
	struct cxl_event *page; /* one Get Event Records page */
	size_t page_max;
	_Atomic uint64_t mbox_count;
};

struct cxl_devset {
	struct cxl_backend *be;
	pthread_mutex_t hook_lock;
	void (*stale_hook)(void *arg); /* under hook_lock */
	void *stale_arg;
	unsigned timeout_ms;
	unsigned refresh_ms;
	size_t ring_cap;
	size_t n;
	struct devslot *dev;
};

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

void cxl_deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int64_t cxl_ms_until(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void mark_gone(struct cxl_devset *set, struct devslot *d)
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
			 set->be->ops->name);
}

/* One command with mbox held. Checks the reply length against out_max. */
static int dev_exec(struct cxl_devset *set, size_t idx, uint16_t opcode, const uint8_t *in,
		    size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		    uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];
	int rc;

	*out_len = 0;
	*mbox_rc = 0;
	atomic_fetch_add(&d->mbox_count, 1);
	rc = set->be->ops->submit(set->be, idx, opcode, in, in_len, out, out_max, out_len,
				  mbox_rc, deadline);
	if (rc == -ENODEV || rc == -ENXIO) {
		mark_gone(set, d);
		rc = -ENODEV;
	}
	if (rc) {
		*out_len = 0;
		return rc;
	}
	if (*out_len > out_max) {
		log_warn("cxl: %s: opcode 0x%04x answered %zu bytes, more than the %zu asked for",
			 d->id, opcode, *out_len, out_max);
		*out_len = 0;
		return -EPROTO;
	}
	return 0;
}

/* dev_exec for the agent's own commands: success means transport 0 and
 * mailbox Success; a mailbox failure becomes -EREMOTEIO (or -EOPNOTSUPP for
 * Unsupported). */
static int dev_cmd(struct cxl_devset *set, size_t idx, uint16_t opcode, const uint8_t *in,
		   size_t in_len, size_t *out_len, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];
	uint16_t mrc;
	int rc = dev_exec(set, idx, opcode, in, in_len, d->scratch, d->payload_max, out_len, &mrc,
			  deadline);
	if (rc)
		return rc;
	if (mrc == CXL_MBOX_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (mrc != CXL_MBOX_SUCCESS)
		return -EREMOTEIO;
	return 0;
}

static int read_cel(struct cxl_devset *set, size_t idx, struct cxl_cel *cel)
{
	struct devslot *d = &set->dev[idx];
	struct cxl_supported_log *logs = NULL;
	size_t nlogs = 0, out_len, cel_size = 0;
	uint8_t *raw = NULL;
	struct timespec deadline;
	bool found = false;
	int rc;

	cel->count = 0;
	cel->entries = NULL;
	cxl_deadline_in(&deadline, set->timeout_ms);
	rc = dev_cmd(set, idx, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, &out_len, &deadline);
	if (rc)
		goto out;
	rc = cxl_parse_supported_logs(d->scratch, out_len, &logs, &nlogs);
	if (rc)
		goto out;
	for (size_t i = 0; i < nlogs; i++) {
		if (memcmp(logs[i].uuid, cxl_log_uuid_cel, 16) == 0) {
			cel_size = logs[i].size;
			found = true;
			break;
		}
	}
	if (!found) {
		rc = -ENOENT;
		goto out;
	}
	if (cel_size % 4 || cel_size > CEL_MAX_BYTES) {
		rc = -EPROTO;
		goto out;
	}
	raw = malloc(cel_size ? cel_size : 1);
	if (!raw) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t off = 0; off < cel_size;) {
		uint8_t in[CXL_GET_LOG_IN_LEN];
		size_t chunk = cel_size - off;
		if (chunk > d->payload_max)
			chunk = d->payload_max;
		memcpy(in, cxl_log_uuid_cel, 16);
		cxl_put_le32(in + 16, (uint32_t)off);
		cxl_put_le32(in + 20, (uint32_t)chunk);
		rc = dev_cmd(set, idx, CXL_OP_GET_LOG, in, sizeof(in), &out_len, &deadline);
		if (rc)
			goto out;
		if (out_len != chunk) {
			rc = -EPROTO;
			goto out;
		}
		memcpy(raw + off, d->scratch, chunk);
		off += chunk;
	}
	rc = cxl_cel_parse(raw, cel_size, cel);
out:
	free(logs);
	free(raw);
	return rc;
}

/* Everything but generation and read_at. */
static bool info_same(const struct cxl_dev_info *a, const struct cxl_dev_info *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 &&
	       a->serial == b->serial && strcmp(a->host, b->host) == 0 &&
	       a->pci_vendor_id == b->pci_vendor_id && a->pci_device_id == b->pci_device_id &&
	       strcmp(a->fw_revision, b->fw_revision) == 0 && a->total_bytes == b->total_bytes &&
	       a->volatile_only_bytes == b->volatile_only_bytes &&
	       a->persistent_only_bytes == b->persistent_only_bytes &&
	       a->partition_align_bytes == b->partition_align_bytes &&
	       a->has_partition == b->has_partition &&
	       a->active_volatile_bytes == b->active_volatile_bytes &&
	       a->active_persistent_bytes == b->active_persistent_bytes &&
	       a->next_volatile_bytes == b->next_volatile_bytes &&
	       a->next_persistent_bytes == b->next_persistent_bytes && a->lsa_size == b->lsa_size &&
	       a->payload_max == b->payload_max && a->numa_node == b->numa_node &&
	       a->present == b->present;
}

static bool health_same(const struct cxl_health *a, const struct cxl_health *b)
{
	return a->valid == b->valid && a->health_status == b->health_status &&
	       a->media_status == b->media_status && a->additional_status == b->additional_status &&
	       a->life_used_pct == b->life_used_pct && a->temperature_c == b->temperature_c &&
	       a->dirty_shutdowns == b->dirty_shutdowns &&
	       a->corrected_volatile_errors == b->corrected_volatile_errors &&
	       a->corrected_persistent_errors == b->corrected_persistent_errors;
}

static void ring_push(struct cxl_devset *set, struct devslot *d, const struct cxl_event *ev,
		      size_t n)
{
	pthread_mutex_lock(&d->cache);
	for (size_t i = 0; i < n; i++) {
		size_t pos;
		if (d->ring_len == set->ring_cap) {
			d->ring_start = (d->ring_start + 1) % set->ring_cap;
			d->ring_len--;
		}
		pos = (d->ring_start + d->ring_len) % set->ring_cap;
		d->ring[pos] = ev[i];
		d->ring[pos].seq = ++d->next_seq;
		d->ring_len++;
	}
	if (n)
		d->info.generation++;
	pthread_mutex_unlock(&d->cache);
}

/* Drain the four event logs: read a page, clear exactly those handles, and
 * only then keep the records, so a failed clear re-reads them next time
 * instead of duplicating them. */
static void collect_events(struct cxl_devset *set, size_t idx, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];

	for (int log = CXL_EVENT_LOG_INFO; log <= CXL_EVENT_LOG_FATAL; log++) {
		for (int round = 0; round < EVENT_PAGES_PER_LOG; round++) {
			struct cxl_event_page page;
			uint8_t in = (uint8_t)log;
			size_t out_len, got, done = 0;
			int rc = dev_cmd(set, idx, CXL_OP_GET_EVENT_RECORDS, &in, 1, &out_len, deadline);
			if (rc)
				return;
			if (cxl_parse_event_records(d->scratch, out_len, (enum cxl_event_log)log, &page,
						    d->page, d->page_max))
				return;
			got = page.record_count < d->page_max ? page.record_count : d->page_max;
			if (!got)
				break;
			while (done < got) {
				uint8_t clr[CXL_CLEAR_EVENT_HDR_LEN + 2 * CLEAR_MAX_HANDLES];
				size_t k = got - done, clen;
				if (k > CLEAR_MAX_HANDLES)
					k = CLEAR_MAX_HANDLES;
				if (CXL_CLEAR_EVENT_HDR_LEN + 2 * k > d->payload_max)
					k = (d->payload_max - CXL_CLEAR_EVENT_HDR_LEN) / 2;
				memset(clr, 0, sizeof(clr));
				clr[0] = (uint8_t)log;
				clr[2] = (uint8_t)k;
				for (size_t i = 0; i < k; i++)
					cxl_put_le16(clr + CXL_CLEAR_EVENT_HDR_LEN + 2 * i,
						     d->page[done + i].handle);
				clen = CXL_CLEAR_EVENT_HDR_LEN + 2 * k;
				rc = dev_cmd(set, idx, CXL_OP_CLEAR_EVENT_RECORDS, clr, clen, &out_len,
					     deadline);
				if (rc)
					return;
				ring_push(set, d, d->page + done, k);
				done += k;
			}
			if (!(page.flags & CXL_EVENT_FLAG_MORE))
				break;
		}
	}
}

/* Re-read inventory, health and events; mbox held. */
static void refresh_locked(struct cxl_devset *set, size_t idx)
{
	struct devslot *d = &set->dev[idx];
	struct cxl_dev_info ni;
	struct cxl_health nh;
	struct cxl_identify id;
	struct cxl_partition part;
	struct timespec deadline;
	bool ok_id = false, ok_part = false, ok_health = false, health_gone = false;
	bool health_sup, events_sup, present;
	size_t out_len;
	int rc;

	pthread_mutex_lock(&d->cache);
	present = d->info.present;
	health_sup = d->health_supported;
	events_sup = d->events_supported;
	clock_gettime(CLOCK_MONOTONIC, &d->refreshed);
	d->refreshed_once = true;
	d->stale = false;
	pthread_mutex_unlock(&d->cache);
	if (!present)
		return;

	cxl_deadline_in(&deadline, set->timeout_ms);
	rc = dev_cmd(set, idx, CXL_OP_IDENTIFY, NULL, 0, &out_len, &deadline);
	if (!rc && !cxl_parse_identify(d->scratch, out_len, &id))
		ok_id = true;
	if (rc != -ENODEV) {
		rc = dev_cmd(set, idx, CXL_OP_GET_PARTITION_INFO, NULL, 0, &out_len, &deadline);
		if (!rc && !cxl_parse_partition(d->scratch, out_len, &part))
			ok_part = true;
	}
	if (rc != -ENODEV && health_sup) {
		memset(&nh, 0, sizeof(nh));
		rc = dev_cmd(set, idx, CXL_OP_GET_HEALTH_INFO, NULL, 0, &out_len, &deadline);
		if (!rc && !cxl_parse_health(d->scratch, out_len, &nh))
			ok_health = true;
		else if (rc == -ENOTTY || rc == -EOPNOTSUPP)
			health_gone = true;
	}
	if (rc != -ENODEV && events_sup)
		collect_events(set, idx, &deadline);

	pthread_mutex_lock(&d->cache);
	ni = d->info;
	if (ok_id) {
		memcpy(ni.fw_revision, id.fw_revision, sizeof(ni.fw_revision));
		ni.total_bytes = id.total_bytes;
		ni.volatile_only_bytes = id.volatile_only_bytes;
		ni.persistent_only_bytes = id.persistent_only_bytes;
		ni.partition_align_bytes = id.partition_align_bytes;
		ni.lsa_size = id.lsa_size;
	}
	if (ok_part) {
		ni.has_partition = true;
		ni.active_volatile_bytes = part.active_volatile_bytes;
		ni.active_persistent_bytes = part.active_persistent_bytes;
		ni.next_volatile_bytes = part.next_volatile_bytes;
		ni.next_persistent_bytes = part.next_persistent_bytes;
	}
	if (ok_id || ok_part)
		clock_gettime(CLOCK_REALTIME, &ni.read_at);
	if (!info_same(&ni, &d->info))
		ni.generation++;
	d->info = ni;
	if (health_gone) {
		d->health_supported = false;
		if (d->health.valid)
			d->info.generation++;
		memset(&d->health, 0, sizeof(d->health));
	} else if (ok_health) {
		clock_gettime(CLOCK_REALTIME, &nh.read_at);
		if (!health_same(&nh, &d->health))
			d->info.generation++;
		d->health = nh;
	}
	pthread_mutex_unlock(&d->cache);
}

int cxl_devset_refresh(struct cxl_devset *set, size_t idx, bool force)
{
	struct devslot *d;
	bool due;
	struct timespec now;

	if (idx >= set->n)
		return -ERANGE;
	d = &set->dev[idx];
	pthread_mutex_lock(&d->cache);
	clock_gettime(CLOCK_MONOTONIC, &now);
	due = d->info.present &&
	      (force || !d->refreshed_once || d->stale ||
	       (now.tv_sec - d->refreshed.tv_sec) * 1000 +
			       (now.tv_nsec - d->refreshed.tv_nsec) / 1000000L >=
		       (long)set->refresh_ms);
	pthread_mutex_unlock(&d->cache);
	if (!due)
		return -EAGAIN;
	if (pthread_mutex_trylock(&d->mbox) != 0)
		return -EBUSY; /* a command is running: the cache stays as it is */
	refresh_locked(set, idx);
	pthread_mutex_unlock(&d->mbox);
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

static bool delivered(struct cxl_devset *set, size_t idx, uint16_t opcode)
{
	struct cxl_delivery_info di;
	set->be->ops->delivery(set->be, idx, opcode, &di);
	/* Events go through RAW only on kernels built for debugging, and the
	 * kernel driver consumes them itself: the agent does not compete. */
	return di.how == CXL_DELIVER_EMULATED || di.how == CXL_DELIVER_KERNEL_NAMED;
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
	d->ring = calloc(set->ring_cap, sizeof(*d->ring));
	if (!d->scratch || !d->page || !d->ring)
		return -ENOMEM;
	d->info.present = true;
	d->info.generation = 1;

	rc = read_cel(set, idx, &d->cel);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		log_warn("cxl: %s: cannot read the Command Effects Log: %s", d->id, strerror(-rc));
	d->health_supported = cxl_cel_find(&d->cel, CXL_OP_GET_HEALTH_INFO) != NULL;
	d->events_supported = cxl_cel_find(&d->cel, CXL_OP_GET_EVENT_RECORDS) &&
			      cxl_cel_find(&d->cel, CXL_OP_CLEAR_EVENT_RECORDS) &&
			      delivered(set, idx, CXL_OP_GET_EVENT_RECORDS) &&
			      delivered(set, idx, CXL_OP_CLEAR_EVENT_RECORDS);
	refresh_locked(set, idx);
	return 0;
}

int cxl_devset_open_backend(const struct cxl_devset_config *cfg, struct cxl_backend *be,
			    struct cxl_devset **out, char *errbuf, size_t errlen)
{
	struct cxl_devset *set;
	struct cxl_dev_info *infos = NULL;
	size_t inited = 0;
	int n, rc;

	*out = NULL;
	set = calloc(1, sizeof(*set));
	infos = calloc(CXL_MAX_DEVICES, sizeof(*infos));
	if (!set || !infos) {
		rc = -ENOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	set->be = be;
	pthread_mutex_init(&set->hook_lock, NULL);
	set->timeout_ms = cfg->default_timeout_ms ? cfg->default_timeout_ms : DEFAULT_TIMEOUT_MS;
	set->refresh_ms = cfg->refresh_interval_ms ? cfg->refresh_interval_ms : DEFAULT_REFRESH_MS;
	set->ring_cap = cfg->event_ring_size ? cfg->event_ring_size : DEFAULT_RING;
	n = be->ops->enumerate(be, infos, CXL_MAX_DEVICES);
	if (n < 0) {
		rc = n;
		snprintf(errbuf, errlen, "%s backend: enumeration failed: %s", be->ops->name,
			 strerror(-rc));
		goto fail;
	}
	set->n = (size_t)n;
	set->dev = calloc(set->n ? set->n : 1, sizeof(*set->dev));
	if (!set->dev) {
		rc = -ENOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
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
		inited = i + 1;
		rc = init_slot(set, i);
		if (rc) {
			snprintf(errbuf, errlen, "%s: %s", d->id, strerror(-rc));
			goto fail;
		}
		log_info("cxl: %s: %s device %s serial 0x%016" PRIx64 " volatile %" PRIu64
			 " B persistent %" PRIu64 " B fw \"%s\" lsa %" PRIu32 " B payload_max %" PRIu32
			 " cel %zu entries%s",
			 d->id, be->ops->name, d->info.name, d->info.serial,
			 d->info.volatile_only_bytes, d->info.persistent_only_bytes,
			 d->info.fw_revision, d->info.lsa_size, d->info.payload_max, d->cel.count,
			 d->health_supported ? "" : ", no health info");
	}
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = i + 1; j < set->n; j++)
			if (strcmp(set->dev[i].id, set->dev[j].id) == 0) {
				rc = -EEXIST;
				snprintf(errbuf, errlen, "two devices share the id \"%s\"",
					 set->dev[i].id);
				goto fail;
			}
	free(infos);
	*out = set;
	return 0;
fail:
	if (set) {
		free_slots(set, inited);
		free(set->dev);
		if (set->be)
			pthread_mutex_destroy(&set->hook_lock);
		free(set);
	}
	free(infos);
	be->ops->free(be);
	return rc;
}

static bool kernel_devices_present(void)
{
	glob_t g;
	bool any = glob("/dev/cxl/mem*", 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return any;
}

int cxl_devset_open(const struct cxl_devset_config *cfg, struct cxl_devset **out,
		    const char **why, char *errbuf, size_t errlen)
{
	struct cxl_backend *be = NULL;
	const char *reason;
	int rc;

	*out = NULL;
	switch (cfg->backend) {
	case CXL_BACKEND_KERNEL:
		reason = "kernel backend requested by configuration";
		rc = cxl_kernel_backend_new(&be, errbuf, errlen);
		break;
	case CXL_BACKEND_EMULATED:
		reason = "emulated backend requested by configuration";
		rc = cxl_emu_backend_new(cfg->emulated_profile, cfg->state_dir, &be, errbuf, errlen);
		break;
	case CXL_BACKEND_AUTO:
		if (!kernel_devices_present()) {
			reason = "auto: no /dev/cxl/mem* device, using the emulated backend";
		} else {
			rc = cxl_kernel_backend_new(&be, errbuf, errlen);
			if (!rc) {
				reason = "auto: /dev/cxl/mem* devices found and opened, using the kernel backend";
				break;
			}
			log_warn("cxl: kernel backend unavailable: %s", errbuf);
			reason = "auto: /dev/cxl/mem* present but cannot be opened, using the emulated backend";
		}
		rc = cxl_emu_backend_new(cfg->emulated_profile, cfg->state_dir, &be, errbuf, errlen);
		break;
	default:
		snprintf(errbuf, errlen, "unknown backend kind %d", (int)cfg->backend);
		return -EINVAL;
	}
	if (why)
		*why = reason;
	if (rc)
		return rc;
	return cxl_devset_open_backend(cfg, be, out, errbuf, errlen);
}

void cxl_devset_free(struct cxl_devset *set)
{
	if (!set)
		return;
	free_slots(set, set->n);
	free(set->dev);
	set->be->ops->free(set->be);
	pthread_mutex_destroy(&set->hook_lock);
	free(set);
}

struct cxl_backend *cxl_devset_backend_of(struct cxl_devset *set)
{
	return set->be;
}

const char *cxl_devset_backend(const struct cxl_devset *set)
{
	return set->be->ops->name;
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
		const struct cxl_event *e = &d->ring[(d->ring_start + i) % set->ring_cap];
		if (e->seq > after_seq)
			out[n++] = *e;
	}
	pthread_mutex_unlock(&d->cache);
	return (int)n;
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
		out->how = CXL_DELIVER_UNAVAILABLE;
		snprintf(out->reason, sizeof(out->reason), "device is no longer present");
		return 0;
	}
	set->be->ops->delivery(set->be, idx, opcode, out);
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
	cxl_deadline_in(&deadline, cmd->timeout_ms ? cmd->timeout_ms : set->timeout_ms);
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
		rc = dev_exec(set, idx, cmd->opcode, cmd->in, cmd->in_len, buf, d->payload_max,
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
