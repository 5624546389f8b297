/* The emulated backend's parts on their own, below the backend interface:
 * the device model (model.c), its command table (commands.c) and its fault
 * decisions (faults.c). The same behaviour seen through the device set is in
 * test_emulated.c and test_faults.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cxl/cel.h"
#include "cxl/emulated/model.h"
#include "support/tmpdir.h"
#include "util/log.h"

static const struct emu_profile_dev base = {
	.name = "m0",
	.serial = 0x42,
	.vid = 0x8086,
	.did = 0x0d93,
	.fw = "M 1",
	.vol = 268435456,
	.lsa_size = 64,
	.payload_max = 4096,
	.numa = -1,
	.base_temp = 70,
	.base_life = 2,
	.per_degree = 1,
	.per_life = 1000,
};

static void test_init_and_release(void **state)
{
	struct emu_dev d;
	struct emu_profile_dev p = base;
	char err[256], dir[48], journal[96];
	char fault[] = "/nonexistent/fault.json";
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "model"), 0);
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	p.journal_path = journal;
	p.fault_path = fault;
	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_dev_init(&d, &p, dir, err, sizeof(err)), 0);
	/* the description is copied and its paths duplicated */
	assert_ptr_not_equal(d.p.journal_path, journal);
	assert_string_equal(d.p.journal_path, journal);
	assert_ptr_not_equal(d.p.fault_path, fault);
	assert_string_equal(d.id, "0000000000000042");
	assert_non_null(strstr(d.lsa_path, "/0000000000000042.lsa"));
	for (uint32_t i = 0; i < p.lsa_size; i++)
		assert_int_equal(d.lsa[i], 0);
	/* the model creates the journal the profile only named */
	assert_int_equal(access(journal, F_OK), 0);
	assert_true(d.journal_fd >= 0);
	assert_int_equal(emu_journal(&d, 0xC000), 0);
	assert_true(d.vendor_seq == 1);
	assert_int_equal(d.fault_opcode, -1);
	assert_int_equal(emu_temperature(&d), 70);
	emu_dev_release(&d);

	/* a journal that cannot be created is an error naming it */
	snprintf(journal, sizeof(journal), "%s/no/such/dir/journal", dir);
	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_dev_init(&d, &p, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "exec_journal"));
	emu_dev_release(&d);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* One degree per command from 70: the warning at 75 and the critical at 90
 * each queue one Memory Module record, in the warning and failure logs. */
static void test_health_crossings(void **state)
{
	struct emu_dev d;
	char err[64];
	uint8_t h[CXL_HEALTH_INFO_LEN];
	(void)state;

	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_dev_init(&d, &base, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++)
		emu_tick(&d);
	assert_int_equal(emu_temperature(&d), 74);
	assert_int_equal(d.logs[CXL_EVENT_LOG_WARN].n, 0);
	emu_tick(&d);
	assert_int_equal(d.logs[CXL_EVENT_LOG_WARN].n, 1);
	assert_int_equal(d.logs[CXL_EVENT_LOG_WARN].rec[0][0x30], 3); /* temperature event */
	for (int i = 0; i < 15; i++)
		emu_tick(&d);
	assert_int_equal(emu_temperature(&d), 90);
	assert_int_equal(d.logs[CXL_EVENT_LOG_FAIL].n, 1);
	assert_int_equal(d.logs[CXL_EVENT_LOG_WARN].n, 1);
	emu_health_bytes(&d, h);
	assert_int_equal((h[2] >> 2) & 3, 2); /* temperature critical */
	assert_int_equal(h[0] & 0x02, 0x02); /* performance degraded */
	assert_int_equal((int16_t)cxl_get_le16(h + 4), 90);
	for (int i = 0; i < 100; i++)
		emu_tick(&d);
	assert_int_equal(emu_temperature(&d), EMU_MAX_TEMP);
	assert_int_equal(d.logs[CXL_EVENT_LOG_FAIL].n, 1); /* no new crossing */
	emu_dev_release(&d);
}

static void test_event_log_overflow(void **state)
{
	struct emu_dev d;
	char err[64];
	uint8_t data[1] = { 9 };
	(void)state;

	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_dev_init(&d, &base, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < EMU_LOG_CAP + 3; i++)
		emu_push_event(&d, CXL_EVENT_LOG_INFO, emu_uuid_vendor, data, sizeof(data));
	assert_int_equal(d.logs[CXL_EVENT_LOG_INFO].n, EMU_LOG_CAP);
	assert_int_equal(d.logs[CXL_EVENT_LOG_INFO].overflow, 3);
	for (int i = 0; i < EMU_LOG_CAP; i++) {
		const uint8_t *r = d.logs[CXL_EVENT_LOG_INFO].rec[i];
		assert_memory_equal(r, emu_uuid_vendor, 16);
		assert_int_equal(cxl_get_le16(r + 0x14), i + 1); /* handles from 1 */
		assert_int_equal(r[0x30], 9);
	}
	emu_dev_release(&d);
}

static void test_command_table(void **state)
{
	const struct emu_cmd *c;
	(void)state;

	assert_non_null(c = emu_cmd_find(CXL_OP_IDENTIFY));
	assert_int_equal(c->effects, 0);
	assert_non_null(c = emu_cmd_find(CXL_OP_CLEAR_EVENT_RECORDS));
	assert_int_equal(c->effects, CXL_EFFECT_IMMEDIATE_LOG_CHANGE);
	assert_non_null(c = emu_cmd_find(CXL_EMU_OP_BACKGROUND));
	assert_true(c->effects & CXL_EFFECT_BACKGROUND_OPERATION);
	assert_null(emu_cmd_find(0xC004));
	assert_null(emu_cmd_find(CXL_OP_SET_PARTITION_INFO)); /* not modelled */
}

static void test_fault_decisions(void **state)
{
	struct emu_dev d;
	char err[64];
	(void)state;

	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_dev_init(&d, &base, NULL, err, sizeof(err)), 0);
	assert_int_equal(emu_take_fault(&d, CXL_OP_IDENTIFY), CXL_EMU_FAULT_NONE);
	/* two hits, only for its opcode */
	emu_set_fault(&d, CXL_EMU_FAULT_BUSY, 2, 0xC000);
	assert_int_equal(emu_take_fault(&d, CXL_OP_IDENTIFY), CXL_EMU_FAULT_NONE);
	assert_int_equal(emu_take_fault(&d, 0xC000), CXL_EMU_FAULT_BUSY);
	assert_int_equal(emu_take_fault(&d, 0xC000), CXL_EMU_FAULT_BUSY);
	assert_int_equal(emu_take_fault(&d, 0xC000), CXL_EMU_FAULT_NONE);
	/* -1: until cleared; count 0 clears */
	emu_set_fault(&d, CXL_EMU_FAULT_RETRY, -1, -1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(emu_take_fault(&d, (uint16_t)i), CXL_EMU_FAULT_RETRY);
	emu_set_fault(&d, CXL_EMU_FAULT_RETRY, 0, -1);
	assert_int_equal(emu_take_fault(&d, 0), CXL_EMU_FAULT_NONE);
	/* bad_cel only ever concerns Get Supported Logs, and is not used up elsewhere */
	emu_set_fault(&d, CXL_EMU_FAULT_BAD_CEL, 1, -1);
	assert_int_equal(emu_take_fault(&d, CXL_OP_IDENTIFY), CXL_EMU_FAULT_NONE);
	assert_int_equal(emu_take_fault(&d, CXL_OP_GET_SUPPORTED_LOGS), CXL_EMU_FAULT_BAD_CEL);
	assert_int_equal(emu_take_fault(&d, CXL_OP_GET_SUPPORTED_LOGS), CXL_EMU_FAULT_NONE);
	/* an injected vendor record lands in the asked log */
	emu_vendor_event(&d, CXL_EVENT_LOG_FATAL);
	assert_int_equal(d.logs[CXL_EVENT_LOG_FATAL].n, 1);
	assert_int_equal(d.logs[CXL_EVENT_LOG_FATAL].rec[0][0x30], 0x02);
	emu_dev_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_release),
		cmocka_unit_test(test_health_crossings),
		cmocka_unit_test(test_event_log_overflow),
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_fault_decisions),
	};
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
