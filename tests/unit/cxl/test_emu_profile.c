/* Emulated profile reading on its own (cxl/emulated/profile.h): what a
 * profile becomes, the model's defaults, owned paths, and that reading a
 * profile touches nothing on disk, so a configuration check can run it. */
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

#include "cxl/emulated/emulated.h"
#include "cxl/emulated/profile.h"
#include "support/tmpdir.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	assert_int_equal(tmpdir_make(fx->dir, sizeof(fx->dir), "prof"), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/profile.json", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(tmpdir_remove(fx->dir), 0);
	free(fx);
	return 0;
}

static void write_profile(const struct fx *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_builtin(void **state)
{
	struct emu_profile p;
	char err[256];
	(void)state;

	assert_int_equal(emu_profile_load(NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.dev[0].name, "emu0");
	assert_true(p.dev[0].serial == 0x1000000000000001ull);
	assert_int_equal(p.dev[0].vid, 0x8086);
	assert_int_equal(p.dev[0].did, 0x0d93);
	assert_string_equal(p.dev[0].fw, "EMU FW 1.0.0");
	assert_true(p.dev[0].vol == 4294967296ull && p.dev[0].pers == 4294967296ull);
	assert_int_equal(p.dev[0].lsa_size, 131072);
	assert_int_equal(p.dev[0].payload_max, 4096);
	assert_int_equal(p.dev[0].numa, 0);
	assert_int_equal(p.dev[1].numa, -1);
	assert_int_equal(p.dev[1].payload_max, 2048);
	assert_true(p.dev[1].pers == 0);
	/* health defaults of the model */
	assert_int_equal(p.dev[0].base_temp, 35);
	assert_int_equal(p.dev[0].base_life, 2);
	assert_int_equal(p.dev[0].per_degree, 100);
	assert_int_equal(p.dev[0].per_life, 1000);
	assert_int_equal(p.dev[0].dirty_shutdowns, 0);
	assert_null(p.dev[0].fault_path);
	assert_null(p.dev[0].journal_path);
	assert_string_equal(p.dev[0].host, "");
	emu_profile_release(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.dev);
}

/* Every key, and nothing is created: not the journal, not label storage. */
static void test_full_device_and_no_side_effects(void **state)
{
	struct fx *fx = *state;
	struct emu_profile p;
	char text[1024], journal[160], fault[160], err[256];

	snprintf(journal, sizeof(journal), "%s/journal.log", fx->dir);
	snprintf(fault, sizeof(fault), "%s/fault.json", fx->dir);
	snprintf(text, sizeof(text),
		 "{\"devices\": [{\"name\": \"x-1.a\", \"serial\": \"0xabc\","
		 " \"pci_vendor_id\": \"0x1e98\", \"pci_device_id\": \"0xffff\","
		 " \"firmware_revision\": \"R 7\", \"volatile_bytes\": 0,"
		 " \"persistent_bytes\": 536870912, \"lsa_bytes\": 4096, \"payload_max\": 1024,"
		 " \"numa_node\": 3, \"host\": \"0000:0d:00.0\", \"fault_control\": \"%s\","
		 " \"exec_journal\": \"%s\", \"health\": {\"temperature_c\": -5,"
		 " \"life_used_pct\": 40, \"commands_per_degree\": 7, \"commands_per_life_pct\": 9,"
		 " \"dirty_shutdowns\": 11}}]}",
		 fault, journal);
	write_profile(fx, text);
	assert_int_equal(emu_profile_load(fx->path, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.dev[0].name, "x-1.a");
	assert_true(p.dev[0].serial == 0xabc);
	assert_int_equal(p.dev[0].vid, 0x1e98);
	assert_string_equal(p.dev[0].host, "0000:0d:00.0");
	assert_string_equal(p.dev[0].fault_path, fault);
	assert_string_equal(p.dev[0].journal_path, journal);
	assert_int_equal(p.dev[0].base_temp, -5);
	assert_int_equal(p.dev[0].base_life, 40);
	assert_int_equal(p.dev[0].per_degree, 7);
	assert_int_equal(p.dev[0].per_life, 9);
	assert_int_equal(p.dev[0].dirty_shutdowns, 11);
	assert_int_equal(access(journal, F_OK), -1);
	emu_profile_release(&p);
}

static void test_errors_leave_nothing(void **state)
{
	struct fx *fx = *state;
	struct emu_profile p;
	char err[256];

	write_profile(fx, "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\","
			  " \"pci_vendor_id\": \"0x1\", \"pci_device_id\": \"0x1\","
			  " \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,"
			  " \"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256,"
			  " \"numa_node\": 0, \"fault_control\": \"/tmp/f\"},"
			  " {\"name\": \"a\", \"serial\": \"0x2\","
			  " \"pci_vendor_id\": \"0x1\", \"pci_device_id\": \"0x1\","
			  " \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,"
			  " \"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256,"
			  " \"numa_node\": 0}]}");
	assert_int_equal(emu_profile_load(fx->path, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duplicate device name"));
	assert_non_null(strstr(err, "profile.json:1:"));
	assert_int_equal(p.n, 0);
	assert_null(p.dev);

	write_profile(fx, "{\"devices\": [{\"name\": \"a\", \"serial\": \"0x1\","
			  " \"pci_vendor_id\": \"0x1\", \"pci_device_id\": \"0x1\","
			  " \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,"
			  " \"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256,"
			  " \"numa_node\": 0, \"health\": {\"temperature_c\": 126}}]}");
	assert_int_equal(emu_profile_load(fx->path, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"temperature_c\" must be between -40 and 125"));

	write_profile(fx, "{\"devices\": [{\"name\": \"a b\", \"serial\": \"0x1\","
			  " \"pci_vendor_id\": \"0x1\", \"pci_device_id\": \"0x1\","
			  " \"firmware_revision\": \"x\", \"volatile_bytes\": 268435456,"
			  " \"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256,"
			  " \"numa_node\": 0}]}");
	assert_int_equal(emu_profile_load(fx->path, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "letters, digits"));

	assert_int_equal(emu_profile_load("/nonexistent/profile.json", &p, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(p.n, 0);
}

/* The built-in text and the built-in load are the same profile. */
static void test_builtin_text_loads_the_same(void **state)
{
	struct fx *fx = *state;
	struct emu_profile a, b;
	char err[256];

	write_profile(fx, cxl_emu_builtin_profile());
	assert_int_equal(emu_profile_load(NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(emu_profile_load(fx->path, &b, err, sizeof(err)), 0);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.dev[i].name, b.dev[i].name);
		assert_true(a.dev[i].serial == b.dev[i].serial);
		assert_true(a.dev[i].vol == b.dev[i].vol);
		assert_int_equal(a.dev[i].payload_max, b.dev[i].payload_max);
	}
	emu_profile_release(&a);
	emu_profile_release(&b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_builtin),
		T(test_full_device_and_no_side_effects),
		T(test_errors_leave_nothing),
		T(test_builtin_text_loads_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
