/* The front's end of the broker session (client.h). Requests from any
 * thread each take a slot, send one datagram and wait on the slot's
 * condition; the one reader thread hands each reply to its slot by id and
 * applies pushes to the mirror, the catalogue and the audit health. A
 * command may instead be started without waiting: its slot names a
 * completion, which the reader calls itself with the outcome, so the
 * answer reaches the HTTP side with no other thread in between. */
#include "broker/client.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/proto.h"
#include "core/agent.h"
#include "core/commands.h"
#include "cxl/backend.h"
#include "cxl/mirror.h"
#include "events/device_watch.h"
#include "events/sources.h"
#include "policy/catalogue.h"
#include "util/log.h"

#define SLOTS 256

typedef void (*submit_done_fn)(void *arg, int rc, struct command_outcome *out);

struct slot {
	bool used;
	bool done;
	uint32_t id;
	uint16_t want;          /* reply type */
	uint8_t *dgram;         /* the reply, owned until the caller takes it */
	struct broker_msg reply;
	submit_done_fn on_done; /* non-NULL: started without waiting (submit only) */
	void *done_arg;
};

struct broker_client {
	int fd;
	uint8_t *rx;            /* one datagram (reader only) */
	pthread_t reader;
	bool reader_started;
	struct agent *ag;       /* under push_lock; NULL once detached */
	pthread_mutex_t push_lock;
	pthread_mutex_t lock;   /* slots, dead, next_id, audit */
	pthread_cond_t free_slot;
	struct slot slot[SLOTS];
	/* Apart from the slots, which are large and calloc'd: initialising a
	 * condition in each would make all of them resident (1 MiB) in an
	 * idle front. */
	pthread_cond_t slot_cond[SLOTS];
	uint32_t next_id;
	bool dead;
	bool stopping;
	bool audit_known;
	struct broker_audit_status audit;
};

static ssize_t recv_one(struct broker_client *c)
{
	ssize_t n;
	do
		n = recv(c->fd, c->rx, BROKER_MSG_MAX, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	return n > (ssize_t)BROKER_MSG_MAX ? -1 : n;
}

/* A free slot, marked used and given req's id (and done, NULL for a caller
 * who waits); NULL with *rc = -EPIPE when the session is over, or -EAGAIN
 * when every slot is taken and wait is false. */
static struct slot *slot_take(struct broker_client *c, struct broker_msg *req, bool wait,
			      submit_done_fn done, void *arg, int *rc)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		for (size_t i = 0; i < SLOTS && !s && !c->dead; i++)
			if (!c->slot[i].used)
				s = &c->slot[i];
		if (s || c->dead || !wait)
			break;
		pthread_cond_wait(&c->free_slot, &c->lock);
	}
	if (c->dead || !s) {
		pthread_mutex_unlock(&c->lock);
		*rc = c->dead ? -EPIPE : -EAGAIN;
		return NULL;
	}
	s->used = true;
	s->done = false;
	s->on_done = done;
	s->done_arg = arg;
	s->id = req->id = ++c->next_id ? c->next_id : ++c->next_id;
	s->want = broker_msg_reply_type(req->type);
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* Give the slot back (c->lock held). */
static void slot_free_locked(struct broker_client *c, struct slot *s)
{
	broker_msg_release(&s->reply);
	free(s->dgram);
	s->dgram = NULL;
	s->used = false;
	s->on_done = NULL;
	pthread_cond_signal(&c->free_slot);
}

/* flags: MSG_DONTWAIT where blocking is not allowed (-EAGAIN then). */
static int send_req(struct broker_client *c, const struct broker_msg *req, int flags)
{
	return broker_msg_send(c->fd, req, flags);
}

/* Send req and wait for its reply: a slot holding it (release with
 * slot_put), or NULL with *rc set. */
static struct slot *call(struct broker_client *c, struct broker_msg *req, int *rc)
{
	struct slot *s = slot_take(c, req, true, NULL, NULL, rc);

	if (!s)
		return NULL;
	*rc = send_req(c, req, 0);
	pthread_mutex_lock(&c->lock);
	while (!*rc && !s->done && !c->dead)
		pthread_cond_wait(&c->slot_cond[s - c->slot], &c->lock);
	if (!*rc && !s->done)
		*rc = -EPIPE;
	if (*rc) {
		slot_free_locked(c, s);
		s = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}

static void slot_put(struct broker_client *c, struct slot *s)
{
	pthread_mutex_lock(&c->lock);
	slot_free_locked(c, s);
	pthread_mutex_unlock(&c->lock);
}

/* Fail every request still waiting; commands started without waiting
 * complete with -EPIPE, here, outside the lock. */
static void set_dead(struct broker_client *c)
{
	submit_done_fn fn[SLOTS];
	void *arg[SLOTS];
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	c->dead = true;
	for (size_t i = 0; i < SLOTS; i++) {
		struct slot *s = &c->slot[i];
		if (s->used && s->on_done) {
			fn[n] = s->on_done;
			arg[n++] = s->done_arg;
			slot_free_locked(c, s);
		}
		pthread_cond_signal(&c->slot_cond[i]);
	}
	pthread_cond_broadcast(&c->free_slot);
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < n; i++)
		fn[i](arg[i], -EPIPE, NULL);
}

static int outcome_from(const struct broker_submit_reply *r, struct command_outcome *out);

/* A command started without waiting: its outcome from the reply m, given
 * to its completion on this thread, outside the lock (c->lock held on
 * entry and on return). */
static void complete_started(struct broker_client *c, struct slot *s,
			     const struct broker_msg *m)
{
	submit_done_fn fn = s->on_done;
	void *arg = s->done_arg;
	struct command_outcome o;
	int rc;

	slot_free_locked(c, s);
	pthread_mutex_unlock(&c->lock);
	rc = outcome_from(&m->u.submit_reply, &o);
	fn(arg, rc, rc ? NULL : &o);
	command_outcome_clear(&o);
	pthread_mutex_lock(&c->lock);
}

static int deliver_reply(struct broker_client *c, const struct broker_msg *m, size_t n)
{
	int rc = -EPROTO;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < SLOTS; i++) {
		struct slot *s = &c->slot[i];
		if (!s->used || s->done || s->id != m->id)
			continue;
		if (s->want != m->type)
			break;
		if (s->on_done) {
			complete_started(c, s, m);
			rc = 0;
			break;
		}
		/* decode again from a copy the caller keeps: borrowed fields */
		s->dgram = malloc(n);
		if (!s->dgram) {
			rc = -ENOMEM;
			break;
		}
		memcpy(s->dgram, c->rx, n);
		rc = broker_msg_decode(s->dgram, n, &s->reply);
		if (rc) {
			free(s->dgram);
			s->dgram = NULL;
			break;
		}
		s->done = true;
		pthread_cond_signal(&c->slot_cond[i]);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int apply_catalogue(struct broker_client *c, const struct broker_catalogue *m,
			   struct policy_catalogue **out)
{
	char err[1024];
	int rc;

	if (!m->name[0]) {
		*out = catalogue_new_empty();
		return *out ? 0 : -ENOMEM;
	}
	rc = catalogue_parse(m->name, m->text, m->len, out, err, sizeof(err));
	if (rc)
		log_error("the broker's catalogue does not parse here: %s", err);
	(void)c;
	return rc;
}

static int apply_device(struct cxl_devset *set, struct broker_device *d)
{
	struct cxl_mirror_delivery dl[BROKER_DELIVERY_MAX];

	for (size_t i = 0; i < d->ndelivery; i++) {
		dl[i].opcode = d->delivery[i].opcode;
		dl[i].path = d->delivery[i].path;
		memcpy(dl[i].reason, d->delivery[i].reason, sizeof(dl[i].reason));
	}
	cxl_mirror_host(set, d->has_host ? &d->host : NULL);
	return cxl_mirror_update(set, d->idx, &d->info, &d->health, &d->cel, d->mailbox_count, dl,
				 d->ndelivery);
}

/* A push while serving: 0, or -EPROTO when it has no place here. */
static int apply_push(struct broker_client *c, struct broker_msg *m)
{
	struct policy_catalogue *cat;

	int rc;

	switch (m->type) {
	case BROKER_MSG_DEVICE:
		rc = apply_device(c->ag->devices, &m->u.device);
		break;
	case BROKER_MSG_EVENTS:
		rc = cxl_mirror_events(c->ag->devices, m->u.events.idx, m->u.events.ev,
				       m->u.events.count) ? -EPROTO : 0;
		break;
	case BROKER_MSG_CATALOGUE:
		if (apply_catalogue(c, &m->u.catalogue, &cat) == 0) {
			log_debug("front: the broker's catalogue (%zu approved command(s)) applied",
				  catalogue_count(cat));
			catalogue_cell_replace(&c->ag->catalogue, cat);
		}
		return 0;
	case BROKER_MSG_AUDIT_STATUS_REPLY:
		pthread_mutex_lock(&c->lock);
		c->audit = m->u.audit_status;
		c->audit_known = true;
		pthread_mutex_unlock(&c->lock);
		return 0;
	case BROKER_MSG_CATALOGUE_FAILED:
		events_catalogue_reload_failed(c->ag->events, m->u.catalogue_failed.reason);
		return 0;
	case BROKER_MSG_STOP:
		log_info("the broker asks the front to stop");
		kill(getpid(), SIGTERM);
		return 0;
	default:
		return -EPROTO;
	}
	/* What the broker's poller saw is now the mirror's: the watch turns it
	 * into events here, as the poller's observer does in one process. */
	if (!rc && c->ag->watch)
		device_watch_poll(c->ag->watch);
	return rc;
}

static void *reader(void *arg)
{
	struct broker_client *c = arg;

	for (;;) {
		struct broker_msg m;
		ssize_t n = recv_one(c);
		int rc;
		if (n <= 0)
			break;
		if (broker_msg_decode(c->rx, (size_t)n, &m)) {
			log_error("the broker sent a malformed datagram of %zd bytes", n);
			break;
		}
		if (m.id) {
			rc = deliver_reply(c, &m, (size_t)n);
		} else {
			pthread_mutex_lock(&c->push_lock);
			rc = c->ag ? apply_push(c, &m) : 0;
			pthread_mutex_unlock(&c->push_lock);
		}
		broker_msg_release(&m);
		if (rc == -EPROTO) {
			log_error("the broker sent an unexpected %s message", broker_msg_name(m.type));
			break;
		}
	}
	pthread_mutex_lock(&c->lock);
	bool stopping = c->stopping;
	pthread_mutex_unlock(&c->lock);
	set_dead(c);
	if (!stopping) {
		log_error("the device broker is gone: stopping");
		kill(getpid(), SIGTERM);
	}
	return NULL;
}

/* Receive one message of the start-up state. */
static int expect(struct broker_client *c, struct broker_msg *m, char *err, size_t errlen)
{
	ssize_t n = recv_one(c);

	if (n <= 0) {
		snprintf(err, errlen, "the device broker ended before the front could start");
		return -EPIPE;
	}
	if (broker_msg_decode(c->rx, (size_t)n, m) || m->id) {
		snprintf(err, errlen, "the device broker sent a malformed start-up message");
		return -EPROTO;
	}
	return 0;
}

static int read_devices(struct broker_client *c, const struct broker_hello *h,
			struct cxl_devset **devices, char *err, size_t errlen)
{
	struct broker_msg *dev = calloc(h->ndevices ? h->ndevices : 1, sizeof(*dev));
	const char *ids[CXL_MAX_DEVICES];
	size_t got = 0;
	int rc = dev ? 0 : -ENOMEM;

	while (!rc && got < h->ndevices) {
		if ((rc = expect(c, &dev[got], err, errlen)))
			break;
		if (dev[got].type != BROKER_MSG_DEVICE || dev[got].u.device.idx != got) {
			broker_msg_release(&dev[got]);
			snprintf(err, errlen, "the device broker sent devices out of order");
			rc = -EPROTO;
			break;
		}
		ids[got] = dev[got].u.device.info.id;
		got++;
	}
	if (!rc && (rc = cxl_mirror_open(h->backend, h->why, ids, got, h->ring_size, devices)))
		snprintf(err, errlen, "cannot mirror the broker's devices: %s", strerror(-rc));
	for (size_t i = 0; !rc && i < got; i++)
		if ((rc = apply_device(*devices, &dev[i].u.device)))
			snprintf(err, errlen, "device %zu: %s", i, strerror(-rc));
	if (!rc)
		cxl_mirror_host(*devices, h->has_host ? &h->host : NULL);
	for (size_t i = 0; i < got; i++)
		broker_msg_release(&dev[i]);
	free(dev);
	return rc;
}

/* HELLO, CATALOGUE, one DEVICE per device, EVENTS, the audit status. */
static int handshake(struct broker_client *c, struct cxl_devset **devices,
		     struct policy_catalogue **cat, char *err, size_t errlen)
{
	struct broker_msg m;
	struct broker_hello h;
	int rc;

	if ((rc = expect(c, &m, err, errlen)))
		return rc;
	if (m.type != BROKER_MSG_HELLO || m.u.hello.version != BROKER_PROTO_VERSION) {
		snprintf(err, errlen, "the device broker speaks another protocol");
		return -EPROTO;
	}
	h = m.u.hello;
	if ((rc = expect(c, &m, err, errlen)))
		return rc;
	if (m.type != BROKER_MSG_CATALOGUE) {
		snprintf(err, errlen, "the device broker sent no catalogue");
		return -EPROTO;
	}
	if ((rc = apply_catalogue(c, &m.u.catalogue, cat))) {
		snprintf(err, errlen, "the device broker's catalogue does not parse");
		return rc;
	}
	if ((rc = read_devices(c, &h, devices, err, errlen)))
		return rc;
	for (;;) {
		if ((rc = expect(c, &m, err, errlen)))
			return rc;
		if (m.type == BROKER_MSG_EVENTS &&
		    cxl_mirror_events(*devices, m.u.events.idx, m.u.events.ev, m.u.events.count) == 0)
			continue;
		if (m.type != BROKER_MSG_AUDIT_STATUS_REPLY) {
			broker_msg_release(&m);
			snprintf(err, errlen, "the device broker sent an unexpected %s message",
				 broker_msg_name(m.type));
			return -EPROTO;
		}
		c->audit = m.u.audit_status;
		c->audit_known = true;
		return 0;
	}
}

int broker_client_open(int fd, struct broker_client **out, struct cxl_devset **devices,
		       struct policy_catalogue **cat, char *err, size_t errlen)
{
	struct broker_client *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	*devices = NULL;
	*cat = NULL;
	if (!c || !(c->rx = malloc(BROKER_MSG_MAX))) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	pthread_mutex_init(&c->push_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->free_slot, NULL);
	for (size_t i = 0; i < SLOTS; i++)
		pthread_cond_init(&c->slot_cond[i], NULL);
	if ((rc = handshake(c, devices, cat, err, errlen))) {
		cxl_devset_free(*devices);
		catalogue_unref(*cat);
		*devices = NULL;
		*cat = NULL;
		broker_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int broker_client_start(struct broker_client *c, struct agent *ag)
{
	int rc;

	pthread_mutex_lock(&c->push_lock);
	c->ag = ag;
	pthread_mutex_unlock(&c->push_lock);
	rc = -pthread_create(&c->reader, NULL, reader, c);
	c->reader_started = rc == 0;
	return rc;
}

void broker_client_detach(struct broker_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->push_lock);
	c->ag = NULL;
	pthread_mutex_unlock(&c->push_lock);
}

void broker_client_free(struct broker_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_mutex_unlock(&c->lock);
	shutdown(c->fd, SHUT_RDWR);
	if (c->reader_started)
		pthread_join(c->reader, NULL);
	set_dead(c);
	close(c->fd);
	for (size_t i = 0; i < SLOTS; i++)
		pthread_cond_destroy(&c->slot_cond[i]);
	pthread_cond_destroy(&c->free_slot);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->push_lock);
	free(c->rx);
	free(c);
}

/* ---- the remote operations (core/remote.h) as requests ---- */

static void submit_req(struct broker_msg *req, const struct identity *who, size_t idx,
		       const char *device_id, const char *command_id, const uint8_t *payload,
		       size_t payload_len, unsigned timeout_ms)
{
	struct broker_submit *q = &req->u.submit;

	req->type = BROKER_MSG_SUBMIT;
	q->method = who->method;
	snprintf(q->user, sizeof(q->user), "%s", who->user);
	q->privileges = who->privileges;
	snprintf(q->peer, sizeof(q->peer), "%s", who->peer ? who->peer : "");
	q->device = (uint32_t)idx;
	snprintf(q->device_id, sizeof(q->device_id), "%s", device_id);
	snprintf(q->command_id, sizeof(q->command_id), "%s", command_id ? command_id : "");
	q->timeout_ms = timeout_ms;
	q->payload = payload;
	q->payload_len = payload_len;
}

/* *out (new, command_outcome_clear) from the broker's reply: 0, the
 * broker's own error, or -ENOMEM. */
static int outcome_from(const struct broker_submit_reply *r, struct command_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (r->rc)
		return r->rc;
	out->stage = (enum command_stage)r->stage;
	out->decision = r->decision;
	snprintf(out->audit_id, sizeof(out->audit_id), "%s", r->audit_id);
	out->audit_error = r->audit_error;
	out->result.transport = r->transport;
	out->result.mbox_rc = r->mbox_rc;
	out->result.duration_us = r->duration_us;
	out->audit_us = r->audit_us;
	if (r->out_len && !(out->result.out = malloc(r->out_len)))
		return -ENOMEM;
	if (r->out_len) {
		memcpy(out->result.out, r->out, r->out_len);
		out->result.out_len = r->out_len;
	}
	return 0;
}

static int r_submit(void *ctx, const struct identity *who, size_t idx, const char *device_id,
		    const char *command_id, const uint8_t *payload, size_t payload_len,
		    unsigned timeout_ms, struct command_outcome *out)
{
	struct broker_client *c = ctx;
	struct broker_msg req = { 0 };
	struct slot *s;
	int rc;

	memset(out, 0, sizeof(*out));
	submit_req(&req, who, idx, device_id, command_id, payload, payload_len, timeout_ms);
	if (!(s = call(c, &req, &rc)))
		return rc;
	rc = outcome_from(&s->reply.u.submit_reply, out);
	slot_put(c, s);
	return rc;
}

/* The slot names the completion before the request leaves: the reply may
 * be read before send() returns here. */
static int r_submit_start(void *ctx, const struct identity *who, size_t idx,
			  const char *device_id, const char *command_id, const uint8_t *payload,
			  size_t payload_len, unsigned timeout_ms, submit_done_fn done, void *arg)
{
	struct broker_client *c = ctx;
	struct broker_msg req = { 0 };
	struct slot *s;
	int rc;

	submit_req(&req, who, idx, device_id, command_id, payload, payload_len, timeout_ms);
	if (!(s = slot_take(c, &req, false, done, arg, &rc)))
		return rc;
	/* Never blocks the server thread: with the broker's threads all held
	 * by silent devices the socket may fill, and a worker then waits. */
	rc = send_req(c, &req, MSG_DONTWAIT);
	if (!rc)
		return 0;
	if (rc == -EWOULDBLOCK)
		rc = -EAGAIN;
	/* Not sent: the caller keeps the work, unless the session ended
	 * meanwhile and has already completed it. */
	pthread_mutex_lock(&c->lock);
	if (s->used && s->on_done == done && s->done_arg == arg && s->id == req.id) {
		slot_free_locked(c, s);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int r_bg_poll(void *ctx, size_t idx, const char *intent, struct cxl_cmd_result *res)
{
	struct broker_client *c = ctx;
	struct broker_msg req = { .type = BROKER_MSG_BG_POLL };
	const struct broker_bg_poll_reply *r;
	struct slot *s;
	int rc;

	memset(res, 0, sizeof(*res));
	req.u.bg_poll.device = (uint32_t)idx;
	snprintf(req.u.bg_poll.intent, sizeof(req.u.bg_poll.intent), "%s", intent);
	if (!(s = call(c, &req, &rc)))
		return rc;
	r = &s->reply.u.bg_poll_reply;
	if (!(rc = r->rc)) {
		res->transport = r->transport;
		res->mbox_rc = r->mbox_rc;
		if (r->out_len && (res->out = malloc(r->out_len))) {
			memcpy(res->out, r->out, r->out_len);
			res->out_len = r->out_len;
		} else if (r->out_len) {
			rc = -ENOMEM;
		}
	}
	slot_put(c, s);
	return rc;
}

static int r_bg_close(void *ctx, const char *intent, enum remote_bg_close kind, int transport,
		      uint64_t duration_us)
{
	struct broker_client *c = ctx;
	struct broker_msg req = { .type = BROKER_MSG_BG_CLOSE };
	struct slot *s;
	int rc;

	snprintf(req.u.bg_close.intent, sizeof(req.u.bg_close.intent), "%s", intent);
	req.u.bg_close.kind = kind == REMOTE_BG_ABANDONED ? BROKER_BG_ABANDONED : BROKER_BG_LOST;
	req.u.bg_close.transport = transport;
	req.u.bg_close.duration_us = duration_us;
	if (!(s = call(c, &req, &rc)))
		return rc;
	rc = s->reply.u.rc.rc;
	slot_put(c, s);
	return rc;
}

static int audit_text(struct broker_client *c, struct broker_msg *req, json_t **out,
		      size_t *total)
{
	const struct broker_audit_text *r;
	json_error_t jerr;
	struct slot *s;
	int rc;

	*out = NULL;
	if (!(s = call(c, req, &rc)))
		return rc;
	r = &s->reply.u.audit_text;
	if (!(rc = r->rc)) {
		*out = json_loadb(r->json, r->json_len, 0, &jerr);
		if (!*out)
			rc = -EPROTO;
		if (total)
			*total = (size_t)r->total;
	}
	slot_put(c, s);
	return rc;
}

static int r_audit_read(void *ctx, size_t skip, size_t max, json_t **entries, size_t *total)
{
	struct broker_msg req = { .type = BROKER_MSG_AUDIT_READ };

	req.u.audit_read.skip = skip;
	req.u.audit_read.max = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
	return audit_text(ctx, &req, entries, total);
}

static int r_audit_find(void *ctx, const char *id, json_t **entry)
{
	struct broker_msg req = { .type = BROKER_MSG_AUDIT_FIND };

	*entry = NULL;
	if (strlen(id) >= sizeof(req.u.audit_find.id))
		return -ENOENT;
	snprintf(req.u.audit_find.id, sizeof(req.u.audit_find.id), "%s", id);
	return audit_text(ctx, &req, entry, NULL);
}

static int r_audit_status(void *ctx, char *msg, size_t len, char head[65])
{
	struct broker_client *c = ctx;
	int bad;

	pthread_mutex_lock(&c->lock);
	bad = c->audit_known ? c->audit.bad : -EAGAIN;
	snprintf(msg, len, "%s", c->audit_known ? c->audit.message : "audit log state not known");
	memcpy(head, c->audit.head, 65);
	pthread_mutex_unlock(&c->lock);
	return bad;
}

int broker_client_ready(struct broker_client *c)
{
	struct broker_msg req = { .type = BROKER_MSG_READY };
	struct slot *s;
	int rc;

	if (!(s = call(c, &req, &rc)))
		return rc;
	slot_put(c, s);
	return 0;
}

int broker_client_failed(struct broker_client *c, int error, const char *reason)
{
	struct broker_msg req = { .type = BROKER_MSG_READY, .u.ready.error = error };

	snprintf(req.u.ready.reason, sizeof(req.u.ready.reason), "%s", reason);
	return send_req(c, &req, 0);
}

const struct agent_remote broker_client_remote = {
	.submit = r_submit,
	.submit_start = r_submit_start,
	.bg_poll = r_bg_poll,
	.bg_close = r_bg_close,
	.audit_read = r_audit_read,
	.audit_find = r_audit_find,
	.audit_status = r_audit_status,
};
