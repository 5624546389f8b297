/* The refresh of a device's cache: inventory, health, and draining its
 * event records (read, then clear on the device). Only the background poller
 * (through cxl_devset_refresh()) and the open of a set run it: readers get
 * the cache. Locking: devset_impl.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/devset_impl.h"
#include "cxl/mbox.h"
#include "util/clock.h"
#include "util/log.h"

#define CEL_MAX_BYTES (CXL_CEL_MAX_ENTRIES * 4u)
#define EVENT_PAGES_PER_LOG 16 /* bound on Get Event Records rounds per refresh */
#define CLEAR_MAX_HANDLES 255u /* Clear Event Records counts handles in one byte */

/* dev_exec for the agent's own commands: success means transport 0 and
 * mailbox Success; a mailbox failure becomes -EREMOTEIO (or -EOPNOTSUPP for
 * Unsupported). */
static int dev_cmd(struct cxl_devset *set, size_t idx, uint16_t opcode, const uint8_t *in,
		   size_t in_len, size_t *out_len, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];
	uint16_t mrc;
	int rc = devset_exec(set, idx, opcode, in, in_len, d->scratch, d->payload_max, out_len, &mrc,
			  deadline);
	if (rc)
		return rc;
	if (mrc == CXL_MBOX_UNSUPPORTED)
		return -EOPNOTSUPP;
	if (mrc != CXL_MBOX_SUCCESS)
		return -EREMOTEIO;
	return 0;
}

int devset_read_cel(struct cxl_devset *set, size_t idx, struct cxl_cel *cel)
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
	clock_deadline_ms(&deadline, set->timeout_ms);
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
	       a->present == b->present && a->has_timestamp == b->has_timestamp;
	/* device_timestamp_ns moves with every read: not a change of the device */
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
	for (size_t i = 0; i < n; i++)
		devset_ring_add(set, d, &ev[i])->seq = ++d->next_seq;
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

bool devset_mailbox_events(struct devslot *d)
{
	return !d->be->ops->take_events && cxl_cel_find(&d->cel, CXL_OP_GET_EVENT_RECORDS) &&
	       cxl_cel_find(&d->cel, CXL_OP_CLEAR_EVENT_RECORDS) &&
	       devset_agent_reads(d, CXL_OP_GET_EVENT_RECORDS) &&
	       devset_agent_reads(d, CXL_OP_CLEAR_EVENT_RECORDS);
}

/* Records the backend gathered itself (the driver's trace events). */
static void take_events(struct cxl_devset *set, size_t idx)
{
	struct devslot *d = &set->dev[idx];
	int n;

	do {
		n = d->be->ops->take_events(d->be, d->local, d->page, d->page_max);
		if (n > 0)
			ring_push(set, d, d->page, (size_t)n);
	} while (n > 0 && (size_t)n == d->page_max);
}

/* Put cel (taken over) in force for d and recompute what rests on it; fw is
 * the firmware it belongs to, NULL: the next Identify tells. */
static void cel_install(struct devslot *d, struct cxl_cel *cel, bool unread, const char *fw)
{
	pthread_mutex_lock(&d->cache);
	cxl_cel_free(&d->cel);
	d->cel = *cel;
	d->cel_unread = unread;
	d->cel_fw_known = fw != NULL;
	if (fw)
		snprintf(d->cel_fw, sizeof(d->cel_fw), "%s", fw);
	d->health_supported = cxl_cel_find(&d->cel, CXL_OP_GET_HEALTH_INFO) != NULL;
	d->events_supported = devset_mailbox_events(d);
	d->info.generation++;
	pthread_mutex_unlock(&d->cache);
}

/* New firmware can declare other commands and other effects, and the
 * policy decides on the CEL: a device whose Identify shows another firmware
 * revision than the cache (activated in place, without the device going
 * away) has its CEL read again. Until that read succeeds the CEL is empty,
 * so nothing runs on effects the device no longer declares. Mailbox held. */
static void recheck_cel(struct cxl_devset *set, size_t idx, const char *fw)
{
	struct devslot *d = &set->dev[idx];
	struct cxl_cel cel;
	bool changed, unread;
	int rc;

	pthread_mutex_lock(&d->cache);
	if (!d->cel_fw_known) {
		snprintf(d->cel_fw, sizeof(d->cel_fw), "%s", fw);
		d->cel_fw_known = true;
	}
	changed = strcmp(fw, d->cel_fw) != 0;
	unread = d->cel_unread;
	pthread_mutex_unlock(&d->cache);
	if (!changed && !unread)
		return;
	if (changed)
		log_info("cxl: %s: firmware \"%s\" now; reading its Command Effects Log again", d->id,
			 fw);
	memset(&cel, 0, sizeof(cel));
	rc = devset_read_cel(set, idx, &cel);
	if (rc && !changed) {
		cxl_cel_free(&cel); /* still unread, nothing new */
		return;
	}
	if (rc)
		log_warn("cxl: %s: the new firmware's Command Effects Log is unreadable (%s); "
			 "no command runs until it is read",
			 d->id, strerror(-rc));
	cel_install(d, &cel, rc != 0, fw);
}

/* Whether what answers as d now is the device the agent knew, asked of
 * backends whose devices can come back (identity op). Another device in its
 * place (a different serial or PCI ids) is not it: its id, and the
 * approvals and audit records made for that id's serial, belong to the
 * device that left, so the slot stays absent and the newcomer waits for a
 * restart to get an id of its own. A device never identified (silent at
 * start: no serial, no PCI ids) takes the identity it answers with. Called
 * with the mailbox lock held. */
static bool same_device(struct cxl_devset *set, size_t idx, const struct timespec *deadline)
{
	struct devslot *d = &set->dev[idx];
	uint64_t serial = 0;
	uint16_t vendor = 0, device = 0;
	bool known, same;

	if (!d->be->ops->identity)
		return true;
	if (d->be->ops->identity(d->be, d->local, &serial, &vendor, &device, deadline))
		return false;
	pthread_mutex_lock(&d->cache);
	known = d->info.serial || d->info.pci_vendor_id || d->info.pci_device_id;
	same = serial == d->info.serial && vendor == d->info.pci_vendor_id &&
	       device == d->info.pci_device_id;
	if (!same && !known) {
		d->info.serial = serial;
		d->info.pci_vendor_id = vendor;
		d->info.pci_device_id = device;
		d->info.generation++;
	}
	pthread_mutex_unlock(&d->cache);
	if (!same && known) {
		if (!d->stranger_seen || d->stranger_serial != serial)
			log_warn("cxl: %s: another device answers in its place (serial 0x%016" PRIx64
				 ", PCI %04x:%04x); kept absent until the agent restarts",
				 d->id, serial, vendor, device);
		d->stranger_seen = true;
		d->stranger_serial = serial;
		return false;
	}
	d->stranger_seen = false;
	return true;
}

/* An absent device that answers Identify again, as itself, is back:
 * present, with its CEL read afresh (it may have been unreadable, or its
 * firmware changed) and what depends on the CEL recomputed. Backends whose
 * gone devices never answer (a removed kernel device node) simply stay
 * absent. Returns whether the device is present now. Called with the
 * mailbox lock held. */
static bool revive(struct cxl_devset *set, size_t idx)
{
	struct devslot *d = &set->dev[idx];
	struct cxl_cel cel;
	struct timespec deadline;
	size_t out_len = 0;
	uint16_t mrc = 0;
	int rc;

	clock_deadline_ms(&deadline, set->timeout_ms);
	rc = d->be->ops->submit(d->be, d->local, CXL_OP_IDENTIFY, NULL, 0, d->scratch,
				d->payload_max, &out_len, &mrc, &deadline);
	if (rc || mrc != CXL_MBOX_SUCCESS || !same_device(set, idx, &deadline))
		return false;
	memset(&cel, 0, sizeof(cel));
	rc = devset_read_cel(set, idx, &cel);
	if (rc)
		log_warn("cxl: %s: back, but its Command Effects Log is unreadable", d->id);
	cel_install(d, &cel, rc != 0, NULL);
	pthread_mutex_lock(&d->cache);
	d->info.present = true;
	pthread_mutex_unlock(&d->cache);
	log_info("cxl: %s: answering again (%s backend); marked present", d->id,
		 d->be->ops->name);
	return true;
}

void devset_refresh_locked(struct cxl_devset *set, size_t idx)
{
	struct devslot *d = &set->dev[idx];
	struct cxl_dev_info ni;
	struct cxl_health nh;
	struct cxl_identify id;
	struct cxl_partition part;
	struct timespec deadline;
	bool ok_id = false, ok_part = false, ok_health = false, health_gone = false, ok_ts = false;
	bool health_sup, events_sup, ts_sup, present;
	uint64_t ts = 0;
	size_t out_len;
	int rc;

	pthread_mutex_lock(&d->cache);
	present = d->info.present;
	health_sup = d->health_supported;
	events_sup = d->events_supported;
	/* the device clock the driver set at probe (6.3+), where the agent may ask */
	ts_sup = cxl_cel_find(&d->cel, CXL_OP_GET_TIMESTAMP) &&
		 devset_agent_reads(d, CXL_OP_GET_TIMESTAMP);
	clock_gettime(CLOCK_MONOTONIC, &d->refreshed);
	d->refreshed_once = true;
	d->stale = false;
	pthread_mutex_unlock(&d->cache);
	if (!present && !revive(set, idx))
		return;

	clock_deadline_ms(&deadline, set->timeout_ms);
	rc = dev_cmd(set, idx, CXL_OP_IDENTIFY, NULL, 0, &out_len, &deadline);
	if (!rc && !cxl_parse_identify(d->scratch, out_len, &id)) {
		ok_id = true;
		recheck_cel(set, idx, id.fw_revision);
	}
	if (rc != -ENODEV) {
		rc = dev_cmd(set, idx, CXL_OP_GET_PARTITION_INFO, NULL, 0, &out_len, &deadline);
		if (!rc && !cxl_parse_partition(d->scratch, out_len, &part))
			ok_part = true;
	}
	if (rc != -ENODEV && ts_sup) {
		rc = dev_cmd(set, idx, CXL_OP_GET_TIMESTAMP, NULL, 0, &out_len, &deadline);
		if (!rc && out_len >= CXL_TIMESTAMP_LEN) {
			ts = cxl_get_le64(d->scratch);
			ok_ts = true;
		}
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
	if (d->be->ops->take_events)
		take_events(set, idx);

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
	ni.has_timestamp = ok_ts;
	ni.device_timestamp_ns = ts;
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
	due = (force || !d->refreshed_once || d->stale ||
	       clock_ms_between(&d->refreshed, &now) >= (int64_t)set->refresh_ms);
	pthread_mutex_unlock(&d->cache);
	if (!due)
		return -EAGAIN;
	if (pthread_mutex_trylock(&d->mbox) != 0)
		return -EBUSY; /* a command is running: the cache stays as it is */
	devset_refresh_locked(set, idx);
	pthread_mutex_unlock(&d->mbox);
	return 0;
}

