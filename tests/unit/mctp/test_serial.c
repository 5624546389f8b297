/* MCTP packets and DSP0253 serial framing: exact frame bytes, the FCS the
 * Linux N_MCTP line discipline computes, resynchronisation after garbage,
 * fragmentation at 64 bytes and reassembly that refuses broken sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"

static void test_fcs_check_value(void **state)
{
	(void)state;
	/* CRC-16/MCRF4XX catalogue check value: reflected 8408h, init FFFFh,
	 * no final XOR. */
	assert_int_equal(cxl_mctp_fcs(0xFFFF, (const uint8_t *)"123456789", 9), 0x6F91);
	/* incremental equals whole */
	assert_int_equal(cxl_mctp_fcs(cxl_mctp_fcs(0xFFFF, (const uint8_t *)"1234", 4),
				      (const uint8_t *)"56789", 5),
			 0x6F91);
}

static void test_frame_layout(void **state)
{
	static const uint8_t pkt[] = { 0x01, 0x08, 0x09, 0xC8, 0x7E, 0x7D, 0x42 };
	uint8_t head[2] = { 0x01, sizeof(pkt) };
	uint8_t out[CXL_MCTP_FRAME_MAX];
	size_t len;
	uint16_t fcs;
	(void)state;

	assert_int_equal(cxl_mctp_frame(pkt, sizeof(pkt), out, sizeof(out), &len), 0);
	fcs = cxl_mctp_fcs(cxl_mctp_fcs(0xFFFF, head, 2), pkt, sizeof(pkt));
	{
		const uint8_t want[] = { 0x7E, 0x01, 0x07, 0x01, 0x08, 0x09, 0xC8, 0x7D, 0x5E,
					 0x7D, 0x5D, 0x42, (uint8_t)(fcs >> 8), (uint8_t)fcs, 0x7E };
		assert_int_equal(len, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
	}
	assert_int_equal(cxl_mctp_frame(pkt, 0, out, sizeof(out), &len), -EINVAL);
	assert_int_equal(cxl_mctp_frame(pkt, CXL_MCTP_PKT_MAX + 1, out, sizeof(out), &len), -EINVAL);
	assert_int_equal(cxl_mctp_frame(pkt, sizeof(pkt), out, 20, &len), -ENOBUFS);
}

static int feed(struct cxl_mctp_deframer *d, const uint8_t *p, size_t n, uint8_t *got,
		size_t *got_len)
{
	int frames = 0;
	for (size_t i = 0; i < n; i++)
		if (cxl_mctp_deframer_push(d, p[i]) == 1) {
			memcpy(got, d->pkt, d->len);
			*got_len = d->len;
			frames++;
		}
	return frames;
}

static void test_roundtrip_every_length(void **state)
{
	struct cxl_mctp_deframer d;
	uint8_t pkt[CXL_MCTP_PKT_MAX], out[CXL_MCTP_FRAME_MAX], got[CXL_MCTP_PKT_MAX];
	size_t len, got_len = 0;
	(void)state;

	cxl_mctp_deframer_init(&d);
	for (size_t n = 1; n <= CXL_MCTP_PKT_MAX; n++) {
		for (size_t i = 0; i < n; i++)
			pkt[i] = (uint8_t)(0x7B + i * 3); /* sweeps through 7Dh and 7Eh */
		assert_int_equal(cxl_mctp_frame(pkt, n, out, sizeof(out), &len), 0);
		assert_int_equal(feed(&d, out, len, got, &got_len), 1);
		assert_int_equal(got_len, n);
		assert_memory_equal(got, pkt, n);
	}
	assert_int_equal(d.frames, CXL_MCTP_PKT_MAX);
	assert_int_equal(d.crc_errors, 0);
	assert_int_equal(d.errors, 0);
}

static size_t good_frame(uint8_t *out)
{
	static const uint8_t pkt[] = { 0x01, 0x09, 0x08, 0xC0, 0x08, 0x01 };
	size_t len;
	assert_int_equal(cxl_mctp_frame(pkt, sizeof(pkt), out, CXL_MCTP_FRAME_MAX, &len), 0);
	return len;
}

/* A broken frame, then a good one: only the good one comes out, and the
 * broken one is counted as an FCS error (1), another error (2) or not at
 * all (0: no flag, nothing that looked like a frame). */
static void expect_resync(const uint8_t *bad, size_t bad_len, int kind)
{
	struct cxl_mctp_deframer d;
	uint8_t stream[512], got[CXL_MCTP_PKT_MAX];
	size_t n = 0, got_len = 0;

	memcpy(stream, bad, bad_len);
	n = bad_len;
	n += good_frame(stream + n);
	cxl_mctp_deframer_init(&d);
	assert_int_equal(feed(&d, stream, n, got, &got_len), 1);
	assert_int_equal(got_len, 6);
	assert_int_equal(got[4], 0x08);
	assert_int_equal(d.crc_errors, kind == 1 ? 1 : 0);
	assert_int_equal(d.errors, kind == 2 ? 1 : 0);
}

static void test_resync(void **state)
{
	uint8_t f[CXL_MCTP_FRAME_MAX];
	size_t len;
	(void)state;

	{
		static const uint8_t junk[] = { 0x00, 0x7D, 0x55, 0x01, 0x02 };
		expect_resync(junk, sizeof(junk), 0); /* no flag at all: skipped silently */
	}
	{
		static const uint8_t bad_rev[] = { 0x7E, 0x02, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x7E };
		expect_resync(bad_rev, sizeof(bad_rev), 2);
	}
	{
		static const uint8_t zero[] = { 0x7E, 0x01, 0x00, 0x00, 0x00, 0x7E };
		expect_resync(zero, sizeof(zero), 2);
	}
	{
		static const uint8_t big[] = { 0x7E, 0x01, CXL_MCTP_PKT_MAX + 1, 1, 2, 3 };
		expect_resync(big, sizeof(big), 2);
	}
	{
		static const uint8_t bad_esc[] = { 0x7E, 0x01, 0x03, 0x7D, 0x20, 1, 2 };
		expect_resync(bad_esc, sizeof(bad_esc), 2);
	}
	{
		static const uint8_t cut[] = { 0x7E, 0x01, 0x10, 1, 2, 3 }; /* next flag cuts it */
		expect_resync(cut, sizeof(cut), 2);
	}
	len = good_frame(f);
	f[len - 2] ^= 1; /* FCS */
	expect_resync(f, len, 1);
	len = good_frame(f);
	f[len - 1] = 0x00; /* no closing flag */
	expect_resync(f, len, 2);
	len = good_frame(f);
	f[4] ^= 0x40; /* a payload bit flipped in transit */
	expect_resync(f, len, 1);
}

/* Frames sharing one flag between them, as some senders do. */
static void test_shared_flags(void **state)
{
	struct cxl_mctp_deframer d;
	uint8_t stream[3 * CXL_MCTP_FRAME_MAX], got[CXL_MCTP_PKT_MAX];
	size_t n = 0, got_len;
	(void)state;

	n += good_frame(stream);
	n += good_frame(stream + n - 1) - 1;
	n += good_frame(stream + n);
	cxl_mctp_deframer_init(&d);
	assert_int_equal(feed(&d, stream, n, got, &got_len), 3);
	assert_int_equal(d.errors, 0);
}

struct sink {
	uint8_t pkts[40][CXL_MCTP_PKT_MAX];
	size_t lens[40];
	size_t n;
	size_t fail_at;
};

static int sink_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sink *s = ctx;
	if (s->n == s->fail_at)
		return -EIO;
	assert_true(s->n < 40);
	memcpy(s->pkts[s->n], pkt, len);
	s->lens[s->n++] = len;
	return 0;
}

static void test_packetize(void **state)
{
	uint8_t msg[300];
	struct sink s = { .fail_at = 99 };
	struct cxl_mctp_pkt_hdr h;
	(void)state;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(cxl_mctp_packetize(8, 9, true, 5, msg, 300, 300, sink_emit, &s), 0);
	assert_int_equal(s.n, 5); /* 64 * 4 + 44 */
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(cxl_mctp_pkt_hdr_get(s.pkts[i], s.lens[i], &h), 0);
		assert_int_equal(h.dest, 8);
		assert_int_equal(h.src, 9);
		assert_true(h.to);
		assert_int_equal(h.tag, 5);
		assert_int_equal(h.som, i == 0);
		assert_int_equal(h.eom, i == 4);
		assert_int_equal(h.seq, i & 3); /* wraps after 3 */
		assert_int_equal(s.lens[i], i < 4 ? CXL_MCTP_PKT_MAX : 4 + 44);
		assert_memory_equal(s.pkts[i] + 4, msg + 64 * i, s.lens[i] - 4);
	}
	assert_int_equal(s.pkts[0][3], 0x80 | 0x08 | 5);
	s.n = 0;
	assert_int_equal(cxl_mctp_packetize(8, 9, false, 0, msg, 64, 300, sink_emit, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pkts[0][3], 0xC0);
	s.n = 0;
	s.fail_at = 1;
	assert_int_equal(cxl_mctp_packetize(8, 9, false, 0, msg, 200, 300, sink_emit, &s), -EIO);
	assert_int_equal(s.n, 1);
	assert_int_equal(cxl_mctp_packetize(8, 9, false, 8, msg, 10, 300, sink_emit, &s), -EINVAL);
	assert_int_equal(cxl_mctp_packetize(8, 9, false, 0, msg, 0, 300, sink_emit, &s), -EINVAL);
	assert_int_equal(cxl_mctp_packetize(8, 9, false, 0, msg, 301, 300, sink_emit, &s), -EINVAL);
	/* another header version is not a packet */
	s.pkts[0][0] = 0x02;
	assert_int_equal(cxl_mctp_pkt_hdr_get(s.pkts[0], 4, &h), -EPROTO);
	assert_int_equal(cxl_mctp_pkt_hdr_get(s.pkts[0], 3, &h), -EPROTO);
}

static void split(struct sink *s, size_t len, uint8_t tag)
{
	static uint8_t msg[600];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ 0x5A);
	memset(s, 0, sizeof(*s));
	s->fail_at = 99;
	assert_int_equal(cxl_mctp_packetize(9, 8, false, tag, msg, len, sizeof(msg), sink_emit, s),
			 0);
}

static void test_reassembly(void **state)
{
	uint8_t buf[256];
	struct cxl_mctp_reasm r;
	struct sink s;
	int rc = 0;
	(void)state;

	cxl_mctp_reasm_init(&r, buf, sizeof(buf));
	split(&s, 200, 3);
	for (size_t i = 0; i < s.n; i++)
		rc = cxl_mctp_reasm_push(&r, s.pkts[i], s.lens[i]);
	assert_int_equal(rc, 1);
	assert_int_equal(r.len, 200);
	assert_int_equal(buf[199], (uint8_t)(199 ^ 0x5A));
	assert_int_equal(r.first.tag, 3);
	assert_int_equal(r.first.src, 8);

	/* a lost middle packet: the sequence breaks, the message is dropped */
	split(&s, 200, 3);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], s.lens[0]), 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[2], s.lens[2]), 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[3], s.lens[3]), 0);
	assert_true(r.dropped >= 2);

	/* a continuation from another tag does not join the message */
	split(&s, 130, 3);
	{
		struct sink o;
		split(&o, 130, 4);
		assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], s.lens[0]), 0);
		assert_int_equal(cxl_mctp_reasm_push(&r, o.pkts[1], o.lens[1]), 0);
		assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[1], s.lens[1]), 0);
	}
	/* a short middle packet is refused */
	split(&s, 130, 3);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], s.lens[0]), 0);
	s.pkts[1][3] &= (uint8_t)~0x40; /* clear EOM on a short packet */
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[1], 10), 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[2], s.lens[2]), 0);

	/* a new SOM restarts; the message completes from there */
	split(&s, 100, 1);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], s.lens[0]), 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], s.lens[0]), 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[1], s.lens[1]), 1);
	assert_int_equal(r.len, 100);

	/* bigger than the buffer: refused once, never written past it */
	split(&s, 400, 2);
	rc = 0;
	for (size_t i = 0; i < s.n; i++) {
		int x = cxl_mctp_reasm_push(&r, s.pkts[i], s.lens[i]);
		assert_true(x == 0 || x == -EMSGSIZE);
		if (x == -EMSGSIZE)
			rc++;
	}
	assert_int_equal(rc, 1);
	assert_true(r.len <= sizeof(buf));

	/* an empty single packet is no message */
	split(&s, 1, 0);
	assert_int_equal(cxl_mctp_reasm_push(&r, s.pkts[0], 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fcs_check_value),
		cmocka_unit_test(test_frame_layout),
		cmocka_unit_test(test_roundtrip_every_length),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_shared_flags),
		cmocka_unit_test(test_packetize),
		cmocka_unit_test(test_reassembly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
