/* Encoding and decoding of the broker protocol (proto.h). Each message type
 * has one put_ and one get_ function, side by side, so a field added to one
 * is seen missing from the other in the same screenful. */
#include "broker/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/wire.h"
#include "cxl/backend.h"

static void put_time(struct wire_out *w, const struct timespec *t)
{
	wout_u64(w, (uint64_t)t->tv_sec);
	wout_u32(w, (uint32_t)t->tv_nsec);
}

static void get_time(struct wire_in *r, struct timespec *t)
{
	t->tv_sec = (time_t)win_u64(r);
	t->tv_nsec = (long)win_u32(r);
	if (t->tv_nsec >= 1000000000L || t->tv_nsec < 0)
		r->bad = true;
}

static void put_bool(struct wire_out *w, bool b)
{
	wout_u8(w, b ? 1 : 0);
}

static bool get_bool(struct wire_in *r)
{
	uint8_t v = win_u8(r);
	if (v > 1)
		r->bad = true;
	return v == 1;
}

static void put_host(struct wire_out *w, const struct cxl_host_state *h)
{
	wout_u8(w, (uint8_t)h->raw);
	wout_u8(w, (uint8_t)h->events);
	wout_str(w, h->events_note, sizeof(h->events_note));
	put_bool(w, h->taint_known);
	wout_u64(w, (uint64_t)h->taint);
	wout_str(w, h->taint_flags, sizeof(h->taint_flags));
}

static void get_host(struct wire_in *r, struct cxl_host_state *h)
{
	uint8_t raw = win_u8(r);
	if (raw > CXL_RAW_USED)
		r->bad = true;
	h->raw = (enum cxl_raw_state)raw;
	raw = win_u8(r);
	if (raw > CXL_EVENTS_DRIVER_TRACE)
		r->bad = true;
	h->events = (enum cxl_event_reader)raw;
	win_str(r, h->events_note, sizeof(h->events_note));
	h->taint_known = get_bool(r);
	h->taint = (unsigned long)win_u64(r);
	win_str(r, h->taint_flags, sizeof(h->taint_flags));
}

static void put_hello(struct wire_out *w, const struct broker_hello *h)
{
	wout_u32(w, h->version);
	wout_u32(w, h->ndevices);
	wout_str(w, h->backend, sizeof(h->backend));
	wout_str(w, h->why, sizeof(h->why));
	put_bool(w, h->has_host);
	put_host(w, &h->host);
	wout_u32(w, h->ring_size);
}

static void get_hello(struct wire_in *r, struct broker_hello *h)
{
	h->version = win_u32(r);
	h->ndevices = win_u32(r);
	win_str(r, h->backend, sizeof(h->backend));
	win_str(r, h->why, sizeof(h->why));
	h->has_host = get_bool(r);
	get_host(r, &h->host);
	h->ring_size = win_u32(r);
	if (h->ndevices > CXL_MAX_DEVICES || h->ring_size == 0 || h->ring_size > 1u << 20)
		r->bad = true;
}

static void put_info(struct wire_out *w, const struct cxl_dev_info *i)
{
	wout_str(w, i->id, sizeof(i->id));
	wout_str(w, i->name, sizeof(i->name));
	wout_u64(w, i->serial);
	wout_str(w, i->host, sizeof(i->host));
	wout_u16(w, i->pci_vendor_id);
	wout_u16(w, i->pci_device_id);
	wout_str(w, i->fw_revision, sizeof(i->fw_revision));
	wout_u64(w, i->total_bytes);
	wout_u64(w, i->volatile_only_bytes);
	wout_u64(w, i->persistent_only_bytes);
	wout_u64(w, i->partition_align_bytes);
	put_bool(w, i->has_partition);
	wout_u64(w, i->active_volatile_bytes);
	wout_u64(w, i->active_persistent_bytes);
	wout_u64(w, i->next_volatile_bytes);
	wout_u64(w, i->next_persistent_bytes);
	wout_u32(w, i->lsa_size);
	wout_u32(w, i->payload_max);
	wout_i32(w, i->numa_node);
	put_bool(w, i->has_timestamp);
	wout_u64(w, i->device_timestamp_ns);
	put_bool(w, i->present);
	wout_u64(w, i->generation);
	put_time(w, &i->read_at);
}

static void get_info(struct wire_in *r, struct cxl_dev_info *i)
{
	win_str(r, i->id, sizeof(i->id));
	win_str(r, i->name, sizeof(i->name));
	i->serial = win_u64(r);
	win_str(r, i->host, sizeof(i->host));
	i->pci_vendor_id = win_u16(r);
	i->pci_device_id = win_u16(r);
	win_str(r, i->fw_revision, sizeof(i->fw_revision));
	i->total_bytes = win_u64(r);
	i->volatile_only_bytes = win_u64(r);
	i->persistent_only_bytes = win_u64(r);
	i->partition_align_bytes = win_u64(r);
	i->has_partition = get_bool(r);
	i->active_volatile_bytes = win_u64(r);
	i->active_persistent_bytes = win_u64(r);
	i->next_volatile_bytes = win_u64(r);
	i->next_persistent_bytes = win_u64(r);
	i->lsa_size = win_u32(r);
	i->payload_max = win_u32(r);
	i->numa_node = win_i32(r);
	i->has_timestamp = get_bool(r);
	i->device_timestamp_ns = win_u64(r);
	i->present = get_bool(r);
	i->generation = win_u64(r);
	get_time(r, &i->read_at);
	if (!i->id[0])
		r->bad = true;
}

static void put_health(struct wire_out *w, const struct cxl_health *h)
{
	put_bool(w, h->valid);
	wout_u8(w, h->health_status);
	wout_u8(w, h->media_status);
	wout_u8(w, h->additional_status);
	wout_u8(w, h->life_used_pct);
	wout_u16(w, (uint16_t)h->temperature_c);
	wout_u32(w, h->dirty_shutdowns);
	wout_u32(w, h->corrected_volatile_errors);
	wout_u32(w, h->corrected_persistent_errors);
	put_time(w, &h->read_at);
}

static void get_health(struct wire_in *r, struct cxl_health *h)
{
	h->valid = get_bool(r);
	h->health_status = win_u8(r);
	h->media_status = win_u8(r);
	h->additional_status = win_u8(r);
	h->life_used_pct = win_u8(r);
	h->temperature_c = (int16_t)win_u16(r);
	h->dirty_shutdowns = win_u32(r);
	h->corrected_volatile_errors = win_u32(r);
	h->corrected_persistent_errors = win_u32(r);
	get_time(r, &h->read_at);
}

/* A delivery path travels as (row of the backend table + 1, index in that
 * row's paths): the receiver, the same binary, maps it back to the same
 * static object. 0 is "no path". */
static void put_path(struct wire_out *w, const struct cxl_delivery_path *path)
{
	size_t n;
	const struct cxl_backend_desc *const *table = cxl_backend_table(&n);

	for (size_t row = 0; path && row < n && row < 255; row++)
		for (size_t i = 0; table[row]->paths && table[row]->paths[i] && i < 256; i++)
			if (table[row]->paths[i] == path) {
				wout_u8(w, (uint8_t)(row + 1));
				wout_u8(w, (uint8_t)i);
				return;
			}
	if (path && !w->err)
		w->err = -EINVAL; /* not one of the table's paths */
	wout_u8(w, 0);
	wout_u8(w, 0);
}

static const struct cxl_delivery_path *get_path(struct wire_in *r)
{
	size_t n;
	const struct cxl_backend_desc *const *table = cxl_backend_table(&n);
	uint8_t row = win_u8(r), idx = win_u8(r);

	if (row == 0)
		return NULL;
	if (row - 1u >= n || !table[row - 1]->paths) {
		r->bad = true;
		return NULL;
	}
	for (size_t i = 0; table[row - 1]->paths[i]; i++)
		if (i == idx)
			return table[row - 1]->paths[i];
	r->bad = true;
	return NULL;
}

static void put_device(struct wire_out *w, const struct broker_device *d)
{
	wout_u32(w, d->idx);
	put_info(w, &d->info);
	put_health(w, &d->health);
	wout_u64(w, d->mailbox_count);
	put_bool(w, d->has_host);
	put_host(w, &d->host);
	if (d->cel.count > BROKER_CEL_MAX || d->ndelivery > BROKER_DELIVERY_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	wout_u32(w, (uint32_t)d->cel.count);
	for (size_t i = 0; i < d->cel.count; i++) {
		wout_u16(w, d->cel.entries[i].opcode);
		wout_u16(w, d->cel.entries[i].effects);
	}
	wout_u32(w, (uint32_t)d->ndelivery);
	for (size_t i = 0; i < d->ndelivery; i++) {
		wout_u16(w, d->delivery[i].opcode);
		put_path(w, d->delivery[i].path);
		wout_str(w, d->delivery[i].reason, sizeof(d->delivery[i].reason));
	}
}

static int get_device(struct wire_in *r, struct broker_device *d)
{
	uint32_t n;

	d->idx = win_u32(r);
	get_info(r, &d->info);
	get_health(r, &d->health);
	d->mailbox_count = win_u64(r);
	d->has_host = get_bool(r);
	get_host(r, &d->host);
	n = win_u32(r);
	/* Each entry takes 4 bytes: a count the datagram cannot hold is refused
	 * before anything is allocated for it. */
	if (r->bad || n > BROKER_CEL_MAX || n > r->left / 4)
		return -EPROTO;
	if (n && !(d->cel.entries = calloc(n, sizeof(*d->cel.entries))))
		return -ENOMEM;
	d->cel.count = n;
	for (size_t i = 0; i < n; i++) {
		d->cel.entries[i].opcode = win_u16(r);
		d->cel.entries[i].effects = win_u16(r);
	}
	n = win_u32(r);
	if (r->bad || n > BROKER_DELIVERY_MAX || n > r->left / 8)
		return -EPROTO;
	if (n && !(d->delivery = calloc(n, sizeof(*d->delivery))))
		return -ENOMEM;
	d->ndelivery = n;
	for (size_t i = 0; i < n; i++) {
		d->delivery[i].opcode = win_u16(r);
		d->delivery[i].path = get_path(r);
		win_str(r, d->delivery[i].reason, sizeof(d->delivery[i].reason));
	}
	return 0;
}

static void put_events(struct wire_out *w, const struct broker_events *e)
{
	wout_u32(w, e->idx);
	if (e->count > BROKER_EVENTS_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	wout_u32(w, e->count);
	for (size_t i = 0; i < e->count; i++) {
		const struct cxl_event *v = &e->ev[i];
		wout_u64(w, v->seq);
		wout_u8(w, (uint8_t)v->log);
		wout_u16(w, v->handle);
		wout_u64(w, v->timestamp_ns);
		wout_raw(w, v->uuid, sizeof(v->uuid));
		wout_u8(w, v->flags);
		wout_raw(w, v->data, sizeof(v->data));
		wout_u8(w, v->data_len);
		wout_u8(w, (uint8_t)v->source);
		wout_str(w, v->detail, sizeof(v->detail));
	}
}

static void get_events(struct wire_in *r, struct broker_events *e)
{
	e->idx = win_u32(r);
	e->count = win_u32(r);
	if (e->count > BROKER_EVENTS_MAX) {
		r->bad = true;
		return;
	}
	for (size_t i = 0; i < e->count && !r->bad; i++) {
		struct cxl_event *v = &e->ev[i];
		uint8_t log;
		v->seq = win_u64(r);
		log = win_u8(r);
		if (log > CXL_EVENT_LOG_FATAL)
			r->bad = true;
		v->log = (enum cxl_event_log)log;
		v->handle = win_u16(r);
		v->timestamp_ns = win_u64(r);
		win_raw(r, v->uuid, sizeof(v->uuid));
		v->flags = win_u8(r);
		win_raw(r, v->data, sizeof(v->data));
		v->data_len = win_u8(r);
		log = win_u8(r);
		if (v->data_len > sizeof(v->data) || log > CXL_EVENT_SOURCE_KERNEL_TRACE)
			r->bad = true;
		v->source = (enum cxl_event_source)log;
		win_str(r, v->detail, sizeof(v->detail));
	}
}

static void put_submit(struct wire_out *w, const struct broker_submit *s)
{
	wout_u8(w, (uint8_t)s->method);
	wout_str(w, s->user, sizeof(s->user));
	wout_u32(w, s->privileges);
	wout_str(w, s->peer, sizeof(s->peer));
	wout_u32(w, s->device);
	wout_str(w, s->device_id, sizeof(s->device_id));
	wout_str(w, s->command_id, sizeof(s->command_id));
	wout_u32(w, s->timeout_ms);
	wout_bytes(w, s->payload, s->payload_len);
}

static void get_submit(struct wire_in *r, struct broker_submit *s)
{
	uint8_t method = win_u8(r);
	if (method > AUTH_CERTIFICATE)
		r->bad = true;
	s->method = (enum auth_method)method;
	win_str(r, s->user, sizeof(s->user));
	s->privileges = win_u32(r);
	win_str(r, s->peer, sizeof(s->peer));
	s->device = win_u32(r);
	win_str(r, s->device_id, sizeof(s->device_id));
	win_str(r, s->command_id, sizeof(s->command_id));
	s->timeout_ms = win_u32(r);
	s->payload = win_bytes(r, BROKER_MSG_MAX, &s->payload_len);
}

static void put_submit_reply(struct wire_out *w, const struct broker_submit_reply *s)
{
	wout_i32(w, s->rc);
	wout_u8(w, s->stage);
	wout_u8(w, (uint8_t)s->decision.reason);
	wout_u8(w, (uint8_t)s->decision.scope);
	wout_u32(w, s->decision.required);
	wout_str(w, s->decision.detail, sizeof(s->decision.detail));
	wout_str(w, s->audit_id, sizeof(s->audit_id));
	wout_i32(w, s->audit_error);
	wout_i32(w, s->transport);
	wout_u16(w, s->mbox_rc);
	wout_u64(w, s->duration_us);
	wout_u64(w, s->audit_us);
	wout_bytes(w, s->out, s->out_len);
}

static void get_submit_reply(struct wire_in *r, struct broker_submit_reply *s)
{
	uint8_t reason, scope;

	s->rc = win_i32(r);
	s->stage = win_u8(r);
	reason = win_u8(r);
	scope = win_u8(r);
	if (reason >= POLICY_REASON_COUNT || scope > POLICY_SCOPE_REFUSED || s->stage > 3)
		r->bad = true;
	s->decision.reason = (enum policy_reason)reason;
	s->decision.scope = (enum policy_scope)scope;
	s->decision.required = win_u32(r);
	win_str(r, s->decision.detail, sizeof(s->decision.detail));
	win_str(r, s->audit_id, sizeof(s->audit_id));
	s->audit_error = win_i32(r);
	s->transport = win_i32(r);
	s->mbox_rc = win_u16(r);
	s->duration_us = win_u64(r);
	s->audit_us = win_u64(r);
	s->out = win_bytes(r, BROKER_MSG_MAX, &s->out_len);
}

static void put_body(struct wire_out *w, const struct broker_msg *m)
{
	switch (m->type) {
	case BROKER_MSG_HELLO:
		put_hello(w, &m->u.hello);
		break;
	case BROKER_MSG_DEVICE:
		put_device(w, &m->u.device);
		break;
	case BROKER_MSG_EVENTS:
		put_events(w, &m->u.events);
		break;
	case BROKER_MSG_CATALOGUE:
		wout_str(w, m->u.catalogue.name, sizeof(m->u.catalogue.name));
		wout_bytes(w, m->u.catalogue.text, m->u.catalogue.len);
		break;
	case BROKER_MSG_CATALOGUE_FAILED:
		wout_str(w, m->u.catalogue_failed.reason, sizeof(m->u.catalogue_failed.reason));
		break;
	case BROKER_MSG_SUBMIT:
		put_submit(w, &m->u.submit);
		break;
	case BROKER_MSG_SUBMIT_REPLY:
		put_submit_reply(w, &m->u.submit_reply);
		break;
	case BROKER_MSG_BG_POLL:
		wout_u32(w, m->u.bg_poll.device);
		wout_str(w, m->u.bg_poll.intent, sizeof(m->u.bg_poll.intent));
		break;
	case BROKER_MSG_BG_POLL_REPLY:
		wout_i32(w, m->u.bg_poll_reply.rc);
		wout_i32(w, m->u.bg_poll_reply.transport);
		wout_u16(w, m->u.bg_poll_reply.mbox_rc);
		if (m->u.bg_poll_reply.out_len > BROKER_BG_REPLY_MAX && !w->err)
			w->err = -EINVAL;
		wout_bytes(w, m->u.bg_poll_reply.out, m->u.bg_poll_reply.out_len);
		break;
	case BROKER_MSG_BG_CLOSE:
		wout_str(w, m->u.bg_close.intent, sizeof(m->u.bg_close.intent));
		wout_u8(w, m->u.bg_close.kind);
		wout_i32(w, m->u.bg_close.transport);
		wout_u64(w, m->u.bg_close.duration_us);
		break;
	case BROKER_MSG_BG_CLOSE_REPLY:
		wout_i32(w, m->u.rc.rc);
		break;
	case BROKER_MSG_AUDIT_READ:
		wout_u64(w, m->u.audit_read.skip);
		wout_u32(w, m->u.audit_read.max);
		break;
	case BROKER_MSG_AUDIT_READ_REPLY:
	case BROKER_MSG_AUDIT_FIND_REPLY:
		wout_i32(w, m->u.audit_text.rc);
		wout_u64(w, m->u.audit_text.total);
		wout_bytes(w, m->u.audit_text.json, m->u.audit_text.json_len);
		break;
	case BROKER_MSG_AUDIT_FIND:
		wout_str(w, m->u.audit_find.id, sizeof(m->u.audit_find.id));
		break;
	case BROKER_MSG_READY:
		wout_i32(w, m->u.ready.error);
		wout_str(w, m->u.ready.reason, sizeof(m->u.ready.reason));
		break;
	case BROKER_MSG_AUDIT_STATUS:
	case BROKER_MSG_STOP:
	case BROKER_MSG_READY_REPLY:
		break;
	case BROKER_MSG_AUDIT_STATUS_REPLY:
		wout_i32(w, m->u.audit_status.bad);
		wout_str(w, m->u.audit_status.message, sizeof(m->u.audit_status.message));
		wout_str(w, m->u.audit_status.head, sizeof(m->u.audit_status.head));
		break;
	default:
		w->err = -EINVAL;
	}
}

int broker_msg_encode(const struct broker_msg *m, uint8_t **out, size_t *len)
{
	struct wire_out w = { 0 };

	*out = NULL;
	*len = 0;
	wout_u16(&w, BROKER_PROTO_VERSION);
	wout_u16(&w, m->type);
	wout_u32(&w, m->id);
	put_body(&w, m);
	if (w.err) {
		free(w.buf);
		return w.err;
	}
	*out = w.buf;
	*len = w.len;
	return 0;
}

static int get_body(struct wire_in *r, struct broker_msg *m)
{
	switch (m->type) {
	case BROKER_MSG_HELLO:
		get_hello(r, &m->u.hello);
		break;
	case BROKER_MSG_DEVICE:
		return get_device(r, &m->u.device);
	case BROKER_MSG_EVENTS:
		get_events(r, &m->u.events);
		break;
	case BROKER_MSG_CATALOGUE:
		win_str(r, m->u.catalogue.name, sizeof(m->u.catalogue.name));
		m->u.catalogue.text = (const char *)win_bytes(r, BROKER_MSG_MAX, &m->u.catalogue.len);
		break;
	case BROKER_MSG_CATALOGUE_FAILED:
		win_str(r, m->u.catalogue_failed.reason, sizeof(m->u.catalogue_failed.reason));
		break;
	case BROKER_MSG_SUBMIT:
		get_submit(r, &m->u.submit);
		break;
	case BROKER_MSG_SUBMIT_REPLY:
		get_submit_reply(r, &m->u.submit_reply);
		break;
	case BROKER_MSG_BG_POLL:
		m->u.bg_poll.device = win_u32(r);
		win_str(r, m->u.bg_poll.intent, sizeof(m->u.bg_poll.intent));
		break;
	case BROKER_MSG_BG_POLL_REPLY:
		m->u.bg_poll_reply.rc = win_i32(r);
		m->u.bg_poll_reply.transport = win_i32(r);
		m->u.bg_poll_reply.mbox_rc = win_u16(r);
		m->u.bg_poll_reply.out =
			win_bytes(r, BROKER_BG_REPLY_MAX, &m->u.bg_poll_reply.out_len);
		break;
	case BROKER_MSG_BG_CLOSE:
		win_str(r, m->u.bg_close.intent, sizeof(m->u.bg_close.intent));
		m->u.bg_close.kind = win_u8(r);
		if (m->u.bg_close.kind > BROKER_BG_ABANDONED)
			r->bad = true;
		m->u.bg_close.transport = win_i32(r);
		m->u.bg_close.duration_us = win_u64(r);
		break;
	case BROKER_MSG_BG_CLOSE_REPLY:
		m->u.rc.rc = win_i32(r);
		break;
	case BROKER_MSG_AUDIT_READ:
		m->u.audit_read.skip = win_u64(r);
		m->u.audit_read.max = win_u32(r);
		break;
	case BROKER_MSG_AUDIT_READ_REPLY:
	case BROKER_MSG_AUDIT_FIND_REPLY:
		m->u.audit_text.rc = win_i32(r);
		m->u.audit_text.total = win_u64(r);
		m->u.audit_text.json =
			(const char *)win_bytes(r, BROKER_MSG_MAX, &m->u.audit_text.json_len);
		break;
	case BROKER_MSG_AUDIT_FIND:
		win_str(r, m->u.audit_find.id, sizeof(m->u.audit_find.id));
		break;
	case BROKER_MSG_READY:
		m->u.ready.error = win_i32(r);
		win_str(r, m->u.ready.reason, sizeof(m->u.ready.reason));
		break;
	case BROKER_MSG_AUDIT_STATUS:
	case BROKER_MSG_STOP:
	case BROKER_MSG_READY_REPLY:
		break;
	case BROKER_MSG_AUDIT_STATUS_REPLY:
		m->u.audit_status.bad = win_i32(r);
		win_str(r, m->u.audit_status.message, sizeof(m->u.audit_status.message));
		win_str(r, m->u.audit_status.head, sizeof(m->u.audit_status.head));
		break;
	default:
		return -EPROTO;
	}
	return 0;
}

int broker_msg_decode(const uint8_t *buf, size_t len, struct broker_msg *m)
{
	struct wire_in r = { buf, len, false };
	int rc;

	memset(m, 0, sizeof(*m));
	if (!buf || len < BROKER_HEADER_LEN || len > BROKER_MSG_MAX)
		return -EPROTO;
	if (win_u16(&r) != BROKER_PROTO_VERSION)
		return -EPROTO;
	m->type = win_u16(&r);
	m->id = win_u32(&r);
	rc = get_body(&r, m);
	if (!rc && (r.bad || r.left))
		rc = -EPROTO;
	if (rc)
		broker_msg_release(m);
	return rc;
}

void broker_msg_release(struct broker_msg *m)
{
	if (m->type == BROKER_MSG_DEVICE) {
		cxl_cel_free(&m->u.device.cel);
		free(m->u.device.delivery);
		m->u.device.delivery = NULL;
		m->u.device.ndelivery = 0;
	}
}

static const struct {
	uint16_t type;
	uint16_t reply;
	const char *name;
} table[] = {
	{ BROKER_MSG_HELLO, 0, "hello" },
	{ BROKER_MSG_DEVICE, 0, "device" },
	{ BROKER_MSG_EVENTS, 0, "events" },
	{ BROKER_MSG_CATALOGUE, 0, "catalogue" },
	{ BROKER_MSG_SUBMIT, BROKER_MSG_SUBMIT_REPLY, "submit" },
	{ BROKER_MSG_SUBMIT_REPLY, 0, "submit-reply" },
	{ BROKER_MSG_BG_POLL, BROKER_MSG_BG_POLL_REPLY, "bg-poll" },
	{ BROKER_MSG_BG_POLL_REPLY, 0, "bg-poll-reply" },
	{ BROKER_MSG_BG_CLOSE, BROKER_MSG_BG_CLOSE_REPLY, "bg-close" },
	{ BROKER_MSG_BG_CLOSE_REPLY, 0, "bg-close-reply" },
	{ BROKER_MSG_AUDIT_READ, BROKER_MSG_AUDIT_READ_REPLY, "audit-read" },
	{ BROKER_MSG_AUDIT_READ_REPLY, 0, "audit-read-reply" },
	{ BROKER_MSG_AUDIT_FIND, BROKER_MSG_AUDIT_FIND_REPLY, "audit-find" },
	{ BROKER_MSG_AUDIT_FIND_REPLY, 0, "audit-find-reply" },
	{ BROKER_MSG_AUDIT_STATUS, BROKER_MSG_AUDIT_STATUS_REPLY, "audit-status" },
	{ BROKER_MSG_AUDIT_STATUS_REPLY, 0, "audit-status-reply" },
	{ BROKER_MSG_STOP, 0, "stop" },
	{ BROKER_MSG_READY, BROKER_MSG_READY_REPLY, "ready" },
	{ BROKER_MSG_READY_REPLY, 0, "ready-reply" },
	{ BROKER_MSG_CATALOGUE_FAILED, 0, "catalogue-failed" },
};

bool broker_msg_is_request(uint16_t type)
{
	return broker_msg_reply_type(type) != 0;
}

uint16_t broker_msg_reply_type(uint16_t type)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return table[i].reply;
	return 0;
}

const char *broker_msg_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return table[i].name;
	return "unknown";
}

int broker_msg_send(int fd, const struct broker_msg *m, int flags)
{
	uint8_t *buf;
	size_t len;
	ssize_t n;
	int rc = broker_msg_encode(m, &buf, &len);

	if (rc)
		return rc;
	do
		n = send(fd, buf, len, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : 0;
	free(buf);
	return rc;
}
