/* The MCTP endpoint transport through a scripted seam: valid replies pass,
 * late replies to earlier attempts are skipped, everything else is refused,
 * retries and deadlines hold, channel errors surface and the channel is
 * reopened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxl/cel.h"
#include "cxl/mbox.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/transport.h"

/* What the fake peer does with the n-th request. */
enum act {
	A_REPLY = 0,     /* a correct reply with payload "pl" and rc */
	A_SILENT,        /* nothing */
	A_STALE_THEN_OK, /* the answer to the previous attempt, then the right one */
	A_WRONG_TAG,
	A_WRONG_OPCODE,
	A_TRUNCATED,
	A_TOO_BIG,       /* recv reports -EMSGSIZE */
	A_SPAM,          /* an endless stream of wrong-tag replies */
	A_STALE_ONLY,    /* only the answer to the previous request, 4 bytes */
};

struct fake {
	enum act acts[8];
	size_t nacts;
	size_t sent;
	uint8_t last_req[64];
	size_t last_len;
	uint8_t prev_tag;
	uint16_t rc;
	size_t pl_len;
	int open_rc, send_rc;
	int opens, closes;
	/* queued replies */
	uint8_t q[4][128];
	size_t qlen[4];
	size_t qn, qi;
	int spam;
	int emsgsize;
};

static void queue_reply(struct fake *f, uint8_t tag, uint16_t opcode, uint16_t rc, size_t pl_len,
			size_t cut)
{
	struct cxl_cci_hdr h = { .msg_type = CXL_MCTP_TYPE_CCI,
				 .category = CXL_CCI_CATEGORY_RESPONSE,
				 .tag = tag, .opcode = opcode, .rc = rc };
	uint8_t pl[100];
	size_t len;

	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i + 1);
	assert_true(f->qn < 4);
	assert_int_equal(cxl_cci_encode(&h, pl, pl_len, f->q[f->qn], 128, &len), 0);
	f->qlen[f->qn++] = len - cut;
}

static int f_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	struct fake *f = ctx;
	assert_int_equal(peer->eid, 8);
	assert_int_equal(peer->type, CXL_MCTP_TYPE_CCI);
	f->opens++;
	return f->open_rc ? f->open_rc : 3;
}

static int f_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		  size_t len)
{
	struct fake *f = ctx;
	enum act a;
	uint8_t tag;
	uint16_t op;
	(void)peer;

	assert_int_equal(h, 3);
	if (f->send_rc)
		return f->send_rc;
	assert_true(len <= sizeof(f->last_req));
	memcpy(f->last_req, msg, len);
	f->last_len = len;
	tag = msg[2];
	op = cxl_get_le16(msg + 4);
	a = f->sent < f->nacts ? f->acts[f->sent] : A_REPLY;
	f->sent++;
	f->qn = f->qi = 0;
	switch (a) {
	case A_REPLY: queue_reply(f, tag, op, f->rc, f->pl_len, 0); break;
	case A_SILENT: break;
	case A_STALE_THEN_OK:
		queue_reply(f, f->prev_tag, op, 0, 4, 0);
		queue_reply(f, tag, op, f->rc, f->pl_len, 0);
		break;
	case A_WRONG_TAG: queue_reply(f, (uint8_t)(tag + 100), op, 0, 4, 0); break;
	case A_WRONG_OPCODE: queue_reply(f, tag, (uint16_t)(op + 1), 0, 4, 0); break;
	case A_TRUNCATED: queue_reply(f, tag, op, 0, 20, 5); break;
	case A_TOO_BIG: f->emsgsize = 1; break;
	case A_SPAM: f->spam = 1; break;
	case A_STALE_ONLY: queue_reply(f, f->prev_tag, op, 0, 4, 0); break;
	}
	f->prev_tag = tag;
	return 0;
}

static int f_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf, size_t max,
		  size_t *len, const struct timespec *deadline)
{
	struct fake *f = ctx;
	(void)h;
	(void)peer;
	(void)deadline;

	if (f->emsgsize) {
		f->emsgsize = 0;
		return -EMSGSIZE;
	}
	if (f->spam) {
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
		f->qn = f->qi = 0;
		queue_reply(f, (uint8_t)(f->prev_tag + 77), 0x4000, 0, 4, 0);
	}
	if (f->qi >= f->qn)
		return -ETIMEDOUT; /* as if the deadline passed */
	assert_true(f->qlen[f->qi] <= max);
	memcpy(buf, f->q[f->qi], f->qlen[f->qi]);
	*len = f->qlen[f->qi++];
	return 0;
}

static void f_close(void *ctx, int h)
{
	struct fake *f = ctx;
	assert_int_equal(h, 3);
	f->closes++;
}

static const struct cxl_mctp_io_ops fake_ops = {
	.open = f_open, .send = f_send, .recv = f_recv, .close = f_close,
};

static struct cxl_mctp_ep *mk_ep(struct fake *f, unsigned retries)
{
	struct cxl_mctp_ep_config cfg = {
		.peer = { .network = 1, .eid = 8, .type = CXL_MCTP_TYPE_CCI },
		.timeout_ms = 50, .retries = retries, .payload_max = 256,
	};
	struct cxl_mctp_ep *ep = NULL;
	assert_int_equal(cxl_mctp_ep_new(&cfg, &fake_ops, f, &ep), 0);
	return ep;
}

struct res {
	int rc;
	uint16_t mbox_rc;
	bool bo;
	size_t len;
	uint8_t out[256];
};

static void run(struct cxl_mctp_ep *ep, uint16_t op, const uint8_t *in, size_t in_len,
		size_t out_max, struct res *r)
{
	memset(r, 0, sizeof(*r));
	r->rc = cxl_mctp_ep_exec(ep, op, in, in_len, r->out, out_max, &r->len, &r->mbox_rc, &r->bo,
				 NULL);
}

static void test_config(void **state)
{
	struct fake f = { 0 };
	struct cxl_mctp_ep_config good = {
		.peer = { .eid = 8, .type = CXL_MCTP_TYPE_CCI },
		.timeout_ms = 50, .retries = 1, .payload_max = 256,
	};
	struct cxl_mctp_ep_config c;
	struct cxl_mctp_ep *ep = (struct cxl_mctp_ep *)1;
	(void)state;

	c = good;
	c.timeout_ms = 0;
	assert_int_equal(cxl_mctp_ep_new(&c, &fake_ops, &f, &ep), -EINVAL);
	assert_null(ep);
	c = good;
	c.retries = CXL_MCTP_RETRIES_MAX + 1;
	assert_int_equal(cxl_mctp_ep_new(&c, &fake_ops, &f, &ep), -EINVAL);
	c = good;
	c.payload_max = 255;
	assert_int_equal(cxl_mctp_ep_new(&c, &fake_ops, &f, &ep), -EINVAL);
	c.payload_max = CXL_MCTP_PAYLOAD_LIMIT + 1;
	assert_int_equal(cxl_mctp_ep_new(&c, &fake_ops, &f, &ep), -EINVAL);
	c = good;
	c.peer.type = 0x05;
	assert_int_equal(cxl_mctp_ep_new(&c, &fake_ops, &f, &ep), -EINVAL);
	assert_int_equal(cxl_mctp_ep_new(&good, NULL, &f, &ep), -EINVAL);
	assert_int_equal(cxl_mctp_ep_new(&good, &fake_ops, &f, &ep), 0);
	assert_int_equal(f.opens, 0); /* lazily */
	cxl_mctp_ep_free(ep);
	cxl_mctp_ep_free(NULL);
}

static void test_round_trip(void **state)
{
	struct fake f = { .rc = 0, .pl_len = 20 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 0);
	static const uint8_t in[3] = { 9, 8, 7 };
	struct cxl_mctp_ep_stats st;
	struct res r;
	(void)state;

	run(ep, 0x4000, in, sizeof(in), 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, 0);
	assert_int_equal(r.len, 20);
	assert_int_equal(r.out[19], 20);
	/* the request on the wire */
	assert_int_equal(f.last_len, CXL_CCI_HDR_LEN + 3);
	assert_int_equal(f.last_req[0], CXL_MCTP_TYPE_CCI);
	assert_int_equal(f.last_req[1], CXL_CCI_CATEGORY_REQUEST);
	assert_int_equal(cxl_get_le16(f.last_req + 4), 0x4000);
	assert_memory_equal(f.last_req + CXL_CCI_HDR_LEN, in, 3);
	/* the tag moves on */
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(f.last_req[2], 1);
	/* a device error: its code, no output */
	f.rc = CXL_MBOX_BUSY;
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_BUSY);
	assert_int_equal(r.len, 0);
	cxl_mctp_ep_stats_get(ep, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.replies, 3);
	assert_int_equal(f.opens, 1);
	cxl_mctp_ep_free(ep);
	assert_int_equal(f.closes, 1);
}

static void test_input_checks(void **state)
{
	struct fake f = { .pl_len = 20 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 0);
	uint8_t big[257] = { 0 };
	struct res r;
	(void)state;

	run(ep, 0x4000, big, sizeof(big), 256, &r);
	assert_int_equal(r.rc, -EINVAL);
	run(ep, 0x4000, NULL, 4, 256, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_int_equal(f.sent, 0);
	/* a reply larger than the caller's buffer is refused, not cut */
	run(ep, 0x4000, NULL, 0, 19, &r);
	assert_int_equal(r.rc, -EPROTO);
	assert_int_equal(r.len, 0);
	cxl_mctp_ep_free(ep);
}

static void test_retry_and_stale(void **state)
{
	struct fake f = { .acts = { A_SILENT, A_STALE_THEN_OK }, .nacts = 2, .pl_len = 4 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 2);
	struct cxl_mctp_ep_stats st;
	struct res r;
	(void)state;

	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.len, 4);
	cxl_mctp_ep_stats_get(ep, &st);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.refused[CXL_CCI_ERR_TAG], 0);
	cxl_mctp_ep_free(ep);
}

/* A command that timed out is answered while the next one (the same
 * opcode) waits: that answer is not the next command's. */
static void test_late_reply_not_taken_by_next_command(void **state)
{
	struct fake f = { .acts = { A_SILENT, A_STALE_THEN_OK, A_SILENT, A_STALE_ONLY }, .nacts = 4,
			  .pl_len = 8 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 0);
	struct res r;
	(void)state;

	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.len, 8); /* its own answer, not the 4 late bytes */
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	/* only the late answer comes: no answer for this command */
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(r.len, 0);
	cxl_mctp_ep_free(ep);
}

static void test_timeout(void **state)
{
	struct fake f = { .acts = { A_SILENT, A_SILENT, A_SILENT }, .nacts = 3 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 2);
	struct cxl_mctp_ep_stats st;
	struct res r;
	(void)state;

	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	cxl_mctp_ep_stats_get(ep, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.timeouts, 3);
	cxl_mctp_ep_free(ep);
}

static void expect_proto(enum act a, enum cxl_cci_err why)
{
	struct fake f = { .acts = { a }, .nacts = 1, .pl_len = 4 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 0);
	struct cxl_mctp_ep_stats st;
	struct res r;

	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -EPROTO);
	assert_int_equal(r.len, 0);
	cxl_mctp_ep_stats_get(ep, &st);
	assert_int_equal(st.refused[why], 1);
	/* the next request is not disturbed */
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	cxl_mctp_ep_free(ep);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_proto(A_WRONG_TAG, CXL_CCI_ERR_TAG);
	expect_proto(A_WRONG_OPCODE, CXL_CCI_ERR_OPCODE);
	expect_proto(A_TRUNCATED, CXL_CCI_ERR_LENGTH);
	expect_proto(A_TOO_BIG, CXL_CCI_ERR_TOO_LONG);
}

/* A peer that never stops sending wrong answers cannot hold the caller. */
static void test_spam_bounded_by_deadline(void **state)
{
	struct fake f = { .acts = { A_SPAM }, .nacts = 1 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 0);
	struct timespec t0, t1, deadline;
	uint8_t out[16];
	size_t len;
	uint16_t rc16;
	int rc;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_nsec += 30000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	rc = cxl_mctp_ep_exec(ep, 0x4000, NULL, 0, out, sizeof(out), &len, &rc16, NULL, &deadline);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rc, -EPROTO);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	cxl_mctp_ep_free(ep);
}

static void test_channel_errors(void **state)
{
	struct fake f = { .open_rc = -EAFNOSUPPORT, .pl_len = 4 };
	struct cxl_mctp_ep *ep = mk_ep(&f, 1);
	struct res r;
	(void)state;

	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -EAFNOSUPPORT);
	f.open_rc = 0;
	f.send_rc = -EHOSTUNREACH;
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -EHOSTUNREACH);
	assert_int_equal(f.closes, 1); /* dropped after the failed send */
	f.send_rc = 0;
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(f.opens, 3); /* and reopened */
	/* no tag free: busy, nothing sent, the channel kept */
	f.send_rc = -EAGAIN;
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, -EBUSY);
	assert_int_equal(f.closes, 1);
	f.send_rc = 0;
	run(ep, 0x4000, NULL, 0, 256, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(f.opens, 3);
	cxl_mctp_ep_free(ep);
}

/* The kernel path: this host may have no MCTP, then the error is plain. */
static void test_socket_io(void **state)
{
	struct cxl_mctp_ep_config cfg = {
		.peer = { .network = 1, .eid = 200, .type = CXL_MCTP_TYPE_CCI },
		.timeout_ms = 50, .retries = 0, .payload_max = 256,
	};
	struct cxl_mctp_ep *ep = NULL;
	uint8_t out[16];
	size_t len;
	uint16_t rc16;
	int rc;
	(void)state;

	assert_int_equal(cxl_mctp_ep_new(&cfg, cxl_mctp_io_socket(), NULL, &ep), 0);
	rc = cxl_mctp_ep_exec(ep, 0x0001, NULL, 0, out, sizeof(out), &len, &rc16, NULL, NULL);
	/* no MCTP in the kernel, or no route to EID 200 in network 1 */
	assert_true(rc == -EAFNOSUPPORT || rc == -ENETUNREACH || rc == -EHOSTUNREACH ||
		    rc == -ETIMEDOUT);
	cxl_mctp_ep_free(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_input_checks),
		cmocka_unit_test(test_retry_and_stale),
		cmocka_unit_test(test_late_reply_not_taken_by_next_command),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_spam_bounded_by_deadline),
		cmocka_unit_test(test_channel_errors),
		cmocka_unit_test(test_socket_io),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
