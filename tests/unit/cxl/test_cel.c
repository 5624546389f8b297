/* CEL and Get Supported Logs decoding, name tables, kernel-owned opcodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/cel.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static const uint16_t qemu72[13][2] = {
	{ 0x0100, 0x0000 }, { 0x0101, 0x0010 }, { 0x0102, 0x0000 }, { 0x0103, 0x0002 },
	{ 0x0200, 0x0000 }, { 0x0300, 0x0000 }, { 0x0301, 0x0008 }, { 0x0400, 0x0000 },
	{ 0x0401, 0x0000 }, { 0x4000, 0x0000 }, { 0x4100, 0x0000 }, { 0x4102, 0x0000 },
	{ 0x4103, 0x0006 },
};

static void test_qemu72_cel(void **state)
{
	uint8_t raw[13 * 4];
	struct cxl_cel cel;
	(void)state;
	for (int i = 0; i < 13; i++) {
		put16(raw + 4 * i, qemu72[i][0]);
		put16(raw + 4 * i + 2, qemu72[i][1]);
	}
	assert_int_equal(cxl_cel_parse(raw, sizeof(raw), &cel), 0);
	assert_int_equal(cel.count, 13);
	for (int i = 0; i < 13; i++) {
		assert_int_equal(cel.entries[i].opcode, qemu72[i][0]);
		assert_int_equal(cel.entries[i].effects, qemu72[i][1]);
		assert_int_equal(cxl_effects_reserved_bits(cel.entries[i].effects), 0);
	}
	assert_non_null(cxl_cel_find(&cel, 0x4103));
	assert_int_equal(cxl_cel_find(&cel, 0x4103)->effects,
			 CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE | CXL_EFFECT_IMMEDIATE_DATA_CHANGE);
	assert_int_equal(cxl_cel_find(&cel, 0x0101)->effects, CXL_EFFECT_IMMEDIATE_LOG_CHANGE);
	assert_int_equal(cxl_cel_find(&cel, 0x0301)->effects, CXL_EFFECT_IMMEDIATE_POLICY_CHANGE);
	assert_null(cxl_cel_find(&cel, 0x4200)); /* QEMU 7.2 has no Get Health Info */
	assert_null(cxl_cel_find(&cel, 0xC000));
	cxl_cel_free(&cel);
	assert_null(cel.entries);
	assert_int_equal(cel.count, 0);
}

static void test_cel_lengths(void **state)
{
	uint8_t raw[16] = { 0x00, 0x40, 0x00, 0x00, 0x00, 0xC0, 0x41, 0x00 };
	struct cxl_cel cel;
	(void)state;
	/* empty is valid */
	assert_int_equal(cxl_cel_parse(raw, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	assert_null(cel.entries);
	assert_int_equal(cxl_cel_parse(NULL, 0, &cel), 0);
	/* truncated entries and odd sizes */
	for (size_t len = 1; len < 8; len++) {
		if (len == 4)
			continue;
		assert_int_equal(cxl_cel_parse(raw, len, &cel), -EPROTO);
		assert_null(cel.entries);
	}
	assert_int_equal(cxl_cel_parse(raw, 8, &cel), 0);
	assert_int_equal(cel.count, 2);
	assert_int_equal(cel.entries[1].opcode, 0xC000);
	assert_int_equal(cel.entries[1].effects, 0x0041);
	cxl_cel_free(&cel);
	assert_int_equal(cxl_cel_parse(NULL, 4, &cel), -EPROTO);
}

static void test_cel_oversized_and_duplicates(void **state)
{
	size_t big = (65536u + 1) * 4;
	uint8_t *raw = calloc(1, big);
	struct cxl_cel cel;
	(void)state;
	assert_non_null(raw);
	assert_int_equal(cxl_cel_parse(raw, big, &cel), -EPROTO);
	/* the same opcode twice: ambiguous effects, refused */
	put16(raw, 0xC000);
	put16(raw + 2, 0);
	put16(raw + 4, 0xC000);
	put16(raw + 6, 0x0002);
	assert_int_equal(cxl_cel_parse(raw, 8, &cel), -EPROTO);
	free(raw);
}

/* A 64 KiB CEL of distinct opcodes is the largest kept: what the broker
 * carries to the front (a longer one made every start-up snapshot fail to
 * encode and the broker end its session). */
static void test_cel_bound(void **state)
{
	size_t n = 16384;
	uint8_t *raw = calloc(n + 1, 4);
	struct cxl_cel cel;
	(void)state;
	assert_non_null(raw);
	assert_int_equal(CXL_CEL_MAX_ENTRIES, n);
	for (size_t i = 0; i <= n; i++)
		put16(raw + 4 * i, (uint16_t)(0x8000 + i));
	assert_int_equal(cxl_cel_parse(raw, n * 4, &cel), 0);
	assert_int_equal(cel.count, n);
	assert_int_equal(cel.entries[n - 1].opcode, 0x8000 + n - 1);
	cxl_cel_free(&cel);
	assert_int_equal(cxl_cel_parse(raw, (n + 1) * 4, &cel), -EPROTO);
	assert_int_equal(cel.count, 0);
	/* a duplicate far apart is found too */
	put16(raw + 4 * (n - 1), 0x8000);
	assert_int_equal(cxl_cel_parse(raw, n * 4, &cel), -EPROTO);
	free(raw);
}

static void test_reserved_bits(void **state)
{
	uint8_t raw[12];
	struct cxl_cel cel;
	(void)state;
	put16(raw, 0xC000);
	put16(raw + 2, 0x8001); /* reserved bit 15 */
	put16(raw + 4, 0xC001);
	put16(raw + 6, 0x0400); /* bit 10 without bit 9: reserved */
	put16(raw + 8, 0xC002);
	put16(raw + 10, 0x0600); /* bit 10 with bit 9: conventional reset */
	assert_int_equal(cxl_cel_parse(raw, sizeof(raw), &cel), 0);
	/* the raw value is kept so policy can see and refuse it */
	assert_int_equal(cel.entries[0].effects, 0x8001);
	assert_int_equal(cxl_effects_reserved_bits(cel.entries[0].effects), 0x8000);
	assert_int_equal(cxl_effects_reserved_bits(cel.entries[1].effects), 0x0400);
	assert_int_equal(cxl_effects_reserved_bits(cel.entries[2].effects), 0);
	assert_int_equal(cxl_effects_reserved_bits(0xF000), 0xF000);
	assert_int_equal(CXL_EFFECT_RESERVED_MASK, 0xF000);
	cxl_cel_free(&cel);
}

static void test_supported_logs(void **state)
{
	uint8_t buf[8 + 2 * 20];
	struct cxl_supported_log *logs;
	size_t n;
	(void)state;
	memset(buf, 0, sizeof(buf));
	put16(buf, 1);
	/* QEMU 7.2 leaves junk in the six reserved bytes */
	memcpy(buf + 2, "\xde\xad\xbe\xef\x55\xaa", 6);
	memcpy(buf + 8, cxl_log_uuid_cel, 16);
	buf[24] = 52; /* le32 size */
	assert_int_equal(cxl_parse_supported_logs(buf, 28, &logs, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(logs[0].uuid, cxl_log_uuid_cel, 16);
	assert_int_equal(logs[0].size, 52);
	free(logs);

	/* two logs */
	put16(buf, 2);
	memcpy(buf + 28, cxl_log_uuid_vendor_debug, 16);
	buf[44] = 0x00;
	buf[45] = 0x10; /* 4096 */
	assert_int_equal(cxl_parse_supported_logs(buf, sizeof(buf), &logs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(logs[1].size, 4096);
	assert_memory_equal(logs[1].uuid, cxl_log_uuid_vendor_debug, 16);
	free(logs);

	/* count/size mismatches, truncation */
	assert_int_equal(cxl_parse_supported_logs(buf, 28, &logs, &n), -EPROTO);
	assert_null(logs);
	assert_int_equal(n, 0);
	assert_int_equal(cxl_parse_supported_logs(buf, sizeof(buf) - 1, &logs, &n), -EPROTO);
	put16(buf, 1);
	assert_int_equal(cxl_parse_supported_logs(buf, sizeof(buf), &logs, &n), -EPROTO);
	assert_int_equal(cxl_parse_supported_logs(buf, 7, &logs, &n), -EPROTO);
	assert_int_equal(cxl_parse_supported_logs(NULL, 0, &logs, &n), -EPROTO);
	put16(buf, 0xFFFF);
	assert_int_equal(cxl_parse_supported_logs(buf, sizeof(buf), &logs, &n), -EPROTO);
	/* zero logs is a valid, empty answer */
	put16(buf, 0);
	assert_int_equal(cxl_parse_supported_logs(buf, 8, &logs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(logs);
}

static void test_uuids(void **state)
{
	static const uint8_t cel[16] = { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
					 0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17 };
	(void)state;
	assert_memory_equal(cxl_log_uuid_cel, cel, 16);
	assert_int_equal(cxl_log_uuid_vendor_debug[0], 0x5e);
	assert_int_equal(cxl_log_uuid_vendor_debug[15], 0x86);
}

static void test_opcode_names(void **state)
{
	(void)state;
	assert_string_equal(cxl_opcode_name(0x4000), "Identify");
	assert_string_equal(cxl_opcode_name(0x0100), "Get Event Records");
	assert_string_equal(cxl_opcode_name(0x0101), "Clear Event Records");
	assert_string_equal(cxl_opcode_name(0x0400), "Get Supported Logs");
	assert_string_equal(cxl_opcode_name(0x0401), "Get Log");
	assert_string_equal(cxl_opcode_name(0x4102), "Get LSA");
	assert_string_equal(cxl_opcode_name(0x4103), "Set LSA");
	assert_string_equal(cxl_opcode_name(0x4200), "Get Health Info");
	assert_string_equal(cxl_opcode_name(0x4400), "Sanitize");
	assert_string_equal(cxl_opcode_name(0x4505), "Passphrase Secure Erase");
	assert_string_equal(cxl_opcode_name(0x0502), "Set Feature");
	assert_string_equal(cxl_opcode_name(0x0002), "Background Operation Status");
	assert_null(cxl_opcode_name(0xC000));
	assert_null(cxl_opcode_name(0xFFFF));
	assert_null(cxl_opcode_name(0x0000));
	assert_null(cxl_opcode_name(0x4206));
}

static void test_rc_names(void **state)
{
	(void)state;
	assert_string_equal(cxl_mbox_rc_name(0x00), "Success");
	assert_string_equal(cxl_mbox_rc_name(0x01), "Background Command Started");
	assert_string_equal(cxl_mbox_rc_name(0x02), "Invalid Input");
	assert_string_equal(cxl_mbox_rc_name(0x03), "Unsupported");
	assert_string_equal(cxl_mbox_rc_name(0x04), "Internal Error");
	assert_string_equal(cxl_mbox_rc_name(0x05), "Retry Required");
	assert_string_equal(cxl_mbox_rc_name(0x06), "Busy");
	assert_string_equal(cxl_mbox_rc_name(0x07), "Media Disabled");
	assert_string_equal(cxl_mbox_rc_name(0x16), "Invalid Payload Length");
	assert_string_equal(cxl_mbox_rc_name(0x17), "Invalid Log");
	assert_string_equal(cxl_mbox_rc_name(0x1E), "Invalid Extent List");
	for (uint16_t rc = 0; rc <= 0x1E; rc++)
		assert_non_null(cxl_mbox_rc_name(rc));
	assert_null(cxl_mbox_rc_name(0x1F));
	assert_null(cxl_mbox_rc_name(0xFFFF));
}

static void test_effect_names(void **state)
{
	static const char *const want[] = {
		"ConfigChangeAfterColdReset", "ImmediateConfigChange", "ImmediateDataChange",
		"ImmediatePolicyChange", "ImmediateLogChange", "SecurityStateChange",
		"BackgroundOperation", "SecondaryMailboxSupported", "RequestAbortSupported",
		"ExtendedEffectsValid", "ConfigChangeAfterConventionalReset",
		"ConfigChangeAfterCXLReset",
	};
	size_t i = 0;
	(void)state;
	for (; cxl_effect_names[i].name; i++) {
		assert_true(i < 12);
		assert_int_equal(cxl_effect_names[i].bit, i);
		assert_string_equal(cxl_effect_names[i].name, want[i]);
	}
	assert_int_equal(i, 12);
}

static void test_kernel_owned(void **state)
{
	(void)state;
	for (unsigned op = 0x4400; op <= 0x46FF; op++)
		assert_true(cxl_opcode_kernel_owned((uint16_t)op));
	for (unsigned op = 0x4300; op <= 0x4305; op++)
		assert_true(cxl_opcode_kernel_owned((uint16_t)op));
	assert_true(cxl_opcode_kernel_owned(0x0201));
	assert_true(cxl_opcode_kernel_owned(0x0202));
	assert_true(cxl_opcode_kernel_owned(0x4101));
	assert_true(cxl_opcode_kernel_owned(0x4103));
	assert_true(cxl_opcode_kernel_owned(0x4204));
	assert_false(cxl_opcode_kernel_owned(0x4000));
	assert_false(cxl_opcode_kernel_owned(0x4102));
	assert_false(cxl_opcode_kernel_owned(0x4200));
	assert_false(cxl_opcode_kernel_owned(0x4203));
	assert_false(cxl_opcode_kernel_owned(0x0200));
	assert_false(cxl_opcode_kernel_owned(0x43FF));
	assert_false(cxl_opcode_kernel_owned(0x4306));
	assert_false(cxl_opcode_kernel_owned(0x4700));
	assert_false(cxl_opcode_kernel_owned(0xC000));
	assert_false(cxl_opcode_kernel_owned(0xC003));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu72_cel),
		cmocka_unit_test(test_cel_lengths),
		cmocka_unit_test(test_cel_oversized_and_duplicates),
		cmocka_unit_test(test_cel_bound),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_supported_logs),
		cmocka_unit_test(test_uuids),
		cmocka_unit_test(test_opcode_names),
		cmocka_unit_test(test_rc_names),
		cmocka_unit_test(test_effect_names),
		cmocka_unit_test(test_kernel_owned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
