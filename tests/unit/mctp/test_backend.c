/* The MCTP backend through a fake seam: enumeration from Identify, hostile
 * replies (malformed, truncated, oversized, wrong tag) mapped to errors and
 * never a crash, a silent endpoint going absent without holding up another,
 * and coming back once it answers; the endpoint syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxl/backend.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "cxl/mbox.h"
#include "cxl/mctp/backend.h"
#include "cxl/mctp/cci.h"
#include "util/clock.h"

enum mode { M_OK = 0, M_SILENT, M_WRONG_TAG, M_TRUNCATED, M_OVERSIZE, M_BAD_LENGTH, M_JUNK,
	    M_NO_ROUTE };

/* One fake peer per EID (8 and 9 used). */
struct peer {
	enum mode mode;
	uint8_t reply[128];
	size_t reply_len;
	bool pending;
	unsigned requests;
	uint64_t serial;
	bool other_ids; /* answer Generic Identify with another device id */
};

#define PEERS 8
struct fake {
	struct peer p[PEERS];
	bool wait_out; /* a silent peer's receive lasts until its deadline */
};

static struct peer *peer_of(struct fake *f, uint8_t eid)
{
	assert_true(eid >= 8 && eid < 8 + PEERS);
	return &f->p[eid - 8];
}

static int f_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	(void)ctx;
	return peer->eid;
}

/* Answer as a small Type-3 device: both Identify commands, nothing else. */
static void answer(struct peer *p, const uint8_t *msg, size_t len)
{
	struct cxl_cci_hdr h;
	const uint8_t *pl;
	uint8_t out[CXL_IDENTIFY_LEN];
	size_t out_len = 0, enc;
	uint16_t rc = CXL_MBOX_SUCCESS;

	assert_int_equal(cxl_cci_decode(msg, len, &h, &pl, NULL), 0);
	memset(out, 0, sizeof(out));
	if (h.opcode == CXL_CCI_OP_IDENTIFY) {
		cxl_put_le16(out, 0x8086);
		cxl_put_le16(out + 2, p->other_ids ? 0x0d94 : 0x0d93);
		cxl_put_le64(out + 8, p->serial);
		out[16] = 12;
		out[17] = CXL_CCI_COMPONENT_TYPE3;
		out_len = CXL_CCI_IDENTIFY_LEN;
	} else if (h.opcode == CXL_OP_IDENTIFY) {
		memcpy(out, "fw-1.2", 6);
		cxl_put_le64(out + 0x10, 4); /* 1 GiB in 256 MiB units */
		cxl_put_le64(out + 0x18, 4);
		cxl_put_le32(out + 0x38, 1024);
		out_len = CXL_IDENTIFY_LEN;
	} else {
		rc = CXL_MBOX_UNSUPPORTED;
	}
	h.category = CXL_CCI_CATEGORY_RESPONSE;
	h.rc = rc;
	if (p->mode == M_WRONG_TAG)
		h.tag = (uint8_t)(h.tag + 1);
	assert_int_equal(cxl_cci_encode(&h, out, out_len, p->reply, sizeof(p->reply), &enc), 0);
	p->reply_len = enc;
	if (p->mode == M_TRUNCATED)
		p->reply_len = enc > 20 ? 20 : enc / 2;
	if (p->mode == M_BAD_LENGTH)
		p->reply[6] = (uint8_t)(p->reply[6] + 16);
	if (p->mode == M_JUNK)
		for (size_t i = 1; i < enc; i++)
			p->reply[i] = (uint8_t)(i * 37 + 11);
	p->pending = true;
}

static int f_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		  size_t len)
{
	struct peer *p = peer_of(ctx, peer->eid);
	assert_int_equal(h, peer->eid);
	p->requests++;
	p->pending = false;
	if (p->mode == M_NO_ROUTE)
		return -EHOSTUNREACH; /* AF_MCTP once mctpd dropped the endpoint */
	if (p->mode != M_SILENT)
		answer(p, msg, len);
	return 0;
}

static int f_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf, size_t max,
		  size_t *len, const struct timespec *deadline)
{
	struct peer *p = peer_of(ctx, peer->eid);
	(void)h;
	if (p->pending && p->mode == M_OVERSIZE) {
		p->pending = false;
		return -EMSGSIZE; /* what the seam says of a message over max */
	}
	if (!p->pending && ((struct fake *)ctx)->wait_out && deadline)
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
			;
	if (!p->pending)
		return -ETIMEDOUT;
	p->pending = false;
	assert_true(p->reply_len <= max);
	memcpy(buf, p->reply, p->reply_len);
	*len = p->reply_len;
	return 0;
}

static void f_close(void *ctx, int h)
{
	(void)ctx;
	(void)h;
}

static const struct cxl_mctp_io_ops fake_ops = {
	.open = f_open, .send = f_send, .recv = f_recv, .close = f_close,
};

static struct cxl_backend *make(struct fake *f)
{
	struct cxl_mctp_endpoint_spec s[2];
	struct cxl_backend *be = NULL;
	char why[128], err[256];

	f->p[0].serial = 0x1122334455667700ull;
	f->p[1].serial = 0x1122334455667701ull;
	assert_int_equal(cxl_mctp_endpoint_parse("net=1,eid=8,name=dev0", &s[0], why, sizeof(why)), 0);
	assert_int_equal(cxl_mctp_endpoint_parse("net=1,eid=9,name=dev1,retries=0", &s[1], why,
						 sizeof(why)), 0);
	assert_int_equal(cxl_mctp_backend_new(s, 2, 20, 1, &fake_ops, f, &be, err, sizeof(err)), 0);
	return be;
}

static void test_enumerate(void **state)
{
	struct fake f;
	struct cxl_dev_info info[2];
	struct cxl_backend *be;
	struct cxl_delivery_info d;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.p[1].mode = M_SILENT;
	be = make(&f);
	assert_int_equal(be->ops->enumerate(be, info, 2), 2);
	assert_string_equal(info[0].name, "dev0");
	assert_int_equal(info[0].serial, 0x1122334455667700ull);
	assert_int_equal(info[0].pci_vendor_id, 0x8086);
	assert_int_equal(info[0].pci_device_id, 0x0d93);
	assert_string_equal(info[0].fw_revision, "fw-1.2");
	assert_int_equal(info[0].total_bytes, 1ull << 30);
	assert_int_equal(info[0].lsa_size, 1024);
	assert_int_equal(info[0].payload_max, CXL_MCTP_BACKEND_PAYLOAD);
	/* a silent endpoint is kept by its name, nothing invented */
	assert_string_equal(info[1].name, "dev1");
	assert_int_equal(info[1].serial, 0);
	assert_int_equal(info[1].total_bytes, 0);
	/* one attempt (retries=0), and no memory-device Identify after silence */
	assert_int_equal(f.p[1].requests, 1);
	be->ops->delivery(be, 0, 0xC000, &d);
	assert_ptr_equal(d.path, &cxl_mctp_path);
	assert_true(d.path->agent_reads);
	be->ops->free(be);
}

static int run(struct cxl_backend *be, size_t idx, uint16_t *rc, size_t *len)
{
	uint8_t out[CXL_IDENTIFY_LEN];
	struct timespec dl;
	clock_deadline_ms(&dl, 200);
	return be->ops->submit(be, idx, CXL_OP_IDENTIFY, NULL, 0, out, sizeof(out), len, rc, &dl);
}

static void test_hostile_replies(void **state)
{
	static const enum mode bad[] = { M_WRONG_TAG, M_TRUNCATED, M_OVERSIZE, M_BAD_LENGTH,
					 M_JUNK };
	struct fake f;
	struct cxl_backend *be;
	uint16_t rc;
	size_t len;
	(void)state;

	memset(&f, 0, sizeof(f));
	be = make(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.p[0].mode = bad[i];
		len = 99;
		/* a reply came, but none valid: a protocol error, never "gone" */
		assert_int_equal(run(be, 0, &rc, &len), -EPROTO);
		assert_int_equal(len, 0);
		/* the other endpoint is untouched */
		assert_int_equal(run(be, 1, &rc, &len), 0);
		assert_int_equal(len, CXL_IDENTIFY_LEN);
	}
	f.p[0].mode = M_OK;
	assert_int_equal(run(be, 0, &rc, &len), 0);
	assert_int_equal(rc, CXL_MBOX_SUCCESS);
	assert_int_equal(be->ops->submit(be, 7, CXL_OP_IDENTIFY, NULL, 0, NULL, 0, &len, &rc, NULL),
			 -ENODEV);
	be->ops->free(be);
}

static void test_silence_is_timeout_then_gone(void **state)
{
	struct fake f;
	struct cxl_backend *be;
	uint16_t rc;
	size_t len;
	(void)state;

	memset(&f, 0, sizeof(f));
	be = make(&f);
	f.p[0].mode = M_SILENT;
	assert_int_equal(run(be, 0, &rc, &len), -ETIMEDOUT);
	assert_int_equal(run(be, 0, &rc, &len), -ENODEV);
	assert_int_equal(run(be, 0, &rc, &len), -ENODEV);
	/* a bad answer is still an answer: the count starts again */
	f.p[0].mode = M_JUNK;
	assert_int_equal(run(be, 0, &rc, &len), -EPROTO);
	f.p[0].mode = M_SILENT;
	assert_int_equal(run(be, 0, &rc, &len), -ETIMEDOUT);
	be->ops->free(be);
}

/* Through the device set: an endpoint that goes unanswered (mode: silent,
 * or no route to it) is absent after two commands, the first failing with
 * first_err; the refresh keeps asking while it stays so, and an answer
 * brings it back. The other device stays present throughout. */
static void absent_then_back(int mode, int first_err)
{
	struct fake f;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 100, .event_ring_size = 8,
					 .default_timeout_ms = 100 };
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY, .timeout_ms = 100 };
	struct cxl_cmd_result res;
	char err[256];

	memset(&f, 0, sizeof(f));
	assert_int_equal(cxl_devset_open_backend(&cfg, make(&f), &set, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_count(set), 2);
	assert_int_equal(cxl_devset_find(set, "1122334455667700"), 0);
	f.p[0].mode = mode;
	for (int i = 0; i < 2; i++) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(cxl_devset_submit(set, 0, &cmd, &res), 0);
		assert_int_equal(res.transport, i == 0 ? first_err : -ENODEV);
		cxl_cmd_result_clear(&res);
	}
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
	assert_int_equal(cxl_devset_info(set, 1, &info), 0);
	assert_true(info.present);
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
	f.p[0].mode = M_OK;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_true(info.present);
	assert_int_equal(info.total_bytes, 1ull << 30);
	cxl_devset_free(set);
}

static void test_absent_and_back(void **state)
{
	(void)state;
	absent_then_back(M_SILENT, -ETIMEDOUT);
}

/* The platform's word that an endpoint left (mctpd drops a removed
 * endpoint's route) counts as silence does. */
static void test_no_route_is_gone(void **state)
{
	(void)state;
	absent_then_back(M_NO_ROUTE, -EHOSTUNREACH);
}

/* Make device 0 of set absent: two commands in a row unanswered. */
static void silence(struct cxl_devset *set, struct fake *f)
{
	struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY, .timeout_ms = 100 };
	struct cxl_cmd_result res;
	struct cxl_dev_info info;

	f->p[0].mode = M_SILENT;
	for (int i = 0; i < 2; i++) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(cxl_devset_submit(set, 0, &cmd, &res), 0);
		cxl_cmd_result_clear(&res);
	}
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
}

/* Another device answering at the endpoint of an absent one (a hot swap on
 * the BMC's bus) is not taken for it: the id, its serial and what was
 * approved for that serial belong to the device that left. Only the device
 * itself brings the slot back. */
static void test_replaced_stays_absent(void **state)
{
	struct fake f;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 100, .event_ring_size = 8,
					 .default_timeout_ms = 100 };
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY, .timeout_ms = 100 };
	struct cxl_cmd_result res;
	char err[256];
	(void)state;

	memset(&f, 0, sizeof(f));
	assert_int_equal(cxl_devset_open_backend(&cfg, make(&f), &set, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_find(set, "1122334455667700"), 0);
	silence(set, &f);
	f.p[0].mode = M_OK;
	f.p[0].serial = 0x99887766554433aaull;
	for (int round = 0; round < 2; round++) {
		assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
		assert_int_equal(cxl_devset_info(set, 0, &info), 0);
		assert_false(info.present);
		assert_int_equal(info.serial, 0x1122334455667700ull);
	}
	memset(&res, 0, sizeof(res));
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &res), 0);
	assert_int_equal(res.transport, -ENODEV);
	cxl_cmd_result_clear(&res);
	/* the same serial but other PCI ids is another device too */
	f.p[0].serial = 0x1122334455667700ull;
	f.p[0].other_ids = true;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
	/* the device itself back at its endpoint */
	f.p[0].other_ids = false;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_true(info.present);
	assert_int_equal(info.serial, 0x1122334455667700ull);
	memset(&res, 0, sizeof(res));
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &res), 0);
	assert_int_equal(res.transport, 0);
	assert_int_equal(res.mbox_rc, CXL_MBOX_SUCCESS);
	cxl_cmd_result_clear(&res);
	cxl_devset_free(set);
}

/* An endpoint silent at start is kept by its name with no identity; when it
 * first answers it takes the serial and PCI ids it answers with, so the
 * catalogue's device match can apply to it. */
static void test_silent_at_start_identified_when_back(void **state)
{
	struct fake f;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 100, .event_ring_size = 8,
					 .default_timeout_ms = 100 };
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	uint64_t gen;
	char err[256];
	(void)state;

	memset(&f, 0, sizeof(f));
	f.p[0].mode = M_SILENT;
	assert_int_equal(cxl_devset_open_backend(&cfg, make(&f), &set, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_find(set, "dev0"), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
	assert_int_equal(info.serial, 0);
	gen = info.generation;
	f.p[0].mode = M_OK;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_true(info.present);
	assert_true(info.generation > gen);
	assert_int_equal(info.serial, 0x1122334455667700ull);
	assert_int_equal(info.pci_vendor_id, 0x8086);
	assert_int_equal(info.pci_device_id, 0x0d93);
	assert_string_equal(info.id, "dev0"); /* ids never change while running */
	cxl_devset_free(set);
}

/* Endpoints are identified at the same time: eight that do not answer at
 * start cost it one timeout, not eight (2.4 s one after another here). */
static void test_silent_at_start_together(void **state)
{
	struct fake f;
	struct cxl_mctp_endpoint_spec s[PEERS];
	struct cxl_dev_info info[PEERS];
	struct cxl_backend *be = NULL;
	struct timespec t0, t1;
	char spec[64], why[128], err[256];
	double took;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.wait_out = true;
	for (int i = 0; i < PEERS; i++) {
		f.p[i].mode = M_SILENT;
		snprintf(spec, sizeof(spec), "net=1,eid=%d,name=dev%d,timeout_ms=300,retries=0",
			 8 + i, i);
		assert_int_equal(cxl_mctp_endpoint_parse(spec, &s[i], why, sizeof(why)), 0);
	}
	assert_int_equal(cxl_mctp_backend_new(s, PEERS, 300, 0, &fake_ops, &f, &be, err,
					      sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(be->ops->enumerate(be, info, PEERS), PEERS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (int i = 0; i < PEERS; i++) {
		assert_int_equal(f.p[i].requests, 1); /* asked once, Generic Identify */
		assert_int_equal(info[i].serial, 0); /* kept by name */
		snprintf(spec, sizeof(spec), "dev%d", i);
		assert_string_equal(info[i].name, spec);
	}
	/* one timeout, with room for a loaded machine */
	assert_true(took < 1.2);
	be->ops->free(be);
}

static void test_endpoint_syntax(void **state)
{
	static const char *const good[] = { "net=1,eid=8,name=dev0", "eid=0x10",
					    "serial:/dev/pts/3", "serial:/dev/ttyS1,eid=20,local=21",
					    "net=4294967295,eid=254,timeout_ms=10,retries=7" };
	static const char *const bad[] = { "", "net=1", "eid=7", "eid=255", "eid=-8", "eid=8,",
					   "eid=8,x", "eid=8,name=", "net=1,eid=8,name=a/b",
					   "serial:", "serial:rel", "serial:/dev/x,net=1",
					   "serial:/dev/x,local=8", "eid=8,timeout_ms=9",
					   "eid=8,retries=8", "net=4294967296,eid=8", "eid=08x" };
	struct cxl_mctp_endpoint_spec s;
	char why[128];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cxl_mctp_endpoint_parse(good[i], &s, why, sizeof(why)))
			fail_msg("%s refused: %s", good[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (cxl_mctp_endpoint_parse(bad[i], &s, why, sizeof(why)) != -EINVAL || !why[0])
			fail_msg("%s accepted or without a reason", bad[i]);
	}
	assert_int_equal(cxl_mctp_endpoint_parse("serial:/dev/pts/3,name=a", &s, why, sizeof(why)),
			 0);
	assert_string_equal(s.serial_path, "/dev/pts/3");
	assert_int_equal(s.eid, 8);
	assert_int_equal(s.local_eid, 9);
	assert_int_equal(s.retries, -1);
	assert_int_equal(cxl_mctp_endpoint_parse("net=2,eid=30", &s, why, sizeof(why)), 0);
	assert_string_equal(s.name, "mctp-2-30");
	assert_string_equal(s.serial_path, "");
}

/* The kernel's AF_MCTP wants CAP_NET_RAW on every send; serial lines do not. */
static void test_need_net_raw(void **state)
{
	static const char *const serial[] = { "serial:/dev/pts/3", "serial:/dev/ttyS1,eid=20" };
	static const char *const mixed[] = { "serial:/dev/pts/3", "net=1,eid=8" };
	static const char *const broken[] = { "serial:" };
	(void)state;

	assert_false(cxl_mctp_endpoints_need_net_raw(serial, 0));
	assert_false(cxl_mctp_endpoints_need_net_raw(serial, 2));
	assert_true(cxl_mctp_endpoints_need_net_raw(mixed, 2));
	assert_true(cxl_mctp_endpoints_need_net_raw(mixed + 1, 1));
	assert_true(cxl_mctp_endpoints_need_net_raw(broken, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumerate),
		cmocka_unit_test(test_hostile_replies),
		cmocka_unit_test(test_silence_is_timeout_then_gone),
		cmocka_unit_test(test_absent_and_back),
		cmocka_unit_test(test_no_route_is_gone),
		cmocka_unit_test(test_replaced_stays_absent),
		cmocka_unit_test(test_silent_at_start_identified_when_back),
		cmocka_unit_test(test_silent_at_start_together),
		cmocka_unit_test(test_endpoint_syntax),
		cmocka_unit_test(test_need_net_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
