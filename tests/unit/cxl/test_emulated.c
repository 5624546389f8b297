/* The emulated Type-3 model through the device set: every command's
 * semantics, the CEL it generates, label storage persistence, health, events,
 * vendor opcodes and the background operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emu_hooks.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "support/tmpdir.h"
#include "util/log.h"

struct fx {
	char dir[64];
	char state[128];
	struct cxl_devset *set;
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int open_set(struct fx *fx, const char *profile_text, unsigned refresh_ms)
{
	struct cxl_devset_config cfg = { 0 };
	char prof[192], err[512];
	const char *why = NULL;
	int rc;

	cfg.backends[0] = "emulated";
	cfg.state_dir = fx->state;
	cfg.default_timeout_ms = 2000;
	cfg.refresh_interval_ms = refresh_ms;
	cfg.event_ring_size = 64;
	if (profile_text) {
		snprintf(prof, sizeof(prof), "%s/profile.json", fx->dir);
		write_text(prof, profile_text);
		cfg.emulated_profile = prof;
	}
	rc = cxl_devset_open(&cfg, &fx->set, &why, err, sizeof(err));
	if (rc)
		print_message("open: %s\n", err);
	else
		assert_non_null(why);
	return rc;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	log_set_level(LOG_LVL_WARN);
	assert_int_equal(tmpdir_make(fx->dir, sizeof(fx->dir), "emu"), 0);
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	cxl_devset_free(fx->set);
	assert_int_equal(tmpdir_remove(fx->dir), 0);
	free(fx);
	return 0;
}

static struct cxl_cmd_result run(struct cxl_devset *set, size_t idx, uint16_t op,
				 const void *in, size_t in_len)
{
	struct cxl_cmd cmd = { .opcode = op, .in = in, .in_len = in_len };
	struct cxl_cmd_result res;
	assert_int_equal(cxl_devset_submit(set, idx, &cmd, &res), 0);
	return res;
}

/* Submit, expect transport 0 and rc; returns the result for the caller to
 * inspect and clear. */
static struct cxl_cmd_result expect(struct cxl_devset *set, size_t idx, uint16_t op,
				    const void *in, size_t in_len, uint16_t rc)
{
	struct cxl_cmd_result res = run(set, idx, op, in, in_len);
	if (res.transport != 0 || res.mbox_rc != rc)
		print_message("opcode 0x%04x: transport %d rc 0x%02x, want rc 0x%02x\n", op,
			      res.transport, res.mbox_rc, rc);
	assert_int_equal(res.transport, 0);
	assert_int_equal(res.mbox_rc, rc);
	return res;
}

static void expect_rc(struct cxl_devset *set, size_t idx, uint16_t op, const void *in,
		      size_t in_len, uint16_t rc)
{
	struct cxl_cmd_result res = expect(set, idx, op, in, in_len, rc);
	cxl_cmd_result_clear(&res);
}

static void test_builtin_inventory(void **state)
{
	struct fx *fx = *state;
	struct cxl_dev_info a, b;

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	assert_string_equal(cxl_devset_backend(fx->set), "emulated");
	assert_int_equal(cxl_devset_count(fx->set), 2);
	assert_int_equal(cxl_devset_info(fx->set, 0, &a), 0);
	assert_int_equal(cxl_devset_info(fx->set, 1, &b), 0);
	assert_int_equal(cxl_devset_info(fx->set, 2, &b), -ERANGE);
	assert_string_equal(a.id, "1000000000000001");
	assert_string_equal(b.id, "1000000000000002");
	assert_int_equal(cxl_devset_find(fx->set, "1000000000000002"), 1);
	assert_int_equal(cxl_devset_find(fx->set, "nope"), -ENOENT);
	assert_string_equal(a.name, "emu0");
	assert_true(a.serial == 0x1000000000000001ull);
	assert_int_equal(a.pci_vendor_id, 0x8086);
	assert_int_equal(a.pci_device_id, 0x0d93);
	assert_string_equal(a.fw_revision, "EMU FW 1.0.0");
	assert_true(a.volatile_only_bytes == 4ull << 30);
	assert_true(a.persistent_only_bytes == 4ull << 30);
	assert_true(a.total_bytes == 8ull << 30);
	assert_true(b.volatile_only_bytes == 8ull << 30);
	assert_true(b.persistent_only_bytes == 0);
	assert_true(a.has_partition);
	assert_true(a.active_volatile_bytes == 4ull << 30);
	assert_true(a.active_persistent_bytes == 4ull << 30);
	assert_true(a.next_volatile_bytes == 0);
	assert_int_equal(a.lsa_size, 128 * 1024);
	assert_int_equal(a.payload_max, 4096);
	assert_int_equal(b.payload_max, 2048);
	assert_int_equal(a.numa_node, 0);
	assert_int_equal(b.numa_node, -1);
	assert_true(a.present);
	assert_true(a.generation > 0);
	assert_true(a.read_at.tv_sec > 0);
}

static void test_identify_partition_fw(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct cxl_identify id;
	struct cxl_partition p;

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	r = expect(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	assert_int_equal(r.out_len, CXL_IDENTIFY_LEN);
	assert_int_equal(cxl_parse_identify(r.out, r.out_len, &id), 0);
	assert_string_equal(id.fw_revision, "EMU FW 1.0.0");
	assert_true(id.total_bytes == 8ull << 30);
	assert_true(id.volatile_only_bytes == 4ull << 30);
	assert_true(id.persistent_only_bytes == 4ull << 30);
	assert_int_equal(id.lsa_size, 131072);
	assert_int_equal(id.event_log_size[0], 16);
	cxl_cmd_result_clear(&r);
	assert_null(r.out);
	/* Identify takes no input */
	expect_rc(fx->set, 0, CXL_OP_IDENTIFY, "x", 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);

	r = expect(fx->set, 1, CXL_OP_GET_PARTITION_INFO, NULL, 0, 0);
	assert_int_equal(r.out_len, CXL_PARTITION_INFO_LEN);
	assert_int_equal(cxl_parse_partition(r.out, r.out_len, &p), 0);
	assert_true(p.active_volatile_bytes == 8ull << 30);
	assert_true(p.active_persistent_bytes == 0);
	cxl_cmd_result_clear(&r);

	r = expect(fx->set, 0, CXL_OP_GET_FW_INFO, NULL, 0, 0);
	assert_int_equal(r.out_len, CXL_FW_INFO_LEN);
	assert_int_equal(r.out[0], 2);
	assert_int_equal(r.out[1] & 7, 1);
	assert_memory_equal(r.out + 0x10, "EMU FW 1.0.0", 12);
	cxl_cmd_result_clear(&r);
}

static void test_cel_matches_implementation(void **state)
{
	struct fx *fx = *state;
	struct cxl_cel cel;
	static const struct {
		uint16_t op, eff;
	} want[] = {
		{ 0x0002, 0 }, { 0x0100, 0 }, { 0x0101, 0x10 }, { 0x0200, 0 }, { 0x0300, 0 },
		{ 0x0301, 0x08 }, { 0x0400, 0 }, { 0x0401, 0 }, { 0x4000, 0 }, { 0x4100, 0 },
		{ 0x4102, 0 }, { 0x4103, 0x06 }, { 0x4200, 0 }, { 0xC000, 0 }, { 0xC001, 0x01 },
		{ 0xC002, 0x06 }, { 0xC003, 0x44 },
	};
	static const uint16_t absent[] = { 0x0102, 0x0103, 0x0201, 0x0202, 0x4101, 0x4201,
					   0x4300, 0x4400, 0x4500, 0xC004, 0xFFFF };

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	assert_int_equal(cxl_devset_cel(fx->set, 0, &cel), 0);
	assert_int_equal(cel.count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < cel.count; i++) {
		assert_int_equal(cel.entries[i].opcode, want[i].op);
		assert_int_equal(cel.entries[i].effects, want[i].eff);
		/* every listed command is implemented: never answers Unsupported */
		struct cxl_cmd_result r = run(fx->set, 1, want[i].op, NULL, 0);
		assert_int_equal(r.transport, 0);
		assert_int_not_equal(r.mbox_rc, CXL_MBOX_UNSUPPORTED);
		cxl_cmd_result_clear(&r);
	}
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_null(cxl_cel_find(&cel, absent[i]));
		expect_rc(fx->set, 0, absent[i], NULL, 0, CXL_MBOX_UNSUPPORTED);
	}
	cxl_cel_free(&cel);
	assert_int_equal(cxl_devset_cel(fx->set, 5, &cel), -ERANGE);
}

static void test_get_log_bounds(void **state)
{
	struct fx *fx = *state;
	uint8_t in[CXL_GET_LOG_IN_LEN];
	struct cxl_cmd_result r;

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	r = expect(fx->set, 0, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, 0);
	assert_int_equal(r.out_len, 28);
	assert_int_equal(cxl_get_le16(r.out), 1);
	assert_memory_equal(r.out + 8, cxl_log_uuid_cel, 16);
	assert_int_equal(cxl_get_le32(r.out + 24), 17 * 4);
	cxl_cmd_result_clear(&r);

	memcpy(in, cxl_log_uuid_cel, 16);
	cxl_put_le32(in + 16, 4);
	cxl_put_le32(in + 20, 8);
	r = expect(fx->set, 0, CXL_OP_GET_LOG, in, sizeof(in), 0);
	assert_int_equal(r.out_len, 8);
	assert_int_equal(cxl_get_le16(r.out), 0x0100);
	assert_int_equal(cxl_get_le16(r.out + 4), 0x0101);
	assert_int_equal(cxl_get_le16(r.out + 6), 0x0010);
	cxl_cmd_result_clear(&r);
	cxl_put_le32(in + 16, 17 * 4 - 2);
	expect_rc(fx->set, 0, CXL_OP_GET_LOG, in, sizeof(in), CXL_MBOX_INVALID_INPUT);
	expect_rc(fx->set, 0, CXL_OP_GET_LOG, in, sizeof(in) - 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	memcpy(in, cxl_log_uuid_vendor_debug, 16);
	cxl_put_le32(in + 16, 0);
	expect_rc(fx->set, 0, CXL_OP_GET_LOG, in, sizeof(in), 0x17);
}

static void set_lsa(struct cxl_devset *set, size_t idx, uint32_t off, const char *data,
		    uint16_t rc)
{
	uint8_t buf[64];
	size_t n = strlen(data);
	cxl_put_le32(buf, off);
	cxl_put_le32(buf + 4, 0);
	memcpy(buf + 8, data, n);
	expect_rc(set, idx, CXL_OP_SET_LSA, buf, 8 + n, rc);
}

static void check_lsa(struct cxl_devset *set, size_t idx, uint32_t off, const char *data)
{
	uint8_t in[8];
	struct cxl_cmd_result r;
	cxl_put_le32(in, off);
	cxl_put_le32(in + 4, (uint32_t)strlen(data));
	r = expect(set, idx, CXL_OP_GET_LSA, in, 8, 0);
	assert_int_equal(r.out_len, strlen(data));
	assert_memory_equal(r.out, data, strlen(data));
	cxl_cmd_result_clear(&r);
}

static void test_lsa(void **state)
{
	struct fx *fx = *state;
	uint8_t in[8];
	char path[256];
	struct stat st;

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	/* fresh: zeroes */
	check_lsa(fx->set, 0, 0, "\0\0\0\0");
	set_lsa(fx->set, 0, 100, "label-one", 0);
	check_lsa(fx->set, 0, 100, "label-one");
	set_lsa(fx->set, 0, 131072 - 4, "tail", 0);
	check_lsa(fx->set, 0, 131072 - 4, "tail");
	/* bounds */
	set_lsa(fx->set, 0, 131072 - 3, "tail", CXL_MBOX_INVALID_INPUT);
	set_lsa(fx->set, 0, 0xFFFFFFFFu, "x", CXL_MBOX_INVALID_INPUT);
	expect_rc(fx->set, 0, CXL_OP_SET_LSA, "1234567", 7, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	cxl_put_le32(in, 131072 - 8);
	cxl_put_le32(in + 4, 9);
	expect_rc(fx->set, 0, CXL_OP_GET_LSA, in, 8, CXL_MBOX_INVALID_INPUT);
	cxl_put_le32(in, 0);
	cxl_put_le32(in + 4, 4097); /* more than payload_max */
	expect_rc(fx->set, 0, CXL_OP_GET_LSA, in, 8, CXL_MBOX_INVALID_INPUT);
	cxl_put_le32(in + 4, 4096);
	expect_rc(fx->set, 0, CXL_OP_GET_LSA, in, 8, 0);
	expect_rc(fx->set, 0, CXL_OP_GET_LSA, in, 7, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	/* the other device is separate */
	check_lsa(fx->set, 1, 100, "\0\0\0");
	set_lsa(fx->set, 1, 0, "second", 0);

	snprintf(path, sizeof(path), "%s/1000000000000001.lsa", fx->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 131072);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* restart of the model: same state_dir, same labels */
	cxl_devset_free(fx->set);
	fx->set = NULL;
	assert_int_equal(open_set(fx, NULL, 1000), 0);
	check_lsa(fx->set, 0, 100, "label-one");
	check_lsa(fx->set, 0, 131072 - 4, "tail");
	check_lsa(fx->set, 1, 0, "second");
}

static const char hot_profile[] =
	"{\"devices\": [{\"name\": \"hot\", \"serial\": \"0x42\", \"pci_vendor_id\": \"0x8086\",\n"
	" \"pci_device_id\": \"0x0d93\", \"firmware_revision\": \"T1\",\n"
	" \"volatile_bytes\": 268435456, \"persistent_bytes\": 0, \"lsa_bytes\": 0,\n"
	" \"payload_max\": 256, \"numa_node\": -1,\n"
	" \"health\": {\"temperature_c\": 70, \"life_used_pct\": 70,\n"
	"            \"commands_per_degree\": 1, \"commands_per_life_pct\": 2,\n"
	"            \"dirty_shutdowns\": 3}}]}\n";

static void test_health_moves(void **state)
{
	struct fx *fx = *state;
	struct cxl_health h = { 0 };
	struct cxl_event ev[32];
	int saw_warn = 0, saw_crit = 0, n;
	int last_temp = -100;

	assert_int_equal(open_set(fx, hot_profile, 1), 0);
	for (int i = 0; i < 200 && !(saw_crit && (h.additional_status & 3) == 2); i++) {
		expect_rc(fx->set, 0, CXL_EMU_OP_READ_TELEMETRY, NULL, 0, 0);
		assert_int_equal(cxl_devset_refresh(fx->set, 0, true), 0);
		assert_int_equal(cxl_devset_health(fx->set, 0, &h), 0);
		assert_true(h.valid);
		assert_true(h.temperature_c >= last_temp); /* deterministic, monotonic */
		last_temp = h.temperature_c;
		assert_int_equal(h.dirty_shutdowns, 3);
		if (((h.additional_status >> 2) & 3) == 1)
			saw_warn = 1;
		if (((h.additional_status >> 2) & 3) == 2)
			saw_crit = 1;
	}
	assert_true(saw_warn);
	assert_true(saw_crit);
	assert_true(h.temperature_c >= 90);
	assert_int_equal(h.additional_status & 3, 2); /* life critical too */
	assert_int_equal(h.health_status & 0x05, 0x05); /* maintenance + replacement */
	assert_true(h.life_used_pct >= 90);
	assert_true(h.read_at.tv_sec > 0);

	/* the crossings were logged as Memory Module events */
	n = cxl_devset_events(fx->set, 0, 0, ev, 32);
	assert_true(n >= 4);
	{
		int warn = 0, fail = 0;
		for (int i = 0; i < n; i++) {
			if (ev[i].log == CXL_EVENT_LOG_WARN)
				warn++;
			if (ev[i].log == CXL_EVENT_LOG_FAIL)
				fail++;
			assert_int_equal(ev[i].uuid[0], 0xfe);
			assert_true(ev[i].seq == (uint64_t)i + 1);
		}
		assert_int_equal(warn, 2);
		assert_int_equal(fail, 2);
	}
}

static void test_health_deterministic(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r1, r2;

	/* two fresh models fed the same commands answer the same health */
	assert_int_equal(open_set(fx, hot_profile, 3600000), 0);
	for (int i = 0; i < 7; i++)
		expect_rc(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	r1 = expect(fx->set, 0, CXL_OP_GET_HEALTH_INFO, NULL, 0, 0);
	cxl_devset_free(fx->set);
	fx->set = NULL;
	assert_int_equal(open_set(fx, hot_profile, 3600000), 0);
	for (int i = 0; i < 7; i++)
		expect_rc(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	r2 = expect(fx->set, 0, CXL_OP_GET_HEALTH_INFO, NULL, 0, 0);
	assert_int_equal(r1.out_len, CXL_HEALTH_INFO_LEN);
	assert_int_equal(r2.out_len, CXL_HEALTH_INFO_LEN);
	assert_memory_equal(r1.out, r2.out, CXL_HEALTH_INFO_LEN);
	cxl_cmd_result_clear(&r1);
	cxl_cmd_result_clear(&r2);
	expect_rc(fx->set, 0, CXL_OP_GET_HEALTH_INFO, "x", 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

static void test_timestamp(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct timespec now;
	uint64_t t, host;
	uint8_t in[8];

	assert_int_equal(open_set(fx, NULL, 1000), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	host = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	r = expect(fx->set, 0, CXL_OP_GET_TIMESTAMP, NULL, 0, 0);
	assert_int_equal(r.out_len, 8);
	t = cxl_get_le64(r.out);
	cxl_cmd_result_clear(&r);
	assert_true(t + 5000000000ull > host && t < host + 5000000000ull);

	cxl_put_le64(in, 1000000000000ull); /* 1000 s after the epoch */
	expect_rc(fx->set, 0, CXL_OP_SET_TIMESTAMP, in, 8, 0);
	r = expect(fx->set, 0, CXL_OP_GET_TIMESTAMP, NULL, 0, 0);
	t = cxl_get_le64(r.out);
	cxl_cmd_result_clear(&r);
	assert_true(t >= 1000000000000ull && t < 1001000000000ull);
	expect_rc(fx->set, 0, CXL_OP_SET_TIMESTAMP, in, 7, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	expect_rc(fx->set, 0, CXL_OP_GET_TIMESTAMP, in, 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	/* events carry the device clock */
	assert_int_equal(emu_add_event(fx->set, 0, CXL_EVENT_LOG_INFO), 0);
	r = expect(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\0", 1, 0);
	assert_int_equal(cxl_get_le16(r.out + 0x14), 1);
	t = cxl_get_le64(r.out + CXL_EVENT_HDR_LEN + 0x18);
	assert_true(t >= 1000000000000ull && t < 1001000000000ull);
	cxl_cmd_result_clear(&r);
}

static void test_event_records(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct cxl_event_page page;
	struct cxl_event ev[20];
	uint8_t clr[6 + 2 * 4];
	uint16_t h0, h1;

	/* long refresh: the device set will not drain the logs behind our back */
	assert_int_equal(open_set(fx, NULL, 3600000), 0);
	r = expect(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\1", 1, 0);
	assert_int_equal(r.out_len, CXL_EVENT_HDR_LEN);
	cxl_cmd_result_clear(&r);

	assert_int_equal(emu_add_event(fx->set, 0, CXL_EVENT_LOG_WARN), 0);
	assert_int_equal(emu_add_event(fx->set, 0, CXL_EVENT_LOG_WARN), 0);
	assert_int_equal(emu_add_event(fx->set, 0, 7), -EINVAL);
	r = expect(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\1", 1, 0);
	assert_int_equal(r.out_len, CXL_EVENT_HDR_LEN + 2 * CXL_EVENT_RECORD_LEN);
	assert_int_equal(cxl_parse_event_records(r.out, r.out_len, CXL_EVENT_LOG_WARN, &page, ev, 20),
			 0);
	assert_int_equal(page.record_count, 2);
	assert_int_equal(page.flags, 0);
	assert_int_equal(r.out[CXL_EVENT_HDR_LEN + 0x10], 0x80); /* record length */
	h0 = ev[0].handle;
	h1 = ev[1].handle;
	assert_int_not_equal(h0, 0);
	assert_int_not_equal(h0, h1);
	cxl_cmd_result_clear(&r);

	/* input validation */
	expect_rc(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, NULL, 0, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	expect_rc(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\4", 1, CXL_MBOX_INVALID_INPUT);
	memset(clr, 0, sizeof(clr));
	clr[0] = 1;
	clr[2] = 1;
	cxl_put_le16(clr + 6, 0x7777);
	expect_rc(fx->set, 0, CXL_OP_CLEAR_EVENT_RECORDS, clr, 8, 0x0E); /* Invalid Handle */
	expect_rc(fx->set, 0, CXL_OP_CLEAR_EVENT_RECORDS, clr, 9, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	expect_rc(fx->set, 0, CXL_OP_CLEAR_EVENT_RECORDS, clr, 5, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	/* clear the first one */
	cxl_put_le16(clr + 6, h0);
	expect_rc(fx->set, 0, CXL_OP_CLEAR_EVENT_RECORDS, clr, 8, 0);
	r = expect(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\1", 1, 0);
	assert_int_equal(cxl_get_le16(r.out + 0x14), 1);
	assert_int_equal(cxl_get_le16(r.out + CXL_EVENT_HDR_LEN + 0x14), h1);
	cxl_cmd_result_clear(&r);

	/* overflow: 16 records per log, then the overflow flag and count */
	for (int i = 0; i < 20; i++)
		assert_int_equal(emu_add_event(fx->set, 1, CXL_EVENT_LOG_FATAL), 0);
	r = expect(fx->set, 1, CXL_OP_GET_EVENT_RECORDS, "\3", 1, 0);
	assert_int_equal(cxl_parse_event_records(r.out, r.out_len, CXL_EVENT_LOG_FATAL, &page, ev, 20),
			 0);
	assert_true(page.flags & CXL_EVENT_FLAG_OVERFLOW);
	assert_true(page.flags & CXL_EVENT_FLAG_MORE); /* 2048-byte mailbox: 15 records fit */
	assert_int_equal(page.record_count, 15);
	assert_int_equal(page.overflow_count, 4);
	cxl_cmd_result_clear(&r);
	/* clear all */
	memset(clr, 0, sizeof(clr));
	clr[0] = 3;
	clr[1] = 1;
	expect_rc(fx->set, 1, CXL_OP_CLEAR_EVENT_RECORDS, clr, 6, 0);
	r = expect(fx->set, 1, CXL_OP_GET_EVENT_RECORDS, "\3", 1, 0);
	assert_int_equal(r.out[0], 0);
	assert_int_equal(cxl_get_le16(r.out + 0x14), 0);
	cxl_cmd_result_clear(&r);
}

static void test_event_ring(void **state)
{
	struct fx *fx = *state;
	struct cxl_event ev[64];
	struct cxl_cmd_result r;
	int n;

	assert_int_equal(open_set(fx, NULL, 1), 0);
	assert_int_equal(emu_add_event(fx->set, 0, CXL_EVENT_LOG_INFO), 0);
	assert_int_equal(emu_add_event(fx->set, 0, CXL_EVENT_LOG_FAIL), 0);
	assert_int_equal(cxl_devset_refresh(fx->set, 0, true), 0);
	n = cxl_devset_events(fx->set, 0, 0, ev, 64);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].log, CXL_EVENT_LOG_INFO);
	assert_int_equal(ev[1].log, CXL_EVENT_LOG_FAIL);
	assert_true(ev[0].seq == 1 && ev[1].seq == 2);
	assert_int_equal(ev[0].data[0], 0x02);
	/* collected events were cleared on the device */
	r = expect(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\0", 1, 0);
	assert_int_equal(cxl_get_le16(r.out + 0x14), 0);
	cxl_cmd_result_clear(&r);
	/* after_seq and max */
	assert_int_equal(cxl_devset_events(fx->set, 0, 1, ev, 64), 1);
	assert_true(ev[0].seq == 2);
	assert_int_equal(cxl_devset_events(fx->set, 0, 0, ev, 1), 1);
	assert_true(ev[0].seq == 1);
	assert_int_equal(cxl_devset_events(fx->set, 0, 2, ev, 64), 0);
	assert_int_equal(cxl_devset_events(fx->set, 9, 0, ev, 64), -ERANGE);
}

static uint64_t telemetry_u64(struct cxl_devset *set, size_t idx, size_t off)
{
	struct cxl_cmd_result r = expect(set, idx, CXL_EMU_OP_READ_TELEMETRY, NULL, 0, 0);
	uint64_t v;
	assert_int_equal(r.out_len, CXL_EMU_TELEMETRY_LEN);
	assert_memory_equal(r.out, "CXLATLM1", 8);
	v = off == 0x1B || off == 0x24 || off == 0x25 ? r.out[off]
	    : off == 0x26			       ? cxl_get_le16(r.out + off)
	    : off == 0x1C || off == 0x20		       ? cxl_get_le32(r.out + off)
							       : cxl_get_le64(r.out + off);
	cxl_cmd_result_clear(&r);
	return v;
}

static void test_vendor_commands(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	uint8_t v[4];

	assert_int_equal(open_set(fx, NULL, 3600000), 0);
	/* C000: read telemetry */
	assert_true(telemetry_u64(fx->set, 1, 0x30) == 0x1000000000000002ull);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x24), 0);
	expect_rc(fx->set, 0, 0xC000, "x", 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	{
		/* the blob is a function of the model state: two devices fed the
		 * same history differ only in the serial */
		uint64_t a = telemetry_u64(fx->set, 0, 0x10), b = telemetry_u64(fx->set, 0, 0x10);
		assert_true(b == a + 1);
	}

	/* C001: config after reset, pending */
	cxl_put_le32(v, 0xABCD);
	expect_rc(fx->set, 0, 0xC001, v, 4, 0);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x20), 0xABCD);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x24), 1);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x1C), 0); /* active unchanged */
	expect_rc(fx->set, 0, 0xC001, v, 3, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	expect_rc(fx->set, 0, 0xC001, NULL, 0, CXL_MBOX_INVALID_PAYLOAD_LENGTH);

	/* C002: immediate mode change */
	cxl_put_le32(v, 2);
	r = expect(fx->set, 0, 0xC002, v, 4, 0);
	assert_int_equal(r.out_len, 4);
	assert_int_equal(cxl_get_le32(r.out), 0);
	cxl_cmd_result_clear(&r);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x1B), 2);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x28), 1);
	cxl_put_le32(v, 3);
	r = expect(fx->set, 0, 0xC002, v, 4, 0);
	assert_int_equal(cxl_get_le32(r.out), 2);
	cxl_cmd_result_clear(&r);
	cxl_put_le32(v, 4);
	expect_rc(fx->set, 0, 0xC002, v, 4, CXL_MBOX_INVALID_INPUT);
	expect_rc(fx->set, 0, 0xC002, v, 5 - 1 - 1, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x1B), 3);

	/* C003 input checks */
	cxl_put_le32(v, 50);
	expect_rc(fx->set, 0, 0xC003, v, 4, CXL_MBOX_INVALID_INPUT);
	cxl_put_le32(v, 20000);
	expect_rc(fx->set, 0, 0xC003, v, 4, CXL_MBOX_INVALID_INPUT);
	expect_rc(fx->set, 0, 0xC003, v, 2, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	/* C004 is not implemented */
	expect_rc(fx->set, 0, 0xC004, NULL, 0, CXL_MBOX_UNSUPPORTED);
}

static void test_background_operation(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct cxl_bg_status bg;
	struct timespec t0, t1;
	uint8_t v[4];
	int last = -1, polls = 0, saw_mid = 0;
	double secs;
	struct cxl_event ev[8];
	int n;

	assert_int_equal(open_set(fx, NULL, 3600000), 0);
	r = expect(fx->set, 0, CXL_OP_BG_OP_STATUS, NULL, 0, 0);
	assert_int_equal(cxl_parse_bg_status(r.out, r.out_len, &bg), 0);
	assert_false(bg.running);
	cxl_cmd_result_clear(&r);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cxl_put_le32(v, 1000);
	r = expect(fx->set, 0, 0xC003, v, 4, CXL_MBOX_BACKGROUND_STARTED);
	assert_int_equal(r.out_len, 0);
	cxl_cmd_result_clear(&r);
	/* one at a time */
	expect_rc(fx->set, 0, 0xC003, NULL, 0, CXL_MBOX_BUSY);
	/* other commands keep working meanwhile */
	expect_rc(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	for (;;) {
		r = expect(fx->set, 0, CXL_OP_BG_OP_STATUS, NULL, 0, 0);
		assert_int_equal(r.out_len, CXL_BG_STATUS_LEN);
		assert_int_equal(cxl_parse_bg_status(r.out, r.out_len, &bg), 0);
		cxl_cmd_result_clear(&r);
		assert_int_equal(bg.opcode, 0xC003);
		assert_true((int)bg.percent >= last);
		last = bg.percent;
		if (bg.running && bg.percent > 0 && bg.percent < 100)
			saw_mid = 1;
		if (!bg.running)
			break;
		assert_true(++polls < 400);
		usleep(20000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.95 && secs < 3.0);
	assert_true(saw_mid);
	assert_int_equal(bg.percent, 100);
	assert_int_equal(bg.rc, 0);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x26), 1);
	assert_int_equal(telemetry_u64(fx->set, 0, 0x28), 1); /* immediate data change */
	/* completion is logged */
	cxl_devset_free(fx->set);
	fx->set = NULL;
	assert_int_equal(open_set(fx, NULL, 1), 0);
	cxl_put_le32(v, 100);
	expect_rc(fx->set, 0, 0xC003, v, 4, CXL_MBOX_BACKGROUND_STARTED);
	usleep(150000);
	expect_rc(fx->set, 0, CXL_OP_BG_OP_STATUS, NULL, 0, 0);
	assert_int_equal(cxl_devset_refresh(fx->set, 0, true), 0);
	n = cxl_devset_events(fx->set, 0, 0, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].log, CXL_EVENT_LOG_INFO);
	assert_int_equal(ev[0].data[0], 0x01);
	assert_int_equal(cxl_get_le16(ev[0].data + 2), 0xC003);
}

static void test_mailbox_count_and_oversize(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	uint64_t c0;
	uint8_t *big = calloc(1, 5000);
	struct cxl_cmd cmd = { .opcode = CXL_OP_SET_LSA, .in = big, .in_len = 4097 };

	assert_int_equal(open_set(fx, NULL, 3600000), 0);
	c0 = cxl_devset_mailbox_count(fx->set, 0);
	assert_true(c0 > 0); /* CEL and first refresh */
	expect_rc(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	expect_rc(fx->set, 0, 0xC004, NULL, 0, CXL_MBOX_UNSUPPORTED);
	assert_true(cxl_devset_mailbox_count(fx->set, 0) == c0 + 2);
	/* larger than payload_max never reaches the device */
	assert_int_equal(cxl_devset_submit(fx->set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EINVAL);
	assert_true(cxl_devset_mailbox_count(fx->set, 0) == c0 + 2);
	assert_int_equal(cxl_devset_submit(fx->set, 7, &cmd, &r), -ERANGE);
	cmd.in = NULL;
	assert_int_equal(cxl_devset_submit(fx->set, 0, &cmd, &r), -EINVAL);
	assert_true(cxl_devset_mailbox_count(fx->set, 9) == 0);
	free(big);
}

static void test_delivery(void **state)
{
	struct fx *fx = *state;
	struct cxl_delivery_info di;
	assert_int_equal(open_set(fx, NULL, 1000), 0);
	assert_int_equal(cxl_devset_delivery(fx->set, 0, 0xC000, &di), 0);
	assert_ptr_equal(di.path, &cxl_emu_path);
	assert_string_equal(di.reason, "");
	assert_int_equal(cxl_devset_delivery(fx->set, 3, 0xC000, &di), -ERANGE);
}

static void test_generation(void **state)
{
	struct fx *fx = *state;
	struct cxl_dev_info a, b;
	assert_int_equal(open_set(fx, hot_profile, 1), 0);
	assert_int_equal(cxl_devset_info(fx->set, 0, &a), 0);
	/* health moves with every command in this profile: generation follows */
	assert_int_equal(cxl_devset_refresh(fx->set, 0, true), 0);
	assert_int_equal(cxl_devset_info(fx->set, 0, &b), 0);
	assert_true(b.generation > a.generation);
}

static int open_err(struct fx *fx, const char *text, char *err, size_t errlen)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	char prof[192];
	snprintf(prof, sizeof(prof), "%s/bad.json", fx->dir);
	write_text(prof, text);
	cfg.emulated_profile = prof;
	cfg.state_dir = fx->state;
	err[0] = '\0';
	return cxl_devset_open(&cfg, &fx->set, NULL, err, errlen);
}

static void test_profile_errors(void **state)
{
	struct fx *fx = *state;
	char err[512];
	char path[256];
	struct cxl_devset_config cfg = { .backends = { "emulated" } };

	assert_int_equal(open_err(fx, "{\"devices\": [{}], \"x\": 1}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.json:1:19: unknown key \"x\""));
	assert_int_equal(open_err(fx, "{\"devices\": []}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "array of 1"));
	assert_int_equal(
		open_err(fx,
			 "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\", \"pci_vendor_id\": \"0x8086\",\n"
			 "\"pci_device_id\": \"0x1\", \"firmware_revision\": \"x\", \"volatile_bytes\": 1000,\n"
			 "\"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256, \"numa_node\": 0}]}",
			 err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "bad.json:2:"));
	assert_non_null(strstr(err, "256 MiB"));
	assert_int_equal(
		open_err(fx,
			 "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\", \"pci_vendor_id\": \"0x8086\",\n"
			 "\"pci_device_id\": \"0x1\", \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,\n"
			 "\"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 300, \"numa_node\": 0,\n"
			 "\"colour\": \"red\"}]}",
			 err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "bad.json:4:1: unknown key \"colour\""));
	assert_int_equal(
		open_err(fx,
			 "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\", \"pci_vendor_id\": \"0x8086\",\n"
			 "\"pci_device_id\": \"0x1\", \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,\n"
			 "\"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 300, \"numa_node\": 0}]}",
			 err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "power of two"));
	assert_int_equal(
		open_err(fx,
			 "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\", \"pci_vendor_id\": \"0x8086\",\n"
			 "\"pci_device_id\": \"0x1\", \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,\n"
			 "\"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256, \"numa_node\": 0},\n"
			 "{\"name\": \"b\", \"serial\": \"0x1\", \"pci_vendor_id\": \"0x8086\",\n"
			 "\"pci_device_id\": \"0x1\", \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,\n"
			 "\"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256, \"numa_node\": 0}]}",
			 err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "duplicate serial"));
	assert_int_equal(open_err(fx, "{\"devices\": [}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.json:1:"));

	snprintf(path, sizeof(path), "%s/missing.json", fx->dir);
	cfg.emulated_profile = path;
	assert_true(cxl_devset_open(&cfg, &fx->set, NULL, err, sizeof(err)) < 0);
	assert_null(fx->set);
}

/* The schema and the loader agree: every schema property is accepted, every
 * required one is enforced, anything else is refused. */
static void test_schema_matches_loader(void **state)
{
	struct fx *fx = *state;
	const char *src = getenv("CXLA_SOURCE_DIR");
	char path[512], err[512], jpath[256];
	json_t *schema, *props, *req, *val, *doc, *dev;
	json_error_t jerr;
	const char *key;
	size_t i;

	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/schemas/emulated-profile.schema.json", src);
	schema = json_load_file(path, 0, &jerr);
	assert_non_null(schema);
	assert_string_equal(json_string_value(json_object_get(schema, "$schema")),
			    "http://json-schema.org/draft-07/schema#");
	props = json_object_get(json_object_get(json_object_get(schema, "definitions"), "device"),
				"properties");
	req = json_object_get(json_object_get(json_object_get(schema, "definitions"), "device"),
			      "required");
	assert_non_null(props);
	assert_non_null(req);

	/* a device with every property */
	snprintf(jpath, sizeof(jpath), "%s/journal", fx->dir);
	doc = json_loads(cxl_emu_builtin_profile(), 0, &jerr);
	assert_non_null(doc);
	dev = json_array_get(json_object_get(doc, "devices"), 0);
	json_object_foreach(props, key, val) {
		if (json_object_get(dev, key))
			continue;
		if (strcmp(key, "health") == 0)
			json_object_set_new(dev, key, json_pack("{s:i}", "temperature_c", 50));
		else if (strcmp(key, "exec_journal") == 0)
			json_object_set_new(dev, key, json_string(jpath));
		else if (strcmp(key, "fault_control") == 0)
			json_object_set_new(dev, key, json_string("/nonexistent/fault.json"));
		else if (strcmp(key, "host") == 0)
			json_object_set_new(dev, key, json_string("0000:35:00.0"));
		else
			fail_msg("schema property %s has no value in this test", key);
	}
	{
		char *text = json_dumps(doc, JSON_INDENT(1));
		assert_int_equal(open_err(fx, text, err, sizeof(err)), 0);
		cxl_devset_free(fx->set);
		fx->set = NULL;
		free(text);
	}
	/* each required key is enforced */
	json_array_foreach(req, i, val) {
		json_t *copy = json_deep_copy(doc);
		char *text;
		json_object_del(json_array_get(json_object_get(copy, "devices"), 0),
				json_string_value(val));
		text = json_dumps(copy, JSON_INDENT(1));
		assert_int_equal(open_err(fx, text, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, json_string_value(val)));
		free(text);
		json_decref(copy);
	}
	/* and nothing else is accepted */
	json_object_set_new(dev, "extra", json_true());
	{
		char *text = json_dumps(doc, JSON_INDENT(1));
		assert_int_equal(open_err(fx, text, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "unknown key \"extra\""));
		free(text);
	}
	json_decref(doc);
	json_decref(schema);
}

static void test_data_profile(void **state)
{
	struct fx *fx = *state;
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	char path[512], err[512];
	const char *data = getenv("CXLA_TEST_DATA");
	struct cxl_dev_info info;

	if (!data)
		skip();
	snprintf(path, sizeof(path), "%s/cxl/profile-three.json", data);
	cfg.emulated_profile = path;
	cfg.state_dir = fx->state;
	assert_int_equal(cxl_devset_open(&cfg, &fx->set, NULL, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_count(fx->set), 3);
	/* serial 0: the id is the name */
	assert_int_equal(cxl_devset_info(fx->set, 2, &info), 0);
	assert_string_equal(info.id, "noserial");
	assert_string_equal(info.host, "0000:36:00.0");
	assert_int_equal(info.payload_max, 256);
	assert_int_equal(cxl_devset_find(fx->set, "noserial"), 2);
}

static void test_builtin_profile_text(void **state)
{
	(void)state;
	assert_non_null(strstr(cxl_emu_builtin_profile(), "0x1000000000000001"));
	assert_string_equal(cxl_emu_fault_name(CXL_EMU_FAULT_BUSY), "busy");
	assert_null(cxl_emu_fault_name(CXL_EMU_FAULT__COUNT));
}

static void test_auto_selection(void **state)
{
	struct fx *fx = *state;
	struct cxl_devset_config cfg = { .backends = { "auto" } };
	char err[512];
	const char *why = NULL;

	cfg.state_dir = fx->state;
	if (access("/dev/cxl", F_OK) == 0)
		skip(); /* a host with CXL hardware picks the kernel */
	assert_int_equal(cxl_devset_open(&cfg, &fx->set, &why, err, sizeof(err)), 0);
	assert_string_equal(cxl_devset_backend(fx->set), "emulated");
	assert_non_null(why);
	assert_non_null(strstr(why, "emulated"));
	assert_non_null(strstr(why, "/dev/cxl/mem"));
	cxl_devset_free(fx->set);
	fx->set = NULL;
	/* asking for the kernel explicitly without devices fails with a reason */
	cfg.backends[0] = "kernel";
	assert_true(cxl_devset_open(&cfg, &fx->set, &why, err, sizeof(err)) < 0);
	assert_null(fx->set);
	assert_true(strlen(err) > 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_builtin_inventory),
		T(test_identify_partition_fw),
		T(test_cel_matches_implementation),
		T(test_get_log_bounds),
		T(test_lsa),
		T(test_health_moves),
		T(test_health_deterministic),
		T(test_timestamp),
		T(test_event_records),
		T(test_event_ring),
		T(test_vendor_commands),
		T(test_background_operation),
		T(test_mailbox_count_and_oversize),
		T(test_delivery),
		T(test_generation),
		T(test_profile_errors),
		T(test_schema_matches_loader),
		T(test_data_profile),
		T(test_builtin_profile_text),
		T(test_auto_selection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
