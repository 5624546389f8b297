/* The broker's session with the front (server.h): threads that each read a
 * request and serve it themselves, so one slow device never holds up
 * another and a request crosses no thread here; one loop for signals, the
 * clock and pushes. Every reply is one datagram sent under one lock. */
#include "broker/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/notify.h"
#include "app/serve.h"
#include "audit/audit.h"
#include "broker/internal.h"
#include "core/agent.h"
#include "core/commands.h"
#include "core/poller.h"
#include "cxl/device.h"
#include "policy/catalogue.h"
#include "util/log.h"

#define TICK_MS 50
#define POLL_TIMEOUT_MS 250
/* Threads serving requests at once; each may wait on its device for the
 * command's timeout, so this bounds threads, not throughput. */
#define READERS_MAX 32
#define READER_IDLE_MS 1000
#define AUDIT_PAGE_MAX 1000

int broker_send(struct broker *b, const struct broker_msg *m)
{
	int rc;

	pthread_mutex_lock(&b->send_lock);
	rc = broker_msg_send(b->fd, m, 0);
	if (rc && rc != -EMSGSIZE)
		b->failed = true;
	pthread_mutex_unlock(&b->send_lock);
	return rc;
}

/* A request being served; its borrowed fields point into the datagram in
 * the buffer of the thread that read it and serves it. */
struct job {
	struct broker *b;
	struct broker_msg req;
};

static void reply(struct job *j, struct broker_msg *m)
{
	m->type = broker_msg_reply_type(j->req.type);
	m->id = j->req.id;
	if (broker_send(j->b, m))
		log_error("broker: cannot answer %s request %u", broker_msg_name(j->req.type),
			  j->req.id);
}

/* Open intent as device idx's background operation. One that was open there
 * has ended unseen (the device's Background Operation Status now speaks of
 * the new one, so its result can never be read): it is moved into *ended
 * for the caller to close, and 1 returned; else 0. */
static int bg_add(struct broker *b, const char *intent, size_t idx, uint16_t opcode,
		  struct bg_open *ended)
{
	struct bg_open *slot = &b->bg[idx];
	int replaced;

	pthread_mutex_lock(&b->bg_lock);
	replaced = slot->intent[0] != '\0';
	if (replaced)
		*ended = *slot;
	snprintf(slot->intent, sizeof(slot->intent), "%s", intent);
	slot->idx = idx;
	slot->opcode = opcode;
	clock_gettime(CLOCK_MONOTONIC, &slot->started);
	pthread_mutex_unlock(&b->bg_lock);
	return replaced;
}

/* Take the open operation intent (of device idx, unless idx is SIZE_MAX)
 * out of the table into *out; -ENOENT when there is none. */
static int bg_take(struct broker *b, const char *intent, size_t idx, struct bg_open *out,
		   bool remove)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&b->bg_lock);
	for (size_t i = 0; i < CXL_MAX_DEVICES; i++)
		if (intent[0] && strcmp(b->bg[i].intent, intent) == 0 &&
		    (idx == SIZE_MAX || b->bg[i].idx == idx)) {
			*out = b->bg[i];
			if (remove)
				b->bg[i].intent[0] = '\0';
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&b->bg_lock);
	return rc;
}

static uint64_t since_us(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000u +
	       (uint64_t)((now.tv_nsec - t0->tv_nsec) / 1000);
}

/* Close the operation a new start on its device replaced, as the front
 * ends the task that followed it: unfinished, ECANCELED. */
static void bg_superseded(struct broker *b, const struct bg_open *op, const char *device_id,
			  uint16_t new_opcode)
{
	log_warn("broker: device %s started background operation 0x%04X while intent %s "
		 "(0x%04X) was open there; it ends unfinished",
		 device_id, new_opcode, op->intent, op->opcode);
	command_record_completion(b->ag, op->intent, -ECANCELED, 0, since_us(&op->started));
}

/* The front's word for who is calling and what: the device by index and id
 * (both must agree), the approval by id in the broker's own catalogue; the
 * policy is decided again and the intent written by command_submit(). */
static void do_submit(struct job *j)
{
	const struct broker_submit *s = &j->req.u.submit;
	struct broker_msg m = { 0 };
	struct broker_submit_reply *r = &m.u.submit_reply;
	struct identity who = { .method = s->method, .privileges = s->privileges, .peer = s->peer };
	struct policy_catalogue *cat = NULL;
	const struct policy_command *approval = NULL;
	struct command_outcome o;
	struct bg_open ended;
	bool replaced = false;
	int idx = cxl_devset_find(j->b->ag->devices, s->device_id);

	snprintf(who.user, sizeof(who.user), "%s", s->user);
	if (idx < 0 || (uint32_t)idx != s->device) {
		r->rc = -ENODEV;
		reply(j, &m);
		return;
	}
	cat = catalogue_cell_get(&j->b->ag->catalogue);
	if (s->command_id[0] && cat)
		approval = catalogue_find_id(cat, s->command_id);
	r->rc = command_submit(j->b->ag, &who, (size_t)idx, approval, s->payload, s->payload_len,
			       s->timeout_ms, &o);
	if (!r->rc) {
		r->stage = (uint8_t)o.stage;
		r->decision = o.decision;
		snprintf(r->audit_id, sizeof(r->audit_id), "%s", o.audit_id);
		r->audit_error = o.audit_error;
		r->transport = o.result.transport;
		r->mbox_rc = o.result.mbox_rc;
		r->duration_us = o.result.duration_us;
		r->audit_us = o.audit_us;
		r->out = o.result.out;
		r->out_len = o.result.out_len;
		if (o.stage == COMMAND_SUBMITTED && o.result.transport == 0 &&
		    o.result.mbox_rc == CXL_MBOX_BACKGROUND_STARTED)
			replaced = bg_add(j->b, o.audit_id, (size_t)idx, approval->opcode,
					  &ended);
	}
	reply(j, &m);
	/* After the answer, which this audit record need not delay. */
	if (replaced)
		bg_superseded(j->b, &ended, s->device_id, approval->opcode);
	if (!r->rc)
		command_outcome_clear(&o);
	catalogue_unref(cat);
}

/* One Background Operation Status read for an operation this broker
 * started; when the device says it is over, the broker records it. */
static void do_bg_poll(struct job *j)
{
	struct broker_msg m = { 0 };
	struct broker_bg_poll_reply *r = &m.u.bg_poll_reply;
	struct cxl_cmd cmd = { CXL_OP_BG_OP_STATUS, NULL, 0, POLL_TIMEOUT_MS };
	struct cxl_cmd_result res = { 0 };
	struct bg_open op;

	r->rc = bg_take(j->b, j->req.u.bg_poll.intent, j->req.u.bg_poll.device, &op, false);
	if (!r->rc)
		r->rc = cxl_devset_submit(j->b->ag->devices, op.idx, &cmd, &res);
	if (!r->rc) {
		r->transport = res.transport;
		r->mbox_rc = res.mbox_rc;
		r->out = res.out;
		r->out_len = res.out_len > BROKER_BG_REPLY_MAX ? BROKER_BG_REPLY_MAX : res.out_len;
		if (res.transport == 0 && res.mbox_rc == CXL_MBOX_SUCCESS && res.out_len >= 6 &&
		    !(res.out[0] & 1) && (uint16_t)(res.out[2] | res.out[3] << 8) == op.opcode &&
		    bg_take(j->b, op.intent, SIZE_MAX, &op, true) == 0)
			command_record_completion(j->b->ag, op.intent, 0,
						  (uint16_t)(res.out[4] | res.out[5] << 8),
						  since_us(&op.started));
	}
	reply(j, &m);
	cxl_cmd_result_clear(&res);
}

static void do_bg_close(struct job *j)
{
	const struct broker_bg_close *c = &j->req.u.bg_close;
	struct broker_msg m = { 0 };
	struct bg_open op;

	m.u.rc.rc = bg_take(j->b, c->intent, SIZE_MAX, &op, true);
	if (!m.u.rc.rc && c->kind == BROKER_BG_ABANDONED)
		command_record_abandoned(j->b->ag, op.intent);
	else if (!m.u.rc.rc)
		command_record_completion(j->b->ag, op.intent, c->transport < 0 ? c->transport
										: -ETIMEDOUT,
					  0, since_us(&op.started));
	reply(j, &m);
}

static int send_json(struct job *j, struct broker_msg *m, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	int rc;

	if (v && !text)
		m->u.audit_text.rc = -ENOMEM;
	m->u.audit_text.json = text ? text : "";
	m->u.audit_text.json_len = text ? strlen(text) : 0;
	m->type = broker_msg_reply_type(j->req.type);
	m->id = j->req.id;
	rc = broker_send(j->b, m);
	free(text);
	return rc;
}

/* A page of records; a page too large for one datagram is halved until it
 * fits (the front links the next page from what it got). */
static void do_audit_read(struct job *j)
{
	size_t max = j->req.u.audit_read.max, total = 0;
	int rc = -EMSGSIZE;

	if (max > AUDIT_PAGE_MAX)
		max = AUDIT_PAGE_MAX;
	while (rc == -EMSGSIZE) {
		struct broker_msg m = { 0 };
		json_t *recs = NULL;
		m.u.audit_text.rc = audit_read(j->b->ag->audit, j->req.u.audit_read.skip, max, &recs,
					       &total);
		m.u.audit_text.total = total;
		rc = send_json(j, &m, m.u.audit_text.rc ? NULL : recs);
		json_decref(recs);
		if (rc == -EMSGSIZE && max <= 1) {
			struct broker_msg e = { 0 };
			e.u.audit_text.rc = -EMSGSIZE;
			rc = send_json(j, &e, NULL);
		}
		max /= 2;
	}
}

static void do_audit_find(struct job *j)
{
	struct broker_msg m = { 0 };
	json_t *rec = NULL;

	m.u.audit_text.rc = audit_find(j->b->ag->audit, j->req.u.audit_find.id, &rec);
	if (send_json(j, &m, m.u.audit_text.rc ? NULL : rec)) {
		struct broker_msg e = { 0 };
		e.u.audit_text.rc = -EMSGSIZE;
		send_json(j, &e, NULL);
	}
	json_decref(rec);
}

static void do_audit_status(struct job *j)
{
	struct broker_msg m = { 0 };

	m.u.audit_status.bad = audit_health(j->b->ag->audit, m.u.audit_status.message,
					    sizeof(m.u.audit_status.message));
	audit_chain_head(j->b->ag->audit, m.u.audit_status.head);
	reply(j, &m);
}

/* The service is ready when the front listens: the broker is the process
 * the service manager watches, so it is the one that says so. */
static void notify_front_ready(const struct agent *ag)
{
	char status[128];

	snprintf(status, sizeof(status), "serving %zu %s device(s) on port %lld",
		 cxl_devset_count(ag->devices), cxl_devset_backend(ag->devices), ag->cfg->port);
	notify_ready(status);
}

/* A front that was told to stop while it started is never announced: the
 * service manager, told STOPPING=1, must not hear READY=1 after it. The
 * lock orders the two messages. */
static void do_ready(struct job *j)
{
	struct broker_msg m = { .type = BROKER_MSG_READY_REPLY };
	int error = j->req.u.ready.error;

	/* The front's start failed: the reason goes to the service manager's
	 * status line, as the broker's own would. No reply: nobody waits. */
	if (error) {
		if (error < 0 || error > 4095)
			error = EPROTO;
		notify_failed(j->req.u.ready.reason[0] ? j->req.u.ready.reason : strerror(error),
			      error);
		j->b->start_failed = true;
		return;
	}
	pthread_mutex_lock(&j->b->send_lock);
	if (!j->b->stopping)
		notify_front_ready(j->b->ag);
	pthread_mutex_unlock(&j->b->send_lock);
	reply(j, &m);
}

static void (*const handlers[BROKER_MSG_TYPE_MAX + 1])(struct job *) = {
	[BROKER_MSG_READY] = do_ready,
	[BROKER_MSG_SUBMIT] = do_submit,
	[BROKER_MSG_BG_POLL] = do_bg_poll,
	[BROKER_MSG_BG_CLOSE] = do_bg_close,
	[BROKER_MSG_AUDIT_READ] = do_audit_read,
	[BROKER_MSG_AUDIT_FIND] = do_audit_find,
	[BROKER_MSG_AUDIT_STATUS] = do_audit_status,
};

/* Serve one datagram from the front in place: 0, or -EPROTO when it is not
 * a request of the protocol (the session then ends). */
static int serve_one(struct broker *b, uint8_t *dgram, ssize_t n)
{
	struct job j = { .b = b };

	if ((size_t)n > BROKER_MSG_MAX || broker_msg_decode(dgram, (size_t)n, &j.req) ||
	    !broker_msg_is_request(j.req.type) || !handlers[j.req.type]) {
		log_error("broker: the front sent a %s datagram of %zd bytes that is not a request "
			  "of the protocol; ending the session",
			  (size_t)n >= BROKER_HEADER_LEN ? "malformed or unexpected" : "short", n);
		return -EPROTO;
	}
	handlers[j.req.type](&j);
	broker_msg_release(&j.req);
	return 0;
}

/* The session is over for the readers (0: the front closed it, or a
 * negative errno); the first reason stays. Waking the session loop: its
 * poll sees the socket hung up. readers_lock held. */
static void end_locked(struct broker *b, int why)
{
	if (b->ended)
		return;
	b->ended = true;
	b->end_rc = why;
	if (why)
		shutdown(b->fd, SHUT_RDWR);
}

static void *reader_main(void *arg);

/* One more thread waiting on the socket, unless there are enough already.
 * readers_lock held. */
static void spawn_locked(struct broker *b)
{
	pthread_attr_t attr;
	pthread_t t;

	if (b->readers >= READERS_MAX)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, reader_main, b) == 0) {
		b->readers++;
		b->readers_idle++;
	} else if (!b->readers) {
		log_error("broker: cannot start a thread to read the front's requests");
		end_locked(b, -EAGAIN);
	}
	pthread_attr_destroy(&attr);
}

/* Each reader receives a request and serves it itself, so a request crosses
 * no thread inside the broker. Before serving, the last idle reader starts
 * another: a device that takes its time holds only its own thread, and the
 * next request is read meanwhile. A reader idle for a whole READER_IDLE_MS
 * (the socket's receive timeout) ends while another waits. */
static void *reader_main(void *arg)
{
	struct broker *b = arg;
	uint8_t *rx = malloc(BROKER_MSG_MAX);

	pthread_mutex_lock(&b->readers_lock);
	while (rx && !b->ended) {
		ssize_t n;
		int err, rc;

		pthread_mutex_unlock(&b->readers_lock);
		n = recv(b->fd, rx, BROKER_MSG_MAX, MSG_TRUNC);
		err = errno;
		pthread_mutex_lock(&b->readers_lock);
		if (n < 0 && (err == EINTR || err == EAGAIN || err == EWOULDBLOCK)) {
			if (err != EINTR && b->readers_idle > 1)
				break;
			continue;
		}
		if (n <= 0) {
			end_locked(b, n < 0 ? -err : 0);
			break;
		}
		if (--b->readers_idle == 0)
			spawn_locked(b);
		pthread_mutex_unlock(&b->readers_lock);
		rc = serve_one(b, rx, n);
		pthread_mutex_lock(&b->readers_lock);
		b->readers_idle++;
		if (rc)
			end_locked(b, rc);
	}
	if (!rx)
		end_locked(b, -ENOMEM);
	b->readers_idle--;
	b->readers--;
	pthread_cond_broadcast(&b->readers_gone);
	pthread_mutex_unlock(&b->readers_lock);
	free(rx);
	return NULL;
}

/* The first reader, with the session's signal mask (every signal the
 * session takes through its signalfd stays blocked in all threads). */
static int readers_start(struct broker *b)
{
	struct timeval idle = { READER_IDLE_MS / 1000, (READER_IDLE_MS % 1000) * 1000 };
	int rc;

	if (setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) < 0)
		return -errno;
	pthread_mutex_lock(&b->readers_lock);
	spawn_locked(b);
	rc = b->readers ? 0 : -EAGAIN;
	pthread_mutex_unlock(&b->readers_lock);
	return rc;
}

/* Every reader gone: requests under way have finished and been audited. */
static void readers_wait(struct broker *b)
{
	pthread_mutex_lock(&b->readers_lock);
	while (b->readers)
		pthread_cond_wait(&b->readers_gone, &b->readers_lock);
	pthread_mutex_unlock(&b->readers_lock);
}

/* Close what nobody will follow any more: the front is gone. */
static void abandon_open(struct broker *b)
{
	for (size_t i = 0; i < CXL_MAX_DEVICES; i++)
		if (b->bg[i].intent[0]) {
			command_record_abandoned(b->ag, b->bg[i].intent);
			b->bg[i].intent[0] = '\0';
		}
}

/* 1 when the front is known to be gone (reaped into *status). */
static int reap(pid_t front, int *status, bool block)
{
	pid_t r;
	do
		r = waitpid(front, status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == front;
}

static int open_signals(const struct broker *b)
{
	sigset_t set;
	sigemptyset(&set);
	if (b->on_usr1)
		sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The configuration read again for the broker's part: the log level and
 * the catalogue (policy_file may name another file now). A configuration
 * that does not load keeps everything as it was. */
static void reload(struct broker *b)
{
	const struct config *cfg = b->ag->cfg;
	struct config next;
	char err[4096];

	if (config_defaults(&next))
		return;
	if (cfg->source && config_load(&next, cfg->source, err, sizeof(err))) {
		log_error("SIGHUP: configuration not reloaded, everything stays as it was: %s", err);
		config_release(&next);
		return;
	}
	log_set_level(next.log_level);
	log_info("SIGHUP: reloading the catalogue");
	broker_push_catalogue_from(b, next.policy_file);
	config_release(&next);
}

/* A signal: 0 to go on, 1 when the front has exited. */
static int on_signal(struct broker *b, int sfd, pid_t front, int *status)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if ((si.ssi_signo == SIGHUP || si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) &&
		    b->stopping) {
			/* A reload or a second request to stop changes nothing. */
			log_info("signal %u: already stopping", si.ssi_signo);
		} else if (si.ssi_signo == SIGHUP) {
			/* The catalogue here; the certificate and the log level in
			 * the front, which runs as the same user. */
			notify_reloading();
			reload(b);
			if (kill(front, SIGHUP) < 0)
				log_error("SIGHUP: cannot pass it to the front: %s", strerror(errno));
			notify_front_ready(b->ag);
		} else if (si.ssi_signo == SIGUSR1 && b->on_usr1) {
			b->on_usr1();
		} else if (si.ssi_signo == SIGCHLD) {
			if (reap(front, status, false))
				return 1;
		} else {
			/* Told over the session, not by kill(2): the front may not
			 * have switched users yet. */
			struct broker_msg m = { .type = BROKER_MSG_STOP };
			log_info("signal %u: stopping the front", si.ssi_signo);
			pthread_mutex_lock(&b->send_lock);
			b->stopping = true;
			notify_stopping();
			pthread_mutex_unlock(&b->send_lock);
			broker_send(b, &m);
			/* Commands under way finish; no device refresh starts. */
			poller_quiesce(b->ag->poller);
		}
	}
	return 0;
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Pinged every half interval while the device poller keeps finishing its
 * rounds: what the watchdog attests is the broker's own work. */
static void watchdog(struct broker *b)
{
	struct agent *ag = b->ag;
	uint64_t now = monotonic_usec();
	unsigned long long idle;

	if (!b->watchdog_usec || now < b->next_ping)
		return;
	b->next_ping = now + b->watchdog_usec / 2;
	idle = ag->poller ? poller_idle_ms(ag->poller) : 0;
	if (serve_healthy(ag->cfg, cxl_devset_count(ag->devices), idle)) {
		notify_watchdog();
		return;
	}
	log_warn("watchdog: device refresh has not completed for %llu ms; not telling the service manager we are alive",
		 idle);
}

/* 1 when the readers have ended the session (*rc: why), 0 while it goes on. */
static int readers_ended(struct broker *b, int *rc)
{
	int ended;

	pthread_mutex_lock(&b->readers_lock);
	ended = b->ended;
	*rc = b->end_rc;
	pthread_mutex_unlock(&b->readers_lock);
	return ended;
}

/* Signals, the clock and the socket's end; the readers serve the requests. */
static int session(struct broker *b, pid_t front, int *status, bool *reaped)
{
	int sfd = open_signals(b), rc = 0;

	if (sfd < 0)
		return -errno;
	if ((rc = broker_push_initial(b)))
		log_error("broker: cannot send the front its start-up state: %s", strerror(-rc));
	else if ((rc = readers_start(b)))
		log_error("broker: cannot read the front's requests: %s", strerror(-rc));
	while (!rc && !b->failed) {
		/* No POLLIN: only the hang-up, which the readers cause when they
		 * end the session and the front causes when it goes. */
		struct pollfd pfd[2] = { { b->fd, 0, 0 }, { sfd, POLLIN, 0 } };
		int n = poll(pfd, 2, TICK_MS);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN) &&
		    (*reaped = on_signal(b, sfd, front, status)))
			break;
		if ((n > 0 && (pfd[0].revents & (POLLHUP | POLLERR))) || readers_ended(b, &rc)) {
			readers_ended(b, &rc);
			break;
		}
		/* At most once a tick: a burst of commands changes the mailbox
		 * count and the audit chain head many times but is pushed once. */
		broker_push_changes(b);
		watchdog(b);
		/* a faulty device's held-back lines: their count once the
		 * window ends */
		log_flush_limited(0);
	}
	close(sfd);
	return rc;
}

int broker_serve(struct agent *ag, int fd, pid_t front, void (*on_usr1)(void))
{
	struct broker *b = calloc(1, sizeof(*b));
	bool told, reaped = false, own, explained;
	char why[128] = "";
	int status = 0, rc;

	if (!b) {
		close(fd);
		kill(front, SIGKILL);
		reap(front, &status, true);
		return 1;
	}
	b->ag = ag;
	b->fd = fd;
	b->on_usr1 = on_usr1;
	b->watchdog_usec = notify_watchdog_usec();
	pthread_mutex_init(&b->send_lock, NULL);
	pthread_mutex_init(&b->bg_lock, NULL);
	pthread_mutex_init(&b->readers_lock, NULL);
	pthread_cond_init(&b->readers_gone, NULL);
	rc = session(b, front, &status, &reaped);
	told = b->stopping;
	if (rc == -EPROTO)
		kill(front, SIGKILL);
	/* Requests under way finish and are audited; their answers go nowhere. */
	shutdown(fd, SHUT_RDWR);
	readers_wait(b);
	abandon_open(b);
	log_flush_limited(1);
	if (!reaped) {
		if (!told && rc != -EPROTO)
			kill(front, SIGTERM);
		reap(front, &status, true);
	}
	/* The session ended without an error of the broker's and without a
	 * stop request: the front went on its own. */
	own = !told && rc == 0;
	explained = b->start_failed;
	close(fd);
	pthread_mutex_destroy(&b->send_lock);
	pthread_mutex_destroy(&b->bg_lock);
	pthread_mutex_destroy(&b->readers_lock);
	pthread_cond_destroy(&b->readers_gone);
	free(b);
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "the front was killed by signal %d", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		snprintf(why, sizeof(why), "the front exited with status %d", WEXITSTATUS(status));
	else if (own)
		/* A signal sent to the front alone: the exit status below is
		 * a failure, so the service manager restarts both. */
		snprintf(why, sizeof(why),
			 "the front stopped without the broker asking it to: stopping too");
	if (why[0]) {
		log_error("%s", why);
		/* The unit's status line says so too, unless the front's own
		 * reason is already there. */
		if (!told && !explained)
			notify_failed(why, ECHILD);
	}
	return told && rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
