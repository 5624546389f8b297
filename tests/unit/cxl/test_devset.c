/* The generic device set over a scripted test-double backend: CEL read in
 * payload-sized chunks, cache refresh and generation, event ring, and the
 * locking contract (a slow command on one device stalls neither the other
 * device nor cached reads), the latter also with the emulated backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emu_hooks.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "support/tmpdir.h"
#include "util/log.h"

#define DBL_PAYLOAD 256u
#define DBL_CEL_ENTRIES 200u

struct dbl {
	struct cxl_backend be;
	/* knobs */
	bool short_log;
	char fw[17];
	int temperature;
	int pending_events;
	unsigned slow_ms; /* sleep in 0xC000 */
	/* records */
	int getlog_calls;
	uint32_t getlog_off[16], getlog_len[16];
	_Atomic int identify_calls;
	uint16_t next_handle;
	uint16_t queue[64];
	int qlen;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint16_t cel_op(size_t i)
{
	static const uint16_t std[] = { 0x4000, 0x4100, 0x4200, 0x0100, 0x0101 };
	return i < 5 ? std[i] : (uint16_t)(0xC000 + i);
}

static int dbl_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	(void)be;
	assert_true(max >= 2);
	memset(info, 0, 2 * sizeof(*info));
	snprintf(info[0].name, sizeof(info[0].name), "dbl0");
	info[0].serial = 0xABCDEF;
	info[0].payload_max = DBL_PAYLOAD;
	snprintf(info[1].name, sizeof(info[1].name), "dbl1");
	info[1].payload_max = DBL_PAYLOAD;
	return 2;
}

static int dbl_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct dbl *d = (struct dbl *)be;
	(void)deadline;
	assert_true(out_max >= DBL_PAYLOAD);
	*mbox_rc = 0;
	*out_len = 0;
	if (idx == 1 && opcode != 0xC000)
		return -ENOTTY; /* the second device answers nothing but C000h */
	switch (opcode) {
	case CXL_OP_GET_SUPPORTED_LOGS:
		memset(out, 0, 28);
		cxl_put_le16(out, 1);
		memcpy(out + 8, cxl_log_uuid_cel, 16);
		cxl_put_le32(out + 24, DBL_CEL_ENTRIES * 4);
		*out_len = 28;
		return 0;
	case CXL_OP_GET_LOG: {
		uint32_t off = cxl_get_le32(in + 16), len = cxl_get_le32(in + 20);
		assert_int_equal(in_len, CXL_GET_LOG_IN_LEN);
		assert_true(len <= DBL_PAYLOAD);
		assert_true(d->getlog_calls < 16);
		d->getlog_off[d->getlog_calls] = off;
		d->getlog_len[d->getlog_calls++] = len;
		for (uint32_t i = 0; i < len; i++) {
			size_t pos = off + i, e = pos / 4;
			uint16_t v = pos % 4 < 2 ? cel_op(e) : (uint16_t)(e & 0x3F);
			out[i] = (uint8_t)(pos % 2 ? v >> 8 : v);
		}
		*out_len = d->short_log ? len - 4 : len;
		return 0;
	}
	case CXL_OP_IDENTIFY:
		d->identify_calls++;
		memset(out, 0, CXL_IDENTIFY_LEN);
		memcpy(out, d->fw, strlen(d->fw));
		out[0x10] = 4;
		out[0x18] = 4;
		*out_len = CXL_IDENTIFY_LEN;
		return 0;
	case CXL_OP_GET_PARTITION_INFO:
		memset(out, 0, CXL_PARTITION_INFO_LEN);
		out[0] = 4;
		*out_len = CXL_PARTITION_INFO_LEN;
		return 0;
	case CXL_OP_GET_HEALTH_INFO:
		memset(out, 0, CXL_HEALTH_INFO_LEN);
		out[3] = 7;
		cxl_put_le16(out + 4, (uint16_t)d->temperature);
		*out_len = CXL_HEALTH_INFO_LEN;
		return 0;
	case CXL_OP_GET_EVENT_RECORDS:
		memset(out, 0, CXL_EVENT_HDR_LEN + CXL_EVENT_RECORD_LEN);
		if (in[0] != CXL_EVENT_LOG_INFO)
			*out_len = CXL_EVENT_HDR_LEN;
		else {
			while (d->pending_events > 0 && d->qlen < 64) {
				d->queue[d->qlen++] = ++d->next_handle;
				d->pending_events--;
			}
			if (d->qlen) { /* one record per page in a 256-byte mailbox */
				out[0] = d->qlen > 1 ? CXL_EVENT_FLAG_MORE : 0;
				cxl_put_le16(out + 0x14, 1);
				cxl_put_le16(out + CXL_EVENT_HDR_LEN + 0x14, d->queue[0]);
				out[CXL_EVENT_HDR_LEN + 0x30] = (uint8_t)d->queue[0];
				*out_len = CXL_EVENT_HDR_LEN + CXL_EVENT_RECORD_LEN;
			} else {
				*out_len = CXL_EVENT_HDR_LEN;
			}
		}
		return 0;
	case CXL_OP_CLEAR_EVENT_RECORDS:
		assert_int_equal(in[0], CXL_EVENT_LOG_INFO);
		assert_int_equal(in_len, 6 + 2 * in[2]);
		for (int i = 0; i < in[2]; i++) {
			assert_true(d->qlen > 0);
			assert_int_equal(cxl_get_le16(in + 6 + 2 * i), d->queue[0]);
			memmove(d->queue, d->queue + 1, (size_t)--d->qlen * sizeof(d->queue[0]));
		}
		return 0;
	case 0xC000:
		if (d->slow_ms)
			sleep_ms(d->slow_ms);
		out[0] = 0x42;
		*out_len = 1;
		return 0;
	default:
		*mbox_rc = CXL_MBOX_UNSUPPORTED;
		return 0;
	}
}

static const struct cxl_delivery_path dbl_path = {
	.method = "Double",
	.description = "the test double's mailbox",
	.agent_reads = true,
};

static void dbl_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out)
{
	(void)be;
	(void)idx;
	(void)opcode;
	memset(out, 0, sizeof(*out));
	out->path = &dbl_path;
}

static void dbl_free(struct cxl_backend *be)
{
	(void)be; /* owned by the test */
}

static const struct cxl_backend_ops dbl_ops = {
	.name = "double",
	.enumerate = dbl_enumerate,
	.submit = dbl_submit,
	.delivery = dbl_delivery,
	.free = dbl_free,
};

static struct dbl D;

static struct cxl_devset *open_dbl(unsigned refresh_ms, size_t ring)
{
	struct cxl_devset_config cfg = { .refresh_interval_ms = refresh_ms, .event_ring_size = ring };
	struct cxl_devset *set = NULL;
	char err[256];
	assert_int_equal(cxl_devset_open_backend(&cfg, &D.be, &set, err, sizeof(err)), 0);
	return set;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_ERROR);
	memset(&D, 0, sizeof(D));
	D.be.ops = &dbl_ops;
	strcpy(D.fw, "DBL 1");
	D.temperature = 33;
	return 0;
}

static void test_cel_in_chunks(void **state)
{
	struct cxl_devset *set;
	struct cxl_cel cel;
	(void)state;

	set = open_dbl(3600000, 16);
	/* 800 bytes through a 256-byte mailbox */
	assert_int_equal(D.getlog_calls, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(D.getlog_off[i], 256u * (unsigned)i);
	assert_int_equal(D.getlog_len[0], 256);
	assert_int_equal(D.getlog_len[2], 256);
	assert_int_equal(D.getlog_len[3], 32);
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, DBL_CEL_ENTRIES);
	for (size_t i = 0; i < cel.count; i++) {
		assert_int_equal(cel.entries[i].opcode, cel_op(i));
		assert_int_equal(cel.entries[i].effects, i & 0x3F);
	}
	cxl_cel_free(&cel);
	/* the second device has no CEL: empty, no health, still listed */
	assert_int_equal(cxl_devset_cel(set, 1, &cel), 0);
	assert_int_equal(cel.count, 0);
	assert_string_equal(cxl_devset_backend(set), "double");
	assert_int_equal(cxl_devset_find(set, "0000000000abcdef"), 0);
	assert_int_equal(cxl_devset_find(set, "dbl1"), 1);
	cxl_devset_free(set);
}

static void test_cel_short_chunk(void **state)
{
	struct cxl_devset *set;
	struct cxl_cel cel;
	struct cxl_health h;
	(void)state;

	D.short_log = true;
	set = open_dbl(3600000, 16);
	assert_int_equal(D.getlog_calls, 1); /* stopped at the first short answer */
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_false(h.valid); /* not in a (missing) CEL: never invented */
	cxl_devset_free(set);
}

static void test_refresh_and_generation(void **state)
{
	struct cxl_devset *set;
	struct cxl_dev_info a, b;
	struct cxl_health h;
	int calls;
	(void)state;

	/* long enough that the checks "within the interval" come within it on
	 * a loaded machine */
	set = open_dbl(400, 16);
	assert_int_equal(cxl_devset_info(set, 0, &a), 0);
	assert_string_equal(a.fw_revision, "DBL 1");
	assert_true(a.volatile_only_bytes == 1ull << 30);
	calls = D.identify_calls;
	/* within the interval: a refresh is not due, no device traffic */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(cxl_devset_refresh(set, 0, false), -EAGAIN);
		assert_int_equal(cxl_devset_info(set, 0, &b), 0);
	}
	assert_int_equal(D.identify_calls, calls);
	assert_true(b.generation == a.generation);
	/* past it, readers still only copy the cache */
	sleep_ms(420);
	assert_int_equal(cxl_devset_info(set, 0, &b), 0);
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_int_equal(D.identify_calls, calls);
	/* the poller's refresh: unchanged content, same generation, newer read_at */
	assert_int_equal(cxl_devset_refresh(set, 0, false), 0);
	assert_int_equal(cxl_devset_info(set, 0, &b), 0);
	assert_int_equal(D.identify_calls, calls + 1);
	assert_true(b.generation == a.generation);
	assert_true(b.read_at.tv_sec > a.read_at.tv_sec ||
		    (b.read_at.tv_sec == a.read_at.tv_sec && b.read_at.tv_nsec > a.read_at.tv_nsec));
	/* changed content bumps it */
	strcpy(D.fw, "DBL 2");
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_info(set, 0, &b), 0);
	assert_string_equal(b.fw_revision, "DBL 2");
	assert_true(b.generation > a.generation);
	a = b;
	D.temperature = 80;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_true(h.valid);
	assert_int_equal(h.temperature_c, 80);
	assert_int_equal(h.life_used_pct, 7);
	assert_int_equal(cxl_devset_info(set, 0, &b), 0);
	assert_true(b.generation > a.generation);
	cxl_devset_free(set);
}

static void test_event_ring_bound(void **state)
{
	struct cxl_devset *set;
	struct cxl_event ev[16];
	int n;
	(void)state;

	set = open_dbl(1, 4);
	D.pending_events = 10;
	sleep_ms(3);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 16), 0); /* readers do not drain */
	assert_int_equal(cxl_devset_refresh(set, 0, false), 0);
	n = cxl_devset_events(set, 0, 0, ev, 16);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_true(ev[i].seq == (uint64_t)(7 + i));
		assert_int_equal(ev[i].handle, 7 + i);
		assert_int_equal(ev[i].data[0], 7 + i);
		assert_int_equal(ev[i].log, CXL_EVENT_LOG_INFO);
	}
	assert_int_equal(D.qlen, 0); /* every collected record was cleared */
	D.pending_events = 1;
	sleep_ms(3);
	assert_int_equal(cxl_devset_refresh(set, 0, false), 0);
	n = cxl_devset_events(set, 0, 10, ev, 16);
	assert_int_equal(n, 1);
	assert_true(ev[0].seq == 11);
	cxl_devset_free(set);
}

/* The ring starts small and grows as events arrive: records kept across
 * each growth, and once full at its bound the oldest give way, in order. */
static void test_event_ring_grows(void **state)
{
	static const int batches[] = { 5, 6, 14 };
	struct cxl_devset *set;
	struct cxl_event ev[32];
	int n;
	(void)state;

	set = open_dbl(1, 20);
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		D.pending_events = batches[b];
		sleep_ms(3);
		assert_int_equal(cxl_devset_refresh(set, 0, false), 0);
	}
	n = cxl_devset_events(set, 0, 0, ev, 32);
	assert_int_equal(n, 20);
	for (int i = 0; i < n; i++)
		assert_true(ev[i].seq == (uint64_t)(6 + i));
	n = cxl_devset_events(set, 0, 22, ev, 32);
	assert_int_equal(n, 3);
	assert_true(ev[0].seq == 23 && ev[2].seq == 25);
	cxl_devset_free(set);
}

struct slow_arg {
	struct cxl_devset *set;
	size_t idx;
	uint16_t opcode;
	unsigned timeout_ms;
	struct cxl_cmd_result res;
	double secs;
};

static void *slow_thread(void *p)
{
	struct slow_arg *a = p;
	struct cxl_cmd cmd = { .opcode = a->opcode, .timeout_ms = a->timeout_ms };
	double t0 = now_s();
	cxl_devset_submit(a->set, a->idx, &cmd, &a->res);
	a->secs = now_s() - t0;
	return NULL;
}

static void test_reads_never_wait(void **state)
{
	struct cxl_devset *set;
	struct slow_arg a;
	pthread_t th;
	struct cxl_dev_info before, during;
	struct cxl_health h;
	struct cxl_cel cel;
	struct cxl_event ev[4];
	double t0;
	(void)state;

	set = open_dbl(1, 16);
	assert_int_equal(cxl_devset_info(set, 0, &before), 0);
	D.slow_ms = 1200;
	memset(&a, 0, sizeof(a));
	a.set = set;
	a.opcode = 0xC000;
	a.timeout_ms = 5000;
	assert_int_equal(pthread_create(&th, NULL, slow_thread, &a), 0);
	sleep_ms(100);
	/* a refresh is due, the device is busy: the cached copy, at once */
	t0 = now_s();
	assert_int_equal(cxl_devset_info(set, 0, &during), 0);
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_true(cxl_devset_events(set, 0, 0, ev, 4) >= 0);
	assert_true(now_s() - t0 < 0.3); /* vs. 1.2 s for the command */
	cxl_cel_free(&cel);
	assert_true(during.read_at.tv_sec == before.read_at.tv_sec &&
		    during.read_at.tv_nsec == before.read_at.tv_nsec);
	/* the other device is not held up */
	{
		struct cxl_cmd cmd = { .opcode = 0xC000 };
		struct cxl_cmd_result r;
		D.slow_ms = 0;
		t0 = now_s();
		assert_int_equal(cxl_devset_submit(set, 1, &cmd, &r), 0);
		assert_true(now_s() - t0 < 0.3);
		assert_int_equal(r.transport, 0);
		assert_int_equal(r.out[0], 0x42);
		cxl_cmd_result_clear(&r);
	}
	/* a second command to the busy device gives up at its own timeout */
	{
		struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY, .timeout_ms = 150 };
		struct cxl_cmd_result r;
		t0 = now_s();
		assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
		assert_int_equal(r.transport, -EBUSY);
		assert_true(now_s() - t0 >= 0.14 && now_s() - t0 < 0.8);
	}
	pthread_join(th, NULL);
	assert_int_equal(a.res.transport, 0);
	assert_int_equal(a.res.out_len, 1);
	assert_true(a.res.duration_us >= 1100000);
	cxl_cmd_result_clear(&a.res);
	cxl_devset_free(set);
}

/* The same contract with the emulated backend and an injected no-answer. */
static void test_emulated_parallel(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	char dir[48], err[256], path[64];
	struct slow_arg a;
	pthread_t th;
	struct cxl_dev_info info;
	double t0, t_other, t_info;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "par"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 1;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(emu_inject(set, 0, CXL_EMU_FAULT_TIMEOUT, 1, 0xC000), 0);
	memset(&a, 0, sizeof(a));
	a.set = set;
	a.opcode = 0xC000;
	a.timeout_ms = 1500;
	assert_int_equal(pthread_create(&th, NULL, slow_thread, &a), 0);
	sleep_ms(100);
	{
		struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY };
		struct cxl_cmd_result r;
		t0 = now_s();
		assert_int_equal(cxl_devset_submit(set, 1, &cmd, &r), 0);
		t_other = now_s() - t0;
		assert_int_equal(r.transport, 0);
		assert_int_equal(r.mbox_rc, 0);
		cxl_cmd_result_clear(&r);
	}
	t0 = now_s();
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	t_info = now_s() - t0;
	assert_true(info.present);
	assert_true(t_other < 0.4); /* vs. 1.5 s for the stalled command */
	assert_true(t_info < 0.4);
	pthread_join(th, NULL);
	assert_int_equal(a.res.transport, -ETIMEDOUT);
	assert_true(a.secs >= 1.4 && a.secs < 3.0);
	cxl_devset_free(set);
	snprintf(path, sizeof(path), "%s", dir);
	rmdir(path);
}

#define T(f) cmocka_unit_test_setup(f, setup)
/* Devices that do not answer at start cost it their timeouts once, not
 * once each: every device's CEL and first cache are read at the same time.
 * Eight silent devices at a 300 ms timeout took 5 s one after another. */
static void test_silent_devices_open_together(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct cxl_cel cel;
	json_t *doc, *devs = json_array();
	json_t *fault = json_pack("{s:s, s:i}", "fault", "timeout", "count", -1);
	char dir[48], err[256], prof[96], ctl[96], name[16];
	struct timespec t0, t1;
	double took;
	(void)state;

	assert_non_null(devs);
	assert_non_null(fault);
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "devset"), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(ctl, sizeof(ctl), "%s/fault-%d.json", dir, i);
		snprintf(name, sizeof(name), "emu%d", i);
		assert_int_equal(json_dump_file(fault, ctl, 0), 0);
		assert_int_equal(json_array_append_new(devs, json_pack(
			"{s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:s}", "name", name,
			"serial", json_sprintf("0x20000000000000%02x", i + 1), "pci_vendor_id",
			"0x8086", "pci_device_id", "0x0d93", "firmware_revision", "EMU FW 1.0.0",
			"volatile_bytes", (json_int_t)4294967296, "persistent_bytes", (json_int_t)0,
			"lsa_bytes", 131072, "payload_max", 2048, "numa_node", -1,
			"fault_control", ctl)), 0);
	}
	snprintf(prof, sizeof(prof), "%s/profile.json", dir);
	doc = json_pack("{s:o}", "devices", devs);
	assert_non_null(doc);
	assert_int_equal(json_dump_file(doc, prof, 0), 0);
	json_decref(doc);
	json_decref(fault);

	cfg.emulated_profile = prof;
	cfg.state_dir = dir;
	cfg.default_timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(cxl_devset_count(set), 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(cxl_devset_cel(set, i, &cel), 0);
		assert_int_equal(cel.count, 0); /* it never answered */
		cxl_cel_free(&cel);
	}
	/* a few timeouts' worth, with room for a loaded machine */
	assert_true(took < 2.5);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cel_in_chunks),
		T(test_cel_short_chunk),
		T(test_refresh_and_generation),
		T(test_event_ring_bound),
		T(test_event_ring_grows),
		T(test_reads_never_wait),
		T(test_emulated_parallel),
		T(test_silent_devices_open_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
