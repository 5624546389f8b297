/* Fault injection of the emulated model, through the C API and through the
 * per-device control file, and the execution journal. */
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

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emu_hooks.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "support/stderr_capture.h"
#include "support/tmpdir.h"
#include "util/fileio.h"
#include "util/log.h"

struct fx {
	char dir[64];
	char ctl0[128], ctl1[128], journal[128];
	struct cxl_devset *set;
};

/* Atomic replace: a new inode each time, as an operator's editor would do. */
static void write_ctl(const char *path, const char *text)
{
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600), 0);
}

static int open_set(struct fx *fx)
{
	struct cxl_devset_config cfg = { 0 };
	char prof[192], text[2048], err[512];

	snprintf(prof, sizeof(prof), "%s/profile.json", fx->dir);
	snprintf(text, sizeof(text),
		 "{\"devices\": [\n"
		 " {\"name\": \"f0\", \"serial\": \"0xf0\", \"pci_vendor_id\": \"0x8086\",\n"
		 "  \"pci_device_id\": \"0x0d93\", \"firmware_revision\": \"F0\",\n"
		 "  \"volatile_bytes\": 268435456, \"persistent_bytes\": 268435456,\n"
		 "  \"lsa_bytes\": 4096, \"payload_max\": 512, \"numa_node\": 0,\n"
		 "  \"fault_control\": \"%s\", \"exec_journal\": \"%s\"},\n"
		 " {\"name\": \"f1\", \"serial\": \"0xf1\", \"pci_vendor_id\": \"0x8086\",\n"
		 "  \"pci_device_id\": \"0x0d93\", \"firmware_revision\": \"F1\",\n"
		 "  \"volatile_bytes\": 268435456, \"persistent_bytes\": 0,\n"
		 "  \"lsa_bytes\": 0, \"payload_max\": 256, \"numa_node\": 0,\n"
		 "  \"fault_control\": \"%s\", \"exec_journal\": \"%s\"}]}\n",
		 fx->ctl0, fx->journal, fx->ctl1, fx->journal);
	{
		FILE *f = fopen(prof, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	cfg.backends[0] = "emulated";
	cfg.emulated_profile = prof;
	cfg.state_dir = fx->dir;
	cfg.default_timeout_ms = 2000;
	cfg.refresh_interval_ms = 3600000; /* no refresh consumes injected faults */
	return cxl_devset_open(&cfg, &fx->set, NULL, err, sizeof(err));
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	log_set_level(LOG_LVL_ERROR);
	assert_int_equal(tmpdir_make(fx->dir, sizeof(fx->dir), "fault"), 0);
	snprintf(fx->ctl0, sizeof(fx->ctl0), "%s/fault0.json", fx->dir);
	snprintf(fx->ctl1, sizeof(fx->ctl1), "%s/fault1.json", fx->dir);
	snprintf(fx->journal, sizeof(fx->journal), "%s/journal.jsonl", fx->dir);
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

static struct cxl_cmd_result run_t(struct cxl_devset *set, size_t idx, uint16_t op,
				   const void *in, size_t in_len, unsigned timeout_ms)
{
	struct cxl_cmd cmd = { .opcode = op, .in = in, .in_len = in_len, .timeout_ms = timeout_ms };
	struct cxl_cmd_result res;
	assert_int_equal(cxl_devset_submit(set, idx, &cmd, &res), 0);
	return res;
}

static void expect(struct cxl_devset *set, size_t idx, uint16_t op, int transport, uint16_t rc)
{
	struct cxl_cmd_result r = run_t(set, idx, op, NULL, 0, 0);
	if (r.transport != transport || r.mbox_rc != rc)
		print_message("0x%04x: transport %d rc %u; want %d %u\n", op, r.transport,
			      r.mbox_rc, transport, rc);
	assert_int_equal(r.transport, transport);
	assert_int_equal(r.mbox_rc, rc);
	if (transport || rc)
		assert_int_equal(r.out_len, 0);
	cxl_cmd_result_clear(&r);
}

static uint64_t executed(struct cxl_devset *set, size_t idx)
{
	uint64_t n = 0;
	assert_int_equal(emu_commands_executed(set, idx, &n), 0);
	return n;
}

static void test_rc_faults_api(void **state)
{
	struct fx *fx = *state;
	static const struct {
		enum cxl_emu_fault f;
		uint16_t rc;
	} cases[] = {
		{ CXL_EMU_FAULT_BUSY, CXL_MBOX_BUSY },
		{ CXL_EMU_FAULT_RETRY, CXL_MBOX_RETRY_REQUIRED },
		{ CXL_EMU_FAULT_INTERNAL, CXL_MBOX_INTERNAL_ERROR },
		{ CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH, CXL_MBOX_INVALID_PAYLOAD_LENGTH },
	};

	assert_int_equal(open_set(fx), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = executed(fx->set, 0);
		assert_int_equal(emu_inject(fx->set, 0, cases[i].f, 2, -1), 0);
		expect(fx->set, 0, CXL_OP_IDENTIFY, 0, cases[i].rc);
		expect(fx->set, 0, 0xC000, 0, cases[i].rc);
		/* the faulted commands did not execute */
		assert_true(executed(fx->set, 0) == before);
		expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
		assert_true(executed(fx->set, 0) == before + 1);
		/* the other device was never affected */
		expect(fx->set, 1, CXL_OP_IDENTIFY, 0, 0);
	}
	/* opcode filter */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_BUSY, 1, 0xC000), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	expect(fx->set, 0, 0xC000, 0, CXL_MBOX_BUSY);
	expect(fx->set, 0, 0xC000, 0, 0);
	/* until cleared */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_RETRY, -1, -1), 0);
	for (int i = 0; i < 5; i++)
		expect(fx->set, 0, CXL_OP_GET_FW_INFO, 0, CXL_MBOX_RETRY_REQUIRED);
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_NONE, 0, -1), 0);
	expect(fx->set, 0, CXL_OP_GET_FW_INFO, 0, 0);
	/* bad arguments */
	assert_int_equal(emu_inject(fx->set, 5, CXL_EMU_FAULT_BUSY, 1, -1), -ERANGE);
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT__COUNT, 1, -1), -EINVAL);
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_BUSY, 1, 0x10000), -EINVAL);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_timeout_api(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct timespec t0;
	uint64_t before;

	assert_int_equal(open_set(fx), 0);
	before = executed(fx->set, 0);
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_TIMEOUT, 1, 0xC002), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run_t(fx->set, 0, 0xC002, "\1\0\0\0", 4, 300);
	assert_int_equal(r.transport, -ETIMEDOUT);
	assert_null(r.out);
	assert_true(since(&t0) >= 0.28 && since(&t0) < 2.0);
	cxl_cmd_result_clear(&r);
	assert_true(executed(fx->set, 0) == before); /* never executed */
	/* the device is usable afterwards */
	r = run_t(fx->set, 0, 0xC002, "\1\0\0\0", 4, 300);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.mbox_rc, 0);
	cxl_cmd_result_clear(&r);
}

static void test_vanish_api(void **state)
{
	struct fx *fx = *state;
	struct cxl_dev_info info;
	struct cxl_health h;
	struct cxl_delivery_info di;
	struct cxl_cel cel;
	uint64_t gen;

	assert_int_equal(open_set(fx), 0);
	assert_int_equal(cxl_devset_info(fx->set, 0, &info), 0);
	assert_true(info.present);
	gen = info.generation;
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_VANISH, 1, -1), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, -ENODEV, 0);
	/* gone for good, the rest of the set is fine */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_NONE, 0, -1), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, -ENODEV, 0);
	expect(fx->set, 1, CXL_OP_IDENTIFY, 0, 0);
	assert_int_equal(cxl_devset_info(fx->set, 0, &info), 0);
	assert_false(info.present);
	assert_true(info.generation > gen);
	assert_string_equal(info.id, "00000000000000f0"); /* the cache stays readable */
	assert_int_equal(cxl_devset_health(fx->set, 0, &h), 0);
	assert_false(h.valid);
	assert_int_equal(cxl_devset_delivery(fx->set, 0, 0xC000, &di), 0);
	assert_null(di.path);
	assert_true(strlen(di.reason) > 0);
	assert_int_equal(cxl_devset_cel(fx->set, 0, &cel), 0);
	assert_true(cel.count > 0);
	cxl_cel_free(&cel);
}

static void test_garbage_lengths_api(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct cxl_supported_log *logs;
	size_t n;

	assert_int_equal(open_set(fx), 0);
	/* out_len beyond the buffer and payload_max: caught, nothing returned */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_OVERSIZE_REPLY, 1, -1), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, -EPROTO, 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	/* more than asked, within payload_max: visible to the caller */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_LONG_REPLY, 1, -1), 0);
	r = run_t(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.out_len, CXL_IDENTIFY_LEN + 4);
	assert_int_equal(r.out[CXL_IDENTIFY_LEN], 0xEE);
	cxl_cmd_result_clear(&r);
	/* malformed CEL advertised by Get Supported Logs */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_BAD_CEL, 1, -1), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0); /* bad_cel only hits 0400h */
	r = run_t(fx->set, 0, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(cxl_parse_supported_logs(r.out, r.out_len, &logs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_not_equal(logs[0].size % 4, 0);
	free(logs);
	cxl_cmd_result_clear(&r);
	r = run_t(fx->set, 0, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, 0);
	assert_int_equal(cxl_get_le32(r.out + 24) % 4, 0);
	cxl_cmd_result_clear(&r);
}

static void test_control_file_faults_at_open(void **state)
{
	struct fx *fx = *state;
	struct cxl_cel cel;
	struct cxl_health h;
	struct cxl_dev_info info;

	/* a malformed CEL at open: the device stays, with no CEL and no health */
	write_ctl(fx->ctl0, "{\"fault\": \"bad_cel\", \"count\": 1}");
	/* the other device vanishes while being opened */
	write_ctl(fx->ctl1, "{\"fault\": \"vanish\"}");
	assert_int_equal(open_set(fx), 0);
	assert_int_equal(cxl_devset_cel(fx->set, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	assert_int_equal(cxl_devset_health(fx->set, 0, &h), 0);
	assert_false(h.valid);
	assert_int_equal(cxl_devset_info(fx->set, 0, &info), 0);
	assert_true(info.present);
	assert_true(info.has_partition); /* inventory still works */
	assert_int_equal(cxl_devset_info(fx->set, 1, &info), 0);
	assert_false(info.present);
}

static void test_control_file(void **state)
{
	struct fx *fx = *state;
	struct cxl_cmd_result r;
	struct timespec t0;
	struct cxl_dev_info info;

	assert_int_equal(open_set(fx), 0);
	write_ctl(fx->ctl0, "{\"fault\": \"busy\", \"count\": 2, \"opcode\": \"0xC000\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	expect(fx->set, 0, 0xC000, 0, CXL_MBOX_BUSY);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	expect(fx->set, 0, 0xC000, 0, CXL_MBOX_BUSY);
	expect(fx->set, 0, 0xC000, 0, 0); /* count consumed; file unchanged */
	expect(fx->set, 0, 0xC000, 0, 0);

	write_ctl(fx->ctl0, "{\"fault\": \"retry\"}");
	expect(fx->set, 0, CXL_OP_GET_FW_INFO, 0, CXL_MBOX_RETRY_REQUIRED);
	expect(fx->set, 0, CXL_OP_GET_FW_INFO, 0, CXL_MBOX_RETRY_REQUIRED);
	write_ctl(fx->ctl0, "{\"fault\": \"internal\", \"count\": 1, \"opcode\": 16384}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, CXL_MBOX_INTERNAL_ERROR);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	write_ctl(fx->ctl0, "{\"fault\": \"bad_payload_length\", \"count\": 1}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
	write_ctl(fx->ctl0, "{\"fault\": \"oversize_reply\", \"count\": 1}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, -EPROTO, 0);
	write_ctl(fx->ctl0, "{\"fault\": \"long_reply\", \"count\": 1}");
	r = run_t(fx->set, 0, CXL_OP_GET_HEALTH_INFO, NULL, 0, 0);
	assert_int_equal(r.out_len, CXL_HEALTH_INFO_LEN + 4);
	cxl_cmd_result_clear(&r);
	write_ctl(fx->ctl0, "{\"fault\": \"none\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);

	/* a broken file arms nothing */
	write_ctl(fx->ctl0, "{\"fault\": \"busy\", \"bogus\": 1}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	write_ctl(fx->ctl0, "{\"fault\": \"melt\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	write_ctl(fx->ctl0, "not json");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	write_ctl(fx->ctl0, "{\"fault\": \"busy\", \"opcode\": \"C000\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	/* removing the file clears the fault */
	write_ctl(fx->ctl0, "{\"fault\": \"busy\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, CXL_MBOX_BUSY);
	assert_int_equal(unlink(fx->ctl0), 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);

	/* timeout through the file */
	write_ctl(fx->ctl0, "{\"fault\": \"timeout\", \"count\": 1}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run_t(fx->set, 0, CXL_OP_IDENTIFY, NULL, 0, 250);
	assert_int_equal(r.transport, -ETIMEDOUT);
	assert_true(since(&t0) >= 0.23 && since(&t0) < 2.0);
	cxl_cmd_result_clear(&r);

	/* an event through the file, once per change */
	write_ctl(fx->ctl0, "{\"event\": \"fatal\"}");
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);
	r = run_t(fx->set, 0, CXL_OP_GET_EVENT_RECORDS, "\3", 1, 0);
	assert_int_equal(cxl_get_le16(r.out + 0x14), 1);
	cxl_cmd_result_clear(&r);

	/* vanish through the file */
	write_ctl(fx->ctl1, "{\"fault\": \"vanish\"}");
	expect(fx->set, 1, CXL_OP_IDENTIFY, -ENODEV, 0);
	write_ctl(fx->ctl1, "{\"fault\": \"none\"}");
	expect(fx->set, 1, CXL_OP_IDENTIFY, -ENODEV, 0);
	assert_int_equal(cxl_devset_info(fx->set, 1, &info), 0);
	assert_false(info.present);
}

static void test_exec_journal(void **state)
{
	struct fx *fx = *state;
	char *text = NULL;
	size_t len = 0;
	struct cxl_cmd_result r;

	assert_int_equal(open_set(fx), 0);
	expect(fx->set, 0, 0xC000, 0, 0);
	expect(fx->set, 0, CXL_OP_IDENTIFY, 0, 0);           /* not vendor: not journalled */
	r = run_t(fx->set, 0, 0xC002, "\2\0\0\0", 4, 0);
	assert_int_equal(r.mbox_rc, 0);
	cxl_cmd_result_clear(&r);
	expect(fx->set, 1, 0xC000, 0, 0);
	expect(fx->set, 0, 0xC004, 0, CXL_MBOX_UNSUPPORTED); /* not executed */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_BUSY, 1, -1), 0);
	expect(fx->set, 0, 0xC000, 0, CXL_MBOX_BUSY); /* not executed */
	assert_int_equal(emu_inject(fx->set, 0, CXL_EMU_FAULT_TIMEOUT, 1, -1), 0);
	r = run_t(fx->set, 0, 0xC000, NULL, 0, 100);
	assert_int_equal(r.transport, -ETIMEDOUT);
	cxl_cmd_result_clear(&r);

	assert_int_equal(file_read_all(fx->journal, 65536, &text, &len), 0);
	assert_string_equal(text,
			    "{\"device\":\"00000000000000f0\",\"opcode\":\"0xC000\",\"seq\":1}\n"
			    "{\"device\":\"00000000000000f0\",\"opcode\":\"0xC002\",\"seq\":2}\n"
			    "{\"device\":\"00000000000000f1\",\"opcode\":\"0xC000\",\"seq\":1}\n");
	free(text);
}

static void test_not_emulated(void **state)
{
	(void)state;
	assert_int_equal(cxl_emu_fault_parse("timeout", &(enum cxl_emu_fault){ 0 }), 0);
	assert_int_equal(cxl_emu_fault_parse("Busy", &(enum cxl_emu_fault){ 0 }), -EINVAL);
	for (int i = 0; i < CXL_EMU_FAULT__COUNT; i++) {
		enum cxl_emu_fault f;
		assert_int_equal(cxl_emu_fault_parse(cxl_emu_fault_name((enum cxl_emu_fault)i), &f), 0);
		assert_int_equal(f, i);
	}
}

/* stderr's lines that contain what, while oversize replies are answered */
static int oversize_lines(struct fx *fx, size_t idx, int n, const char *what)
{
	struct stderr_capture cap;

	assert_int_equal(stderr_capture_start(&cap), 0);
	assert_int_equal(emu_inject(fx->set, idx, CXL_EMU_FAULT_OVERSIZE_REPLY, n, -1), 0);
	for (int i = 0; i < n; i++)
		expect(fx->set, idx, CXL_OP_IDENTIFY, -EPROTO, 0);
	return stderr_capture_stop(&cap, what);
}

/* A device that answers every command with more than was asked: each is
 * refused, the log keeps the first few of that device's lines, and another
 * device's still have room. */
static void test_oversize_flood_log(void **state)
{
	struct fx *fx = *state;
	int n;

	assert_int_equal(open_set(fx), 0);
	log_set_level(LOG_LVL_WARN);
	n = oversize_lines(fx, 0, 100, "more than the");
	assert_true(n >= 1 && n <= 5);
	n = oversize_lines(fx, 1, 2, "more than the");
	log_set_level(LOG_LVL_ERROR);
	assert_int_equal(n, 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rc_faults_api),
		T(test_timeout_api),
		T(test_vanish_api),
		T(test_garbage_lengths_api),
		T(test_oversize_flood_log),
		T(test_control_file_faults_at_open),
		T(test_control_file),
		T(test_exec_journal),
		T(test_not_emulated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
