/* The policy catalogue: loading, strict validation with file:line:column
 * errors (cases are data files in tests/data/policy/invalid/), lookups,
 * reference counting and the swappable cell. */
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

#include "auth/privilege.h"
#include "cxl/cel.h"
#include "policy/catalogue.h"
#include "policy/policy.h"
#include "support/tmpdir.h"

static char data_dir[1024];

static const char *data_path(const char *rel)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf), "%s/policy/%s", data_dir, rel);
	return buf;
}

static int setup(void **state)
{
	const char *d = getenv("CXLA_TEST_DATA");
	(void)state;
	snprintf(data_dir, sizeof(data_dir), "%s", d ? d : "tests/data");
	return 0;
}

static void test_valid(void **state)
{
	struct policy_catalogue *cat = NULL;
	char err[1024] = "";
	const struct policy_command *c;
	(void)state;

	assert_int_equal(catalogue_load(data_path("valid.json"), &cat, err, sizeof(err)), 0);
	assert_non_null(cat);
	assert_int_equal(catalogue_count(cat), 4);
	assert_string_equal(catalogue_source(cat), data_path("valid.json"));
	assert_int_equal(strlen(catalogue_digest(cat)), 64);

	c = catalogue_at(cat, 0);
	assert_string_equal(c->id, "read-telemetry");
	assert_string_equal(c->name, "Read vendor telemetry");
	assert_string_equal(c->description, "Returns counters; changes nothing.");
	assert_int_equal(c->opcode, 0xC000);
	assert_int_equal(c->match.vendor_id, 0x1e98);
	assert_int_equal(c->match.device_id, 0x0001);
	assert_null(c->match.serials);
	assert_null(c->match.firmware);
	assert_int_equal(c->effects, 0);
	assert_int_equal(c->min_bytes, 0);
	assert_int_equal(c->max_bytes, 0);
	assert_int_equal(c->privilege_floor, 0);

	c = catalogue_at(cat, 1);
	assert_string_equal(c->id, "set_boot_mode");
	assert_string_equal(c->description, "");
	assert_int_equal(c->opcode, 0xC001);
	assert_int_equal(c->match.vendor_id, 0x1e98);
	assert_int_equal(c->match.n_serials, 2);
	assert_true(c->match.serials[0] == 0x1000000000000001ull);
	assert_true(c->match.serials[1] == 0x1000000000000002ull);
	assert_string_equal(c->match.firmware, "EMU-FW 1.*");
	assert_int_equal(c->effects, CXL_EFFECT_CONFIG_CHANGE_COLD_RESET |
					     CXL_EFFECT_CONFIG_CHANGE_CXL_RESET |
					     CXL_EFFECT_EXTENDED_VALID);
	assert_int_equal(c->min_bytes, 4);
	assert_int_equal(c->max_bytes, 4);
	assert_int_equal(c->privilege_floor, PRIV_CXL_COMMAND_WRITE_FULL);

	c = catalogue_at(cat, 3);
	assert_int_equal(c->effects, CXL_EFFECT_BACKGROUND_OPERATION | CXL_EFFECT_REQUEST_ABORT);
	assert_int_equal(c->max_bytes, 1048576);
	assert_null(catalogue_at(cat, 4));

	assert_ptr_equal(catalogue_find_id(cat, "set-boot-mode-fw2"), catalogue_at(cat, 2));
	assert_null(catalogue_find_id(cat, "nope"));
	assert_null(catalogue_find_id(cat, "Read-Telemetry"));
	catalogue_unref(cat);
}

static void test_find_by_identity(void **state)
{
	struct policy_catalogue *cat = NULL;
	char err[1024] = "";
	struct policy_device dev = { 0x1e98, 0x0001, 0x1000000000000001ull, "EMU-FW 1.2       ",
				     2048 };
	(void)state;

	assert_int_equal(catalogue_load(data_path("valid.json"), &cat, err, sizeof(err)), 0);
	assert_ptr_equal(catalogue_find(cat, 0xC000, &dev), catalogue_find_id(cat, "read-telemetry"));
	assert_ptr_equal(catalogue_find(cat, 0xC001, &dev), catalogue_find_id(cat, "set_boot_mode"));
	dev.firmware = "EMU-FW 2.0";
	assert_ptr_equal(catalogue_find(cat, 0xC001, &dev),
			 catalogue_find_id(cat, "set-boot-mode-fw2"));
	dev.firmware = "EMU-FW 3.0";
	assert_null(catalogue_find(cat, 0xC001, &dev));
	dev.firmware = "EMU-FW 1.0";
	dev.serial = 0x1000000000000003ull;
	assert_null(catalogue_find(cat, 0xC001, &dev));
	dev.device_id = 0x0002;
	assert_ptr_equal(catalogue_find(cat, 0xC000, &dev), catalogue_find_id(cat, "other-device"));
	dev.vendor_id = 0x8086;
	assert_null(catalogue_find(cat, 0xC000, &dev));
	assert_null(catalogue_find(cat, 0xC0FF, &dev));
	catalogue_unref(cat);
}

/* Overlaps the load-time check cannot prove make the lookup fail closed. */
static void test_ambiguous_lookup_fails_closed(void **state)
{
	static const char text[] =
		"{\"commands\": ["
		"{\"id\": \"a\", \"name\": \"A\", \"opcode\": \"0xC000\","
		" \"match\": {\"vendor_id\": \"0x1e98\", \"device_id\": \"0x0001\", \"firmware\": \"EMU-FW 1*\"},"
		" \"effects\": [], \"input\": {\"min_bytes\": 0, \"max_bytes\": 0}},"
		"{\"id\": \"b\", \"name\": \"B\", \"opcode\": \"0xC000\","
		" \"match\": {\"vendor_id\": \"0x1e98\", \"device_id\": \"0x0001\", \"firmware\": \"EMU-FW *.0\"},"
		" \"effects\": [], \"input\": {\"min_bytes\": 0, \"max_bytes\": 0}}]}";
	struct policy_catalogue *cat = NULL;
	char err[1024] = "";
	struct policy_device dev = { 0x1e98, 0x0001, 1, "EMU-FW 1.0", 2048 };
	(void)state;

	assert_int_equal(catalogue_parse("mem.json", text, strlen(text), &cat, err, sizeof(err)),
			 0);
	assert_null(catalogue_find(cat, 0xC000, &dev));
	dev.firmware = "EMU-FW 1.1";
	assert_ptr_equal(catalogue_find(cat, 0xC000, &dev), catalogue_find_id(cat, "a"));
	dev.firmware = "EMU-FW 2.0";
	assert_ptr_equal(catalogue_find(cat, 0xC000, &dev), catalogue_find_id(cat, "b"));
	catalogue_unref(cat);
}

/* Invalid files: the message names file:line:column and what is wrong. */
static const struct {
	const char *file;
	const char *where; /* "line:col" or "line:" */
	const char *what[3];
} invalid[] = {
	{ "unknown_key.json", "7:63", { "unknown key \"serial\"" } },
	{ "unknown_top_key.json", "1:18", { "unknown key \"comands\"" } },
	{ "wrong_type.json", "9:46", { "\"max_bytes\" must be an integer", "not a string" } },
	{ "opcode_number.json", "3:40", { "\"opcode\" must be a string", "not an integer" } },
	{ "duplicate_id.json", "6:12", { "duplicate id \"same\"" } },
	{ "kernel_owned_4400.json", "3:40",
	  { "opcode 0x4400", "kernel-owned", "sanitize" } },
	{ "kernel_owned_4103.json", "3:40", { "opcode 0x4103", "kernel-owned", "label storage" } },
	{ "kernel_owned_0202.json", "3:40",
	  { "opcode 0x0202", "kernel-owned", "firmware activation" } },
	{ "kernel_owned_4501.json", "3:40", { "opcode 0x4501", "kernel-owned", "passphrase" } },
	{ "kernel_owned_4304.json", "3:40", { "opcode 0x4304", "kernel-owned", "scan media" } },
	{ "kernel_owned_4101.json", "3:40", { "opcode 0x4101", "kernel-owned", "partition" } },
	{ "unknown_effect.json", "5:40", { "unknown effect \"Reserved12\"", "ImmediateLogChange" } },
	{ "security_effect.json", "5:18", { "SecurityStateChange", "never be approved" } },
	{ "reset_bits_without_valid.json", "5:17", { "only valid with ExtendedEffectsValid" } },
	{ "duplicate_effect.json", "5:40", { "listed twice" } },
	{ "min_gt_max.json", "6:29", { "min_bytes (8) is greater than max_bytes (4)" } },
	{ "max_too_big.json", "6:45", { "between 0 and 1048576" } },
	{ "malformed.json", "3:", { "" } },
	{ "bad_id.json", "3:12", { "id \"../etc\"", "[A-Za-z0-9_-]" } },
	{ "overlap.json", "6:40", { "opcode 0xC000 is already approved by \"a\"", "overlapping" } },
	{ "bad_floor.json", "6:25", { "privilege_floor \"ConfigureManager\"" } },
	{ "bad_serial.json", "4:74", { "1 to 16 hex digits" } },
	{ "missing_input.json", "3:5", { "missing required key \"input\"" } },
	{ "bad_vendor.json", "4:29", { "vendor_id \"1e98\"", "4 hex digits" } },
	{ "version2.json", "1:13", { "unsupported catalogue version 2" } },
	{ "not_object.json", "1:1", { "must be an object, not an array" } },
	{ "command_not_object.json", "1:15", { "a command must be an object, not a string" } },
};

static void test_invalid_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char rel[256], prefix[2400], err[1024] = "";
		struct policy_catalogue *cat = (struct policy_catalogue *)0x1;
		int rc;

		snprintf(rel, sizeof(rel), "invalid/%s", invalid[i].file);
		rc = catalogue_load(data_path(rel), &cat, err, sizeof(err));
		if (rc != -EINVAL || cat != NULL)
			fail_msg("%s: rc %d, expected -EINVAL (%s)", invalid[i].file, rc, err);
		snprintf(prefix, sizeof(prefix), "%s:%s", data_path(rel), invalid[i].where);
		if (strncmp(err, prefix, strlen(prefix)) != 0)
			fail_msg("%s: message \"%s\" does not start with \"%s\"", invalid[i].file, err,
				 prefix);
		for (int k = 0; k < 3 && invalid[i].what[k]; k++)
			if (!strstr(err, invalid[i].what[k]))
				fail_msg("%s: message \"%s\" lacks \"%s\"", invalid[i].file, err,
					 invalid[i].what[k]);
	}
}

static void test_missing_and_empty(void **state)
{
	struct policy_catalogue *cat = (struct policy_catalogue *)0x1;
	char err[1024] = "", dir[48], path[1100];
	FILE *f;
	(void)state;

	assert_int_equal(catalogue_load(data_path("does-not-exist.json"), &cat, err, sizeof(err)),
			 -ENOENT);
	assert_null(cat);
	assert_non_null(strstr(err, "does-not-exist.json"));
	assert_non_null(strstr(err, "No such file"));

	/* a directory is not a catalogue */
	assert_int_equal(catalogue_load(data_dir, &cat, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "cat"), 0);
	snprintf(path, sizeof(path), "%s/empty.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(" \n\t\n", f);
	fclose(f);
	assert_int_equal(catalogue_load(path, &cat, err, sizeof(err)), 0);
	assert_non_null(cat);
	assert_int_equal(catalogue_count(cat), 0);
	assert_string_equal(catalogue_digest(cat), "");
	catalogue_unref(cat);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"commands\": []}", f);
	fclose(f);
	assert_int_equal(catalogue_load(path, &cat, err, sizeof(err)), 0);
	assert_int_equal(catalogue_count(cat), 0);
	assert_int_equal(strlen(catalogue_digest(cat)), 64);
	/* The text it came from travels with it: another process parses the
	 * same catalogue without reading the file again. */
	{
		size_t len = 1;
		assert_string_equal(catalogue_text(cat, &len), "{\"commands\": []}");
		assert_int_equal(len, strlen("{\"commands\": []}"));
		catalogue_unref(cat);
		cat = catalogue_new_empty();
		assert_string_equal(catalogue_text(cat, &len), "");
		assert_int_equal(len, 0);
	}
	catalogue_unref(cat);
	unlink(path);
	rmdir(dir);

	cat = catalogue_new_empty();
	assert_non_null(cat);
	assert_int_equal(catalogue_count(cat), 0);
	assert_null(catalogue_at(cat, 0));
	assert_null(catalogue_find_id(cat, "x"));
	catalogue_unref(cat);
}

/* The shipped example must load and approve the emulated devices' vendor
 * opcodes, each in the scope its effects imply. */
static void test_example_catalogue(void **state)
{
	const char *src = getenv("CXLA_SOURCE_DIR");
	char path[2048], err[1024] = "";
	struct policy_catalogue *cat = NULL;
	int scopes[4] = { 0 };
	(void)state;

	snprintf(path, sizeof(path), "%s/packaging/policy.example.json", src ? src : ".");
	if (catalogue_load(path, &cat, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(catalogue_count(cat), 4);
	for (size_t i = 0; i < catalogue_count(cat); i++) {
		const struct policy_command *c = catalogue_at(cat, i);
		assert_true(c->opcode >= 0xC000);
		scopes[policy_scope_of(c->effects, 1)]++;
	}
	/* C000h read; C001h after cold reset; C002h immediate; C003h background
	 * with an immediate data change */
	assert_int_equal(scopes[POLICY_SCOPE_READ], 1);
	assert_int_equal(scopes[POLICY_SCOPE_CONFIGURE], 1);
	assert_int_equal(scopes[POLICY_SCOPE_WRITE_FULL], 2);
	assert_int_equal(scopes[POLICY_SCOPE_REFUSED], 0);
	catalogue_unref(cat);
}

static void test_refcount_and_cell(void **state)
{
	struct policy_catalogue *a = NULL, *b = NULL, *held;
	struct catalogue_cell cell;
	char err[1024];
	(void)state;

	assert_int_equal(catalogue_load(data_path("valid.json"), &a, err, sizeof(err)), 0);
	b = catalogue_new_empty();
	assert_int_equal(catalogue_cell_init(&cell, a), 0);

	held = catalogue_cell_get(&cell); /* an in-flight request */
	assert_ptr_equal(held, a);
	catalogue_cell_replace(&cell, b); /* SIGHUP */
	/* the request still sees the old catalogue, intact (ASan checks) */
	assert_int_equal(catalogue_count(held), 4);
	assert_string_equal(catalogue_at(held, 0)->id, "read-telemetry");
	catalogue_unref(held);

	held = catalogue_cell_get(&cell);
	assert_ptr_equal(held, b);
	catalogue_unref(held);
	catalogue_cell_destroy(&cell);

	assert_ptr_equal(catalogue_ref(NULL), NULL);
	catalogue_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_find_by_identity),
		cmocka_unit_test(test_ambiguous_lookup_fails_closed),
		cmocka_unit_test(test_invalid_files),
		cmocka_unit_test(test_missing_and_empty),
		cmocka_unit_test(test_example_catalogue),
		cmocka_unit_test(test_refcount_and_cell),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
