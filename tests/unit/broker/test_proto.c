/* The broker protocol: every message type survives encode and decode field
 * for field; every truncation, a trailing byte, another version, an unknown
 * type and each out-of-range value are refused; what cannot be said is
 * refused at encoding; and with every allocation failing in turn nothing
 * crashes or leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/proto.h"
#include "cxl/backend.h"
#include "support/alloc_fail.h"
#include "util/fileio.h"

static const struct cxl_delivery_path *some_path(void)
{
	size_t n;
	const struct cxl_backend_desc *const *t = cxl_backend_table(&n);
	for (size_t i = 0; i < n; i++)
		if (t[i]->paths && t[i]->paths[0])
			return t[i]->paths[0];
	return NULL;
}

static void fill_device(struct broker_msg *m, struct cxl_cel_entry *cel, size_t ncel,
			struct broker_delivery *dl, size_t ndl)
{
	memset(m, 0, sizeof(*m));
	m->type = BROKER_MSG_DEVICE;
	m->u.device.idx = 1;
	snprintf(m->u.device.info.id, sizeof(m->u.device.info.id), "0000000000c0ffee");
	snprintf(m->u.device.info.name, sizeof(m->u.device.info.name), "mem1");
	snprintf(m->u.device.info.fw_revision, sizeof(m->u.device.info.fw_revision), "1.2.3");
	m->u.device.info.serial = 0xc0ffee;
	m->u.device.info.total_bytes = 1ull << 40;
	m->u.device.info.numa_node = -1;
	m->u.device.info.present = true;
	m->u.device.info.has_timestamp = true;
	m->u.device.info.device_timestamp_ns = 1700000000123456789ull;
	m->u.device.info.generation = 7;
	m->u.device.info.read_at.tv_sec = 1700000000;
	m->u.device.info.read_at.tv_nsec = 999999999;
	m->u.device.health.valid = true;
	m->u.device.health.temperature_c = -12;
	m->u.device.health.dirty_shutdowns = 3;
	m->u.device.mailbox_count = 42;
	m->u.device.has_host = true;
	m->u.device.host.raw = CXL_RAW_USED;
	m->u.device.host.taint = 0x2000;
	m->u.device.cel.entries = cel;
	m->u.device.cel.count = ncel;
	m->u.device.delivery = dl;
	m->u.device.ndelivery = ndl;
}

static void roundtrip(const struct broker_msg *in, struct broker_msg *out, uint8_t **buf)
{
	size_t len;
	assert_int_equal(broker_msg_encode(in, buf, &len), 0);
	assert_int_equal(broker_msg_decode(*buf, len, out), 0);
	assert_int_equal(out->type, in->type);
	assert_int_equal(out->id, in->id);
}

static void test_device_roundtrip(void **state)
{
	struct cxl_cel_entry cel[3] = { { 0x0001, 0 }, { 0x4000, 0x2 }, { 0xc000, 0x40 } };
	struct broker_delivery dl[2] = { { 0x4000, NULL, "" }, { 0xc000, NULL, "no path" } };
	struct broker_msg in, out;
	uint8_t *buf;

	(void)state;
	dl[0].path = some_path();
	assert_non_null(dl[0].path);
	fill_device(&in, cel, 3, dl, 2);
	roundtrip(&in, &out, &buf);
	assert_memory_equal(&out.u.device.info, &in.u.device.info, sizeof(in.u.device.info));
	assert_memory_equal(&out.u.device.health, &in.u.device.health,
			    sizeof(in.u.device.health));
	assert_int_equal(out.u.device.mailbox_count, 42);
	assert_true(out.u.device.has_host);
	assert_memory_equal(&out.u.device.host, &in.u.device.host, sizeof(in.u.device.host));
	assert_int_equal(out.u.device.cel.count, 3);
	assert_memory_equal(out.u.device.cel.entries, cel, sizeof(cel));
	assert_int_equal(out.u.device.ndelivery, 2);
	assert_ptr_equal(out.u.device.delivery[0].path, dl[0].path);
	assert_null(out.u.device.delivery[1].path);
	assert_string_equal(out.u.device.delivery[1].reason, "no path");
	broker_msg_release(&out);
	free(buf);
}

/* The largest snapshot the device set can produce (a full CEL, a full
 * delivery table with the longest reasons) fits one message. */
static void test_device_largest(void **state)
{
	struct cxl_cel_entry *cel = calloc(CXL_CEL_MAX_ENTRIES, sizeof(*cel));
	struct broker_delivery *dl = calloc(BROKER_DELIVERY_MAX, sizeof(*dl));
	struct broker_msg in, out;
	uint8_t *buf;

	(void)state;
	assert_non_null(cel);
	assert_non_null(dl);
	for (size_t i = 0; i < CXL_CEL_MAX_ENTRIES; i++)
		cel[i] = (struct cxl_cel_entry){ (uint16_t)i, 0x0fff };
	for (size_t i = 0; i < BROKER_DELIVERY_MAX; i++) {
		dl[i].opcode = (uint16_t)i;
		memset(dl[i].reason, 'r', sizeof(dl[i].reason) - 1);
	}
	fill_device(&in, cel, CXL_CEL_MAX_ENTRIES, dl, BROKER_DELIVERY_MAX);
	roundtrip(&in, &out, &buf);
	assert_int_equal(out.u.device.cel.count, CXL_CEL_MAX_ENTRIES);
	assert_int_equal(out.u.device.ndelivery, BROKER_DELIVERY_MAX);
	broker_msg_release(&out);
	free(buf);
	free(cel);
	free(dl);
}

static void test_submit_roundtrip(void **state)
{
	static const uint8_t payload[] = { 1, 2, 3, 0, 5 };
	struct broker_msg in = { .type = BROKER_MSG_SUBMIT, .id = 77 }, out;
	uint8_t *buf;

	(void)state;
	in.u.submit.method = AUTH_SESSION;
	snprintf(in.u.submit.user, sizeof(in.u.submit.user), "operator");
	in.u.submit.privileges = PRIV_LOGIN | PRIV_CXL_COMMAND_READ;
	snprintf(in.u.submit.peer, sizeof(in.u.submit.peer), "::1");
	in.u.submit.device = 2;
	snprintf(in.u.submit.device_id, sizeof(in.u.submit.device_id), "dev");
	snprintf(in.u.submit.command_id, sizeof(in.u.submit.command_id), "emu-read-telemetry");
	in.u.submit.timeout_ms = 1500;
	in.u.submit.payload = payload;
	in.u.submit.payload_len = sizeof(payload);
	roundtrip(&in, &out, &buf);
	assert_int_equal(out.u.submit.method, AUTH_SESSION);
	assert_string_equal(out.u.submit.user, "operator");
	assert_int_equal(out.u.submit.privileges, in.u.submit.privileges);
	assert_string_equal(out.u.submit.peer, "::1");
	assert_int_equal(out.u.submit.device, 2);
	assert_string_equal(out.u.submit.command_id, "emu-read-telemetry");
	assert_int_equal(out.u.submit.timeout_ms, 1500);
	assert_int_equal(out.u.submit.payload_len, sizeof(payload));
	assert_memory_equal(out.u.submit.payload, payload, sizeof(payload));
	/* borrowed from the datagram */
	assert_true(out.u.submit.payload > buf && out.u.submit.payload < buf + 4096);
	broker_msg_release(&out);
	free(buf);
}

static void test_submit_reply_roundtrip(void **state)
{
	static const uint8_t reply[] = { 9, 8, 7 };
	struct broker_msg in = { .type = BROKER_MSG_SUBMIT_REPLY, .id = 78 }, out;
	uint8_t *buf;

	(void)state;
	in.u.submit_reply.stage = 3;
	in.u.submit_reply.decision.reason = POLICY_DENY_PAYLOAD_TOO_LARGE;
	in.u.submit_reply.decision.scope = POLICY_SCOPE_WRITE_FULL;
	in.u.submit_reply.decision.required = PRIV_CXL_COMMAND_WRITE_FULL;
	snprintf(in.u.submit_reply.decision.detail, sizeof(in.u.submit_reply.decision.detail),
		 "too large");
	snprintf(in.u.submit_reply.audit_id, sizeof(in.u.submit_reply.audit_id), "a-17");
	in.u.submit_reply.transport = -ETIMEDOUT;
	in.u.submit_reply.mbox_rc = 0x15;
	in.u.submit_reply.duration_us = 123456;
	in.u.submit_reply.audit_us = 321;
	in.u.submit_reply.out = reply;
	in.u.submit_reply.out_len = sizeof(reply);
	roundtrip(&in, &out, &buf);
	assert_int_equal(out.u.submit_reply.stage, 3);
	assert_int_equal(out.u.submit_reply.decision.reason, POLICY_DENY_PAYLOAD_TOO_LARGE);
	assert_int_equal(out.u.submit_reply.decision.scope, POLICY_SCOPE_WRITE_FULL);
	assert_string_equal(out.u.submit_reply.decision.detail, "too large");
	assert_string_equal(out.u.submit_reply.audit_id, "a-17");
	assert_int_equal(out.u.submit_reply.transport, -ETIMEDOUT);
	assert_int_equal(out.u.submit_reply.mbox_rc, 0x15);
	assert_int_equal(out.u.submit_reply.duration_us, 123456);
	assert_int_equal(out.u.submit_reply.audit_us, 321);
	assert_memory_equal(out.u.submit_reply.out, reply, sizeof(reply));
	free(buf);
}

static void test_small_messages_roundtrip(void **state)
{
	struct broker_msg in, out;
	uint8_t *buf;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_HELLO;
	in.u.hello.version = BROKER_PROTO_VERSION;
	in.u.hello.ndevices = 2;
	in.u.hello.ring_size = 256;
	snprintf(in.u.hello.backend, sizeof(in.u.hello.backend), "emulated");
	in.u.hello.has_host = true;
	in.u.hello.host.raw = CXL_RAW_USED;
	in.u.hello.host.taint = 0x400;
	snprintf(in.u.hello.host.taint_flags, sizeof(in.u.hello.host.taint_flags), "O");
	in.u.hello.host.events = CXL_EVENTS_DRIVER_TRACE;
	snprintf(in.u.hello.host.events_note, sizeof(in.u.hello.host.events_note),
		 "trace instance cxl-agent");
	roundtrip(&in, &out, &buf);
	assert_memory_equal(&out.u.hello, &in.u.hello, sizeof(in.u.hello));
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_EVENTS;
	in.u.events.idx = 1;
	in.u.events.count = 2;
	in.u.events.ev[0].seq = 5;
	in.u.events.ev[1].seq = 6;
	in.u.events.ev[1].log = CXL_EVENT_LOG_FATAL;
	in.u.events.ev[1].data[0x4f] = 0xaa;
	in.u.events.ev[1].data_len = 0x50;
	in.u.events.ev[0].source = CXL_EVENT_SOURCE_KERNEL_TRACE;
	snprintf(in.u.events.ev[0].detail, sizeof(in.u.events.ev[0].detail),
		 "cxl_general_media: dpa=0x1000 descriptor='UNCORRECTABLE_EVENT'");
	roundtrip(&in, &out, &buf);
	assert_memory_equal(&out.u.events, &in.u.events, sizeof(in.u.events));
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_BG_CLOSE;
	in.id = 9;
	snprintf(in.u.bg_close.intent, sizeof(in.u.bg_close.intent), "x-1");
	in.u.bg_close.kind = BROKER_BG_ABANDONED;
	in.u.bg_close.transport = -ENODEV;
	roundtrip(&in, &out, &buf);
	assert_memory_equal(&out.u.bg_close, &in.u.bg_close, sizeof(in.u.bg_close));
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_AUDIT_READ_REPLY;
	in.u.audit_text.total = 1000;
	in.u.audit_text.json = "[{}]";
	in.u.audit_text.json_len = 4;
	roundtrip(&in, &out, &buf);
	assert_int_equal(out.u.audit_text.total, 1000);
	assert_int_equal(out.u.audit_text.json_len, 4);
	assert_memory_equal(out.u.audit_text.json, "[{}]", 4);
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_CATALOGUE_FAILED;
	snprintf(in.u.catalogue_failed.reason, sizeof(in.u.catalogue_failed.reason),
		 "/etc/cxl-agent/policy.json:3:7: unknown key");
	roundtrip(&in, &out, &buf);
	assert_string_equal(out.u.catalogue_failed.reason, in.u.catalogue_failed.reason);
	assert_false(broker_msg_is_request(BROKER_MSG_CATALOGUE_FAILED));
	free(buf);

	/* a start that failed travels with its errno and reason */
	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_READY;
	in.u.ready.error = EADDRINUSE;
	snprintf(in.u.ready.reason, sizeof(in.u.ready.reason),
		 "cannot listen on 127.0.0.1 port 8443: Address already in use");
	roundtrip(&in, &out, &buf);
	assert_int_equal(out.u.ready.error, EADDRINUSE);
	assert_string_equal(out.u.ready.reason, in.u.ready.reason);
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_AUDIT_STATUS_REPLY;
	snprintf(in.u.audit_status.head, sizeof(in.u.audit_status.head), "%064d", 0);
	snprintf(in.u.audit_status.message, sizeof(in.u.audit_status.message), "ok");
	roundtrip(&in, &out, &buf);
	assert_memory_equal(&out.u.audit_status, &in.u.audit_status, sizeof(in.u.audit_status));
	free(buf);
}

/* Every prefix of a valid datagram is refused, and so is one byte more. */
static void test_truncation_and_trailing(void **state)
{
	struct cxl_cel_entry cel[2] = { { 0x4000, 0 }, { 0x4001, 2 } };
	struct broker_delivery dl[1] = { { 0x4000, NULL, "why" } };
	struct broker_msg in, out;
	uint8_t *buf, *longer;
	size_t len;

	(void)state;
	fill_device(&in, cel, 2, dl, 1);
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	for (size_t n = 0; n < len; n++)
		assert_int_equal(broker_msg_decode(buf, n, &out), -EPROTO);
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(broker_msg_decode(longer, len + 1, &out), -EPROTO);
	assert_int_equal(broker_msg_decode(longer, len, &out), 0);
	broker_msg_release(&out);
	free(longer);
	free(buf);
}

static void test_header_refusals(void **state)
{
	struct broker_msg in = { .type = BROKER_MSG_AUDIT_STATUS, .id = 1 }, out;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	assert_int_equal(len, BROKER_HEADER_LEN);
	assert_int_equal(broker_msg_decode(buf, len, &out), 0);
	buf[0] = BROKER_PROTO_VERSION + 1; /* another version */
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	buf[0] = BROKER_PROTO_VERSION;
	buf[2] = 0xee; /* an unknown type */
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	buf[2] = 0;
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	assert_int_equal(broker_msg_decode(NULL, 0, &out), -EPROTO);
	free(buf);

	in.type = 0x7777;
	assert_int_equal(broker_msg_encode(&in, &buf, &len), -EINVAL);
	assert_null(buf);
}

/* Values the receiver could misread are refused: an enum past its range,
 * a string with a NUL inside, a length past the datagram, a CEL count the
 * datagram cannot hold, a delivery path that is no backend's. */
static void test_value_refusals(void **state)
{
	struct broker_msg in = { .type = BROKER_MSG_SUBMIT_REPLY }, out;
	struct cxl_cel_entry cel[1] = { { 0x4000, 0 } };
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	buf[BROKER_HEADER_LEN + 5] = POLICY_REASON_COUNT; /* the reason byte */
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	free(buf);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_AUDIT_FIND;
	snprintf(in.u.audit_find.id, sizeof(in.u.audit_find.id), "abc");
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	buf[len - 2] = '\0'; /* "a\0c" */
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	buf[len - 2] = 'b';
	buf[BROKER_HEADER_LEN] = 200; /* length past the datagram */
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	free(buf);

	fill_device(&in, cel, 1, NULL, 0);
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	/* the CEL count sits 4 + 4 + 2 bytes before the end (count, one entry,
	 * delivery count) */
	buf[len - 12] = 0xff;
	buf[len - 11] = 0xff;
	assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
	free(buf);

	{
		struct broker_delivery dl[1] = { { 0x4000, NULL, "" } };
		fill_device(&in, NULL, 0, dl, 1);
		dl[0].path = some_path();
		assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
		/* delivery entry: opcode (2), row (1), index (1), reason (4) */
		buf[len - 6] = 0x7f;
		assert_int_equal(broker_msg_decode(buf, len, &out), -EPROTO);
		free(buf);
	}
}

static void test_encode_refusals(void **state)
{
	static const struct cxl_delivery_path stray = { "Stray", "not in the table", true };
	struct broker_delivery dl[1] = { { 0x4000, &stray, "" } };
	struct broker_msg in = { .type = BROKER_MSG_SUBMIT };
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(in.u.submit.user, 'u', sizeof(in.u.submit.user)); /* fills it exactly */
	in.u.submit.user[sizeof(in.u.submit.user) - 1] = '\0';
	assert_int_equal(broker_msg_encode(&in, &buf, &len), 0);
	free(buf);
	in.u.submit.payload_len = BROKER_MSG_MAX;
	in.u.submit.payload = calloc(1, BROKER_MSG_MAX);
	assert_int_equal(broker_msg_encode(&in, &buf, &len), -EMSGSIZE);
	free((void *)in.u.submit.payload);

	fill_device(&in, NULL, 0, dl, 1);
	assert_int_equal(broker_msg_encode(&in, &buf, &len), -EINVAL);

	memset(&in, 0, sizeof(in));
	in.type = BROKER_MSG_EVENTS;
	in.u.events.count = BROKER_EVENTS_MAX + 1;
	assert_int_equal(broker_msg_encode(&in, &buf, &len), -EINVAL);
}

static void test_request_table(void **state)
{
	(void)state;
	assert_true(broker_msg_is_request(BROKER_MSG_SUBMIT));
	assert_int_equal(broker_msg_reply_type(BROKER_MSG_SUBMIT), BROKER_MSG_SUBMIT_REPLY);
	assert_true(broker_msg_is_request(BROKER_MSG_AUDIT_STATUS));
	/* pushes and replies are not requests: the broker refuses them */
	assert_false(broker_msg_is_request(BROKER_MSG_HELLO));
	assert_false(broker_msg_is_request(BROKER_MSG_DEVICE));
	assert_false(broker_msg_is_request(BROKER_MSG_SUBMIT_REPLY));
	assert_false(broker_msg_is_request(0));
	assert_string_equal(broker_msg_name(BROKER_MSG_BG_POLL), "bg-poll");
	/* the front's readiness is a request: the broker answers once it told systemd */
	assert_int_equal(broker_msg_reply_type(BROKER_MSG_READY), BROKER_MSG_READY_REPLY);
	assert_false(broker_msg_is_request(BROKER_MSG_READY_REPLY));
	assert_string_equal(broker_msg_name(999), "unknown");
}

struct alloc_run {
	struct cxl_cel_entry cel[4];
	struct broker_delivery dl[2];
	size_t ncel;
};

static int encode_decode(void *arg)
{
	struct alloc_run *r = arg;
	struct broker_msg in, out;
	uint8_t *buf;
	size_t len;
	int rc;

	fill_device(&in, r->cel, 4, r->dl, 2);
	if ((rc = broker_msg_encode(&in, &buf, &len)))
		return rc;
	rc = broker_msg_decode(buf, len, &out);
	free(buf);
	if (rc)
		return rc;
	r->ncel = out.u.device.cel.count;
	broker_msg_release(&out);
	return 0;
}

static void alloc_check(void *arg, int rc, bool failed)
{
	(void)arg;
	if (failed)
		assert_true(rc == 0 || rc == -ENOMEM);
	else
		assert_int_equal(rc, 0);
}

static void test_every_allocation_fails(void **state)
{
	struct alloc_run r = { .cel = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } } };

	(void)state;
	r.dl[0].path = some_path();
	assert_true(alloc_fail_each(encode_decode, alloc_check, &r, 1000) >= 3);
	assert_int_equal(r.ncel, 4);
}

/* The fuzz target's committed seeds are valid messages, so fuzzing starts
 * past the header checks. */
static void test_fuzz_seeds_decode(void **state)
{
	static const char *const seeds[] = { "hello", "device", "submit", "bg-poll",
					     "audit-read", "audit-status" };
	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[512], *text = NULL;
		struct broker_msg m;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/tests/fuzz/broker/seeds/%s",
			 getenv("CXLA_SOURCE_DIR"), seeds[i]);
		assert_int_equal(file_read_all(path, 1 << 16, &text, &len), 0);
		assert_int_equal(broker_msg_decode((const uint8_t *)text, len, &m), 0);
		assert_string_equal(broker_msg_name(m.type), seeds[i]);
		broker_msg_release(&m);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_roundtrip),
		cmocka_unit_test(test_device_largest),
		cmocka_unit_test(test_submit_roundtrip),
		cmocka_unit_test(test_submit_reply_roundtrip),
		cmocka_unit_test(test_small_messages_roundtrip),
		cmocka_unit_test(test_truncation_and_trailing),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_value_refusals),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_every_allocation_fails),
		cmocka_unit_test(test_fuzz_seeds_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
