/* What the broker sends unasked: the hello, device snapshots and event
 * records when they change, the catalogue, the audit log's health. The
 * front's GETs read these copies and never wait on the broker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "broker/internal.h"
#include "core/agent.h"
#include "policy/catalogue.h"
#include "util/fileio.h"
#include "util/log.h"

int broker_delivery_table(struct broker *b, size_t idx, const struct cxl_cel *cel,
			  struct broker_delivery **out, size_t *n)
{
	struct policy_catalogue *cat = catalogue_cell_get(&b->ag->catalogue);
	size_t ncat = cat ? catalogue_count(cat) : 0, max = cel->count + ncat, k = 0;
	struct broker_delivery *d;

	if (max > BROKER_DELIVERY_MAX)
		max = BROKER_DELIVERY_MAX;
	*out = NULL;
	*n = 0;
	if (!max) {
		catalogue_unref(cat);
		return 0;
	}
	if (!(d = calloc(max, sizeof(*d)))) {
		catalogue_unref(cat);
		return -ENOMEM;
	}
	/* Approved opcodes first: they are what callers run, and a CEL long
	 * enough to fill the table must not push them out of it. */
	for (size_t i = 0; i < ncat + cel->count && k < max; i++) {
		uint16_t op = i < ncat ? catalogue_at(cat, i)->opcode
				       : cel->entries[i - ncat].opcode;
		struct cxl_delivery_info di;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = d[j].opcode == op;
		if (dup || cxl_devset_delivery(b->ag->devices, idx, op, &di) < 0)
			continue;
		d[k].opcode = op;
		d[k].path = di.path;
		snprintf(d[k].reason, sizeof(d[k].reason), "%s", di.reason);
		k++;
	}
	catalogue_unref(cat);
	*out = d;
	*n = k;
	return 0;
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int push_device(struct broker *b, size_t idx, bool force)
{
	struct broker_msg m = { .type = BROKER_MSG_DEVICE };
	struct broker_device *d = &m.u.device;
	struct pushed *p = &b->pushed[idx];
	int rc;

	d->idx = (uint32_t)idx;
	if ((rc = cxl_devset_info(b->ag->devices, idx, &d->info)) ||
	    (rc = cxl_devset_health(b->ag->devices, idx, &d->health)))
		return rc;
	d->mailbox_count = cxl_devset_mailbox_count(b->ag->devices, idx);
	d->has_host = cxl_devset_host_state(b->ag->devices, &d->host) == 0;
	if (!force && p->sent && p->generation == d->info.generation &&
	    p->has_host == d->has_host && memcmp(&p->host, &d->host, sizeof(d->host)) == 0 &&
	    ts_eq(&p->read_at, &d->info.read_at) && ts_eq(&p->health_at, &d->health.read_at) &&
	    p->health_valid == d->health.valid && p->mailbox_count == d->mailbox_count &&
	    p->catalogue_epoch == b->catalogue_epoch)
		return 0;
	if ((rc = cxl_devset_cel(b->ag->devices, idx, &d->cel)) ||
	    (rc = broker_delivery_table(b, idx, &d->cel, &d->delivery, &d->ndelivery))) {
		cxl_cel_free(&d->cel);
		return rc;
	}
	rc = broker_send(b, &m);
	cxl_cel_free(&d->cel);
	free(d->delivery);
	if (rc)
		return rc;
	p->sent = true;
	p->generation = d->info.generation;
	p->read_at = d->info.read_at;
	p->health_at = d->health.read_at;
	p->health_valid = d->health.valid;
	p->mailbox_count = d->mailbox_count;
	p->has_host = d->has_host;
	p->host = d->host;
	p->catalogue_epoch = b->catalogue_epoch;
	return 0;
}

static int push_events(struct broker *b, size_t idx)
{
	struct broker_msg m = { .type = BROKER_MSG_EVENTS };
	int n, rc;

	m.u.events.idx = (uint32_t)idx;
	while ((n = cxl_devset_events(b->ag->devices, idx, b->pushed[idx].event_seq, m.u.events.ev,
				      BROKER_EVENTS_MAX)) > 0) {
		m.u.events.count = (uint32_t)n;
		if ((rc = broker_send(b, &m)))
			return rc;
		b->pushed[idx].event_seq = m.u.events.ev[n - 1].seq;
	}
	return n < 0 ? n : 0;
}

static int push_audit(struct broker *b)
{
	struct broker_msg m = { .type = BROKER_MSG_AUDIT_STATUS_REPLY };
	struct broker_audit_status *s = &m.u.audit_status;
	int rc;

	s->bad = audit_health(b->ag->audit, s->message, sizeof(s->message));
	if (!s->bad)
		s->message[0] = '\0';
	audit_chain_head(b->ag->audit, s->head);
	if (b->audit_sent && memcmp(s, &b->audit_last, sizeof(*s)) == 0)
		return 0;
	if ((rc = broker_send(b, &m)))
		return rc;
	b->audit_last = *s;
	b->audit_sent = true;
	return 0;
}

int broker_push_changes(struct broker *b)
{
	size_t n = cxl_devset_count(b->ag->devices);
	int rc = 0;

	for (size_t i = 0; i < n && i < CXL_MAX_DEVICES && !rc; i++)
		if (!(rc = push_device(b, i, false)))
			rc = push_events(b, i);
	return rc ? rc : push_audit(b);
}

/* The catalogue in force, as the text it was parsed from: at start-up the
 * file was read before privileges were dropped, and the service user need
 * not be able to read it again. */
int broker_push_catalogue(struct broker *b)
{
	struct broker_msg m = { .type = BROKER_MSG_CATALOGUE };
	struct policy_catalogue *cat = catalogue_cell_get(&b->ag->catalogue);
	int rc;

	m.u.catalogue.text = catalogue_text(cat, &m.u.catalogue.len);
	if (cat && m.u.catalogue.len)
		snprintf(m.u.catalogue.name, sizeof(m.u.catalogue.name), "%s",
			 catalogue_source(cat));
	rc = broker_send(b, &m);
	catalogue_unref(cat);
	b->catalogue_epoch++;
	return rc;
}

/* The catalogue file as text, and the catalogue parsed from exactly that
 * text installed here: both sides then hold the same one. */

int broker_push_catalogue_from(struct broker *b, const char *policy_file)
{
	struct broker_msg m = { .type = BROKER_MSG_CATALOGUE };
	struct policy_catalogue *cat = NULL;
	char *text = NULL, err[1024];
	size_t len = 0;
	int rc = 0;

	if (policy_file) {
		if ((rc = file_read_all(policy_file, BROKER_MSG_MAX / 2, &text, &len)) ||
		    (rc = catalogue_parse(policy_file, text, len, &cat, err, sizeof(err)))) {
			struct broker_msg f = { .type = BROKER_MSG_CATALOGUE_FAILED };
			/* a reason cut short is still the reason */
			if (snprintf(f.u.catalogue_failed.reason, sizeof(f.u.catalogue_failed.reason),
				     "%s: %s", policy_file, rc == -EINVAL ? err : strerror(-rc)) < 0)
				f.u.catalogue_failed.reason[0] = '\0';
			log_error("broker: catalogue not reloaded, the previous one stays: %s",
				  f.u.catalogue_failed.reason);
			free(text);
			/* the front publishes it: the event bus is there */
			return broker_send(b, &f);
		}
		log_info("%zu approved vendor command(s) now in force", catalogue_count(cat));
		catalogue_cell_replace(&b->ag->catalogue, cat);
		snprintf(m.u.catalogue.name, sizeof(m.u.catalogue.name), "%s", policy_file);
	}
	m.u.catalogue.text = text ? text : "";
	m.u.catalogue.len = len;
	rc = broker_send(b, &m);
	free(text);
	b->catalogue_epoch++;
	return rc;
}

int broker_push_initial(struct broker *b)
{
	struct broker_msg m = { .type = BROKER_MSG_HELLO };
	struct broker_hello *h = &m.u.hello;
	size_t n = cxl_devset_count(b->ag->devices);
	int rc;

	h->version = BROKER_PROTO_VERSION;
	h->ndevices = (uint32_t)n;
	h->ring_size = b->ag->cfg->event_ring_size ? (uint32_t)b->ag->cfg->event_ring_size : 256;
	snprintf(h->backend, sizeof(h->backend), "%s", cxl_devset_backend(b->ag->devices));
	snprintf(h->why, sizeof(h->why), "%s", b->ag->backend_why ? b->ag->backend_why : "");
	h->has_host = cxl_devset_host_state(b->ag->devices, &h->host) == 0;
	if ((rc = broker_send(b, &m)) || (rc = broker_push_catalogue(b)))
		return rc;
	/* Every device before any event record: the front builds its mirror
	 * from the devices. */
	for (size_t i = 0; i < n && !rc; i++)
		rc = push_device(b, i, true);
	for (size_t i = 0; i < n && !rc; i++)
		rc = push_events(b, i);
	return rc ? rc : push_audit(b);
}
