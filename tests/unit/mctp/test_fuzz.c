/* Randomised robustness of the MCTP path: random and mutated messages into
 * the CCI decoder, random and mutated byte streams into the serial decoder
 * and reassembly, and a peer answering noise under the endpoint transport.
 * Deterministic seeds, bounded by iterations and time. Buffers are allocated
 * at their exact length so the sanitizer build catches any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxl/mbox.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"
#include "cxl/mctp/transport.h"

#define ITERATIONS 200000
#define TIME_BUDGET_S 2.0

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1Dull;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A valid response to req, then a few random byte or length changes. */
static size_t mutated_reply(struct rng *g, const struct cxl_cci_hdr *req, uint8_t *buf,
			    size_t max)
{
	struct cxl_cci_hdr h = *req;
	uint8_t pl[300];
	size_t n = rnd(g) % sizeof(pl), len = 0;

	for (size_t i = 0; i < n; i++)
		pl[i] = (uint8_t)rnd(g);
	h.category = CXL_CCI_CATEGORY_RESPONSE;
	h.rc = rnd(g) % 3 ? 0 : (uint16_t)rnd(g);
	h.bo = rnd(g) % 4 == 0;
	if (cxl_cci_encode(&h, pl, n, buf, max, &len))
		return 0;
	for (int k = (int)(rnd(g) % 4); k > 0; k--)
		buf[rnd(g) % len] = (uint8_t)rnd(g);
	if (rnd(g) % 3 == 0)
		len = rnd(g) % (len + 1);
	return len;
}

static void test_cci_random(void **state)
{
	struct cxl_cci_hdr req = { .msg_type = CXL_MCTP_TYPE_CCI, .tag = 7, .opcode = 0x4000 };
	struct rng g = { 0x9E3779B97F4A7C15ull };
	uint8_t tmp[CXL_CCI_HDR_LEN + 300];
	double t0 = now_s();
	long it, ok = 0;
	(void)state;

	for (it = 0; it < ITERATIONS && now_s() - t0 < TIME_BUDGET_S; it++) {
		size_t len, out_max = rnd(&g) % 320;
		struct cxl_cci_reply rep;
		struct cxl_cci_hdr h;
		const uint8_t *p;
		enum cxl_cci_err why;
		uint8_t *buf;
		int rc;

		if (it % 2) {
			len = mutated_reply(&g, &req, tmp, sizeof(tmp));
		} else {
			len = rnd(&g) % 3 ? rnd(&g) % 40 : rnd(&g) % sizeof(tmp);
			for (size_t i = 0; i < len; i++)
				tmp[i] = (uint8_t)rnd(&g);
		}
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, tmp, len);
		rc = cxl_cci_decode(buf, len, &h, &p, &why);
		assert_true(rc == 0 || rc == -EPROTO);
		if (rc == 0) {
			assert_int_equal(h.payload_len + CXL_CCI_HDR_LEN, len);
			assert_true(h.payload_len == 0 || p == buf + CXL_CCI_HDR_LEN);
		} else {
			assert_true(why > CXL_CCI_OK && why < CXL_CCI_ERR__COUNT);
		}
		{
			struct cxl_cci_identify id;
			rc = cxl_cci_parse_identify(buf, len, &id);
			assert_true(rc == 0 || rc == -EPROTO);
			assert_true(rc != 0 || (id.max_msg_log2 >= 8 && id.max_msg_log2 <= 20));
		}
		rc = cxl_cci_check_response(&req, buf, len, out_max, &rep, &why);
		assert_true(rc == 0 || rc == -EPROTO);
		if (rc == 0) {
			ok++;
			assert_true(rep.payload_len <= out_max);
			assert_true(rep.payload_len == 0 || rep.payload == buf + CXL_CCI_HDR_LEN);
			assert_true(rep.payload_len + CXL_CCI_HDR_LEN <= len);
		} else {
			assert_int_equal(rep.payload_len, 0);
		}
		free(buf);
	}
	print_message("%ld messages, %ld accepted\n", it, ok);
	assert_true(it >= 1000);
	assert_true(ok > 0);
}

/* Good frames of random packets with random damage between and inside;
 * every packet that comes out must be one that went in intact. */
static void test_serial_stream_random(void **state)
{
	struct rng g = { 0x0123456789ABCDEFull };
	struct cxl_mctp_deframer d;
	uint8_t reasm_buf[200];
	struct cxl_mctp_reasm ra;
	double t0 = now_s();
	long frames = 0, good = 0, messages = 0, it;
	(void)state;

	cxl_mctp_deframer_init(&d);
	cxl_mctp_reasm_init(&ra, reasm_buf, sizeof(reasm_buf));
	for (it = 0; it < ITERATIONS / 10 && now_s() - t0 < TIME_BUDGET_S; it++) {
		uint8_t pkt[CXL_MCTP_PKT_MAX], frame[CXL_MCTP_FRAME_MAX];
		size_t plen = 1 + rnd(&g) % CXL_MCTP_PKT_MAX, flen;
		int damaged = 0;

		for (size_t i = 0; i < plen; i++)
			pkt[i] = rnd(&g) % 4 ? (uint8_t)rnd(&g) : (uint8_t)(0x7D + rnd(&g) % 2);
		if (plen >= CXL_MCTP_PKT_HDR_LEN && rnd(&g) % 2)
			pkt[0] = CXL_MCTP_HDR_VERSION; /* make it a plausible packet */
		assert_int_equal(cxl_mctp_frame(pkt, plen, frame, sizeof(frame), &flen), 0);
		if (rnd(&g) % 4 == 0) {
			frame[1 + rnd(&g) % (flen - 1)] ^= (uint8_t)(1 + rnd(&g) % 255);
			damaged = 1;
		}
		if (rnd(&g) % 8 == 0) {
			flen = 1 + rnd(&g) % flen;
			damaged = 1;
		}
		for (size_t i = 0; i < flen; i++) {
			if (cxl_mctp_deframer_push(&d, frame[i]) != 1)
				continue;
			frames++;
			assert_true(d.len >= 1 && d.len <= CXL_MCTP_PKT_MAX);
			if (!damaged) {
				assert_int_equal(d.len, plen);
				assert_memory_equal(d.pkt, pkt, plen);
				good++;
			}
			{
				int rc = cxl_mctp_reasm_push(&ra, d.pkt, d.len);
				assert_true(rc == 0 || rc == 1 || rc == -EMSGSIZE);
				assert_true(ra.len <= sizeof(reasm_buf));
				if (rc == 1)
					messages++;
			}
		}
		/* junk between frames now and then */
		for (int k = rnd(&g) % 6 == 0 ? (int)(rnd(&g) % 30) : 0; k > 0; k--)
			(void)cxl_mctp_deframer_push(&d, (uint8_t)rnd(&g));
		/* a frame must not be glued to the junk's half frame: flag */
		(void)cxl_mctp_deframer_push(&d, CXL_MCTP_SERIAL_FLAG);
	}
	print_message("%ld frames in, %ld out, %ld intact, %ld messages, %llu FCS errors\n", it,
		      frames, good, messages, (unsigned long long)d.crc_errors);
	assert_true(good > it / 2);
}

/* A peer whose every answer is a mutated reply, sometimes to the right tag,
 * sometimes not, sometimes nothing. */
struct noise {
	struct rng g;
	uint8_t q[CXL_CCI_HDR_LEN + 300];
	size_t qlen;
	int pending;
	struct cxl_cci_hdr req;
};

static int n_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	(void)ctx;
	(void)peer;
	return 0;
}

static int n_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		  size_t len)
{
	struct noise *n = ctx;
	(void)h;
	(void)peer;
	assert_true(len >= CXL_CCI_HDR_LEN);
	n->req.msg_type = msg[0];
	n->req.tag = rnd(&n->g) % 8 ? msg[2] : (uint8_t)rnd(&n->g);
	n->req.opcode = cxl_get_le16(msg + 4);
	n->pending = (int)(rnd(&n->g) % 4);
	return 0;
}

static int n_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf, size_t max,
		  size_t *len, const struct timespec *deadline)
{
	struct noise *n = ctx;
	(void)h;
	(void)peer;
	(void)deadline;
	if (n->pending-- <= 0)
		return -ETIMEDOUT;
	if (rnd(&n->g) % 16 == 0)
		return -EMSGSIZE;
	n->qlen = mutated_reply(&n->g, &n->req, n->q, sizeof(n->q));
	if (n->qlen > max)
		return -EMSGSIZE;
	memcpy(buf, n->q, n->qlen);
	*len = n->qlen;
	return 0;
}

static void n_close(void *ctx, int h)
{
	(void)ctx;
	(void)h;
}

static const struct cxl_mctp_io_ops noise_ops = {
	.open = n_open, .send = n_send, .recv = n_recv, .close = n_close,
};

static void test_transport_over_noise(void **state)
{
	struct noise n = { .g = { 0xDEADBEEFCAFEF00Dull } };
	struct cxl_mctp_ep_config cfg = {
		.peer = { .eid = 8, .type = CXL_MCTP_TYPE_CCI },
		.timeout_ms = 5, .retries = 2, .payload_max = 256,
	};
	struct cxl_mctp_ep *ep = NULL;
	double t0 = now_s();
	long it, counts[3] = { 0 };
	(void)state;

	assert_int_equal(cxl_mctp_ep_new(&cfg, &noise_ops, &n, &ep), 0);
	for (it = 0; it < 20000 && now_s() - t0 < TIME_BUDGET_S; it++) {
		size_t out_max = rnd(&n.g) % 300, len = 99;
		uint8_t *out = malloc(out_max ? out_max : 1);
		uint16_t rc16;
		int rc;
		assert_non_null(out);
		rc = cxl_mctp_ep_exec(ep, (uint16_t)rnd(&n.g), NULL, 0, out, out_max, &len, &rc16,
				      NULL, NULL);
		assert_true(rc == 0 || rc == -EPROTO || rc == -ETIMEDOUT);
		counts[rc == 0 ? 0 : rc == -EPROTO ? 1 : 2]++;
		assert_true(len <= out_max);
		if (rc)
			assert_int_equal(len, 0);
		free(out);
	}
	print_message("%ld requests: %ld answered, %ld refused, %ld timed out\n", it, counts[0],
		      counts[1], counts[2]);
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
	cxl_mctp_ep_free(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cci_random),
		cmocka_unit_test(test_serial_stream_random),
		cmocka_unit_test(test_transport_over_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
