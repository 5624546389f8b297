/* The backend table: its rows, how auto walks it (order, fallback when a
 * backend that found devices cannot open, nothing found), names that are not
 * in it, and a device set over several backends at once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emulated/emulated.h"
#include "cxl/kernel/kernel.h"
#include "cxl/mctp/backend.h"
#include "cxl/mbox.h"
#include "support/tmpdir.h"
#include "util/log.h"

/* ---- a fake table: rows that record when auto probes and opens them ---- */

static char calls[256]; /* "probe:a open:a ..." in call order */

static void note(const char *what, const char *name)
{
	size_t used = strlen(calls);
	snprintf(calls + used, sizeof(calls) - used, "%s%s:%s", used ? " " : "", what, name);
}

struct fake {
	struct cxl_backend be;
	const char *name;
};

static void fake_free(struct cxl_backend *be)
{
	free(be);
}

static const struct cxl_backend_ops fake_ops = { .name = "fake", .free = fake_free };

static int fake_new(const char *name, struct cxl_backend **out)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->be.ops = &fake_ops;
	f->name = name;
	*out = &f->be;
	return 0;
}

#define FAKE_ROW(id, found, opens)                                                          \
	static bool probe_##id(char *n, size_t len)                                          \
	{                                                                                    \
		note("probe", #id);                                                          \
		snprintf(n, len, "%s", (found) ? #id " devices found" : "no " #id " device"); \
		return (found);                                                              \
	}                                                                                    \
	static int open_##id(const struct cxl_devset_config *cfg, struct cxl_backend **out,  \
			     char *errbuf, size_t errlen)                                    \
	{                                                                                    \
		(void)cfg;                                                                   \
		note("open", #id);                                                           \
		if (!(opens)) {                                                              \
			snprintf(errbuf, errlen, #id " refuses");                            \
			return -EACCES;                                                      \
		}                                                                            \
		return fake_new(#id, out);                                                   \
	}                                                                                    \
	static const struct cxl_backend_desc row_##id = {                                    \
		.name = #id, .probe = probe_##id, .open = open_##id, .paths = no_paths       \
	}

static const struct cxl_delivery_path *const no_paths[] = { NULL };

FAKE_ROW(absent, false, true);    /* finds nothing */
FAKE_ROW(broken, true, false);    /* finds devices, cannot open them */
FAKE_ROW(working, true, true);    /* finds and opens */
FAKE_ROW(fallback, true, true);   /* would also work */

static int open_manual(const struct cxl_devset_config *cfg, struct cxl_backend **out,
		       char *errbuf, size_t errlen)
{
	(void)cfg;
	(void)errbuf;
	(void)errlen;
	note("open", "manual");
	return fake_new("manual", out);
}
/* No probe: only ever used when named. */
static const struct cxl_backend_desc row_manual = {
	.name = "manual", .probe = NULL, .open = open_manual, .paths = no_paths
};

static const char *chosen(struct cxl_backend *be)
{
	return ((struct fake *)be)->name;
}

static void test_auto_walks_the_table_in_order(void **state)
{
	const struct cxl_backend_desc *const tab[] = { &row_manual, &row_absent, &row_working,
						       &row_fallback };
	const struct cxl_backend_desc *const found_broken[] = { &row_absent, &row_broken,
								&row_working };
	struct cxl_devset_config cfg = { 0 };
	struct cxl_backend *be = NULL;
	char why[256], err[256];
	(void)state;

	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(tab, 4, "auto", &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 0);
	assert_string_equal(chosen(be), "working");
	/* manual never probed; fallback never reached */
	assert_string_equal(calls, "probe:absent probe:working open:working");
	assert_non_null(strstr(why, "no absent device"));
	assert_non_null(strstr(why, "using the working backend"));
	be->ops->free(be);

	/* Devices found but not opened: the start fails with that backend's
	 * reason, and no later backend serves in their place. */
	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(found_broken, 3, "auto", &cfg, &be, why, sizeof(why),
					    err, sizeof(err)),
			 -EACCES);
	assert_null(be);
	assert_string_equal(err, "broken refuses");
	assert_string_equal(calls, "probe:absent probe:broken open:broken");

	/* NULL is auto too */
	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(tab, 4, NULL, &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 0);
	assert_string_equal(chosen(be), "working");
	be->ops->free(be);
}

static void test_auto_finds_nothing(void **state)
{
	const struct cxl_backend_desc *const tab[] = { &row_absent, &row_manual };
	struct cxl_devset_config cfg = { 0 };
	struct cxl_backend *be = (struct cxl_backend *)&cfg; /* must be reset */
	char why[256], err[256];
	(void)state;

	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(tab, 2, "auto", &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 -ENOENT);
	assert_null(be);
	assert_non_null(strstr(err, "no absent device"));
	assert_string_equal(calls, "probe:absent");
}

static void test_named_backends(void **state)
{
	const struct cxl_backend_desc *const tab[] = { &row_absent, &row_manual };
	struct cxl_devset_config cfg = { 0 };
	struct cxl_backend *be = NULL;
	char why[256], err[256];
	(void)state;

	/* a named backend is opened without probing, even one auto skips */
	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(tab, 2, "manual", &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 0);
	assert_string_equal(calls, "open:manual");
	assert_string_equal(why, "manual backend requested by configuration");
	be->ops->free(be);
	calls[0] = '\0';
	assert_int_equal(cxl_backend_choose(tab, 2, "absent", &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 0);
	assert_string_equal(calls, "open:absent");
	be->ops->free(be);

	/* unknown names */
	be = (struct cxl_backend *)&cfg;
	assert_int_equal(cxl_backend_choose(tab, 2, "mctp", &cfg, &be, why, sizeof(why), err,
					    sizeof(err)),
			 -ENOENT);
	assert_null(be);
	assert_string_equal(err, "unknown backend \"mctp\"");
	assert_null(cxl_backend_lookup(tab, 2, "Manual"));
	assert_null(cxl_backend_lookup(tab, 2, ""));
	assert_null(cxl_backend_lookup(tab, 2, NULL));
	assert_ptr_equal(cxl_backend_lookup(tab, 2, "manual"), &row_manual);
}

/* ---- the built-in table ---- */

static void test_builtin_table(void **state)
{
	size_t n = 0, npaths = 0;
	const struct cxl_backend_desc *const *tab = cxl_backend_table(&n);
	const char *methods[16];
	char note_text[160];
	bool found;
	(void)state;

	/* real devices first, the emulated model as the fallback that always probes */
	assert_int_equal(n, 3);
	assert_string_equal(tab[0]->name, "kernel");
	assert_string_equal(tab[1]->name, "emulated");
	/* MCTP endpoints come from configuration only: auto never picks them */
	assert_string_equal(tab[2]->name, "mctp");
	assert_null(tab[2]->probe);
	assert_ptr_equal(cxl_backend_lookup(NULL, 0, "kernel"), &cxl_kernel_backend_desc);
	assert_ptr_equal(cxl_backend_lookup(NULL, 0, "emulated"), &cxl_emu_backend_desc);
	assert_null(cxl_backend_lookup(NULL, 0, "auto"));
	assert_true(tab[1]->probe(note_text, sizeof(note_text)));
	found = tab[0]->probe(note_text, sizeof(note_text));
	assert_non_null(strstr(note_text, "/dev/cxl/mem"));
	assert_int_equal(found, strstr(note_text, "found") != NULL);
	if (access("/dev/cxl", F_OK) != 0)
		assert_false(found);

	/* every row opens and names its paths; the names clients see are unique */
	for (size_t i = 0; i < n; i++) {
		assert_non_null(tab[i]->open);
		assert_non_null(tab[i]->paths[0]);
		for (size_t j = 0; tab[i]->paths[j]; j++) {
			const struct cxl_delivery_path *p = tab[i]->paths[j];
			assert_non_null(p->method);
			assert_true(strlen(p->description) > 0);
			assert_string_not_equal(p->method, "Unavailable");
			for (size_t k = 0; k < npaths; k++)
				assert_string_not_equal(methods[k], p->method);
			assert_true(npaths < 16);
			methods[npaths++] = p->method;
		}
	}
	assert_ptr_equal(tab[0]->paths[0], &cxl_kernel_path_named);
	assert_ptr_equal(tab[0]->paths[1], &cxl_kernel_path_raw);
	assert_ptr_equal(tab[1]->paths[0], &cxl_emu_path);
	assert_ptr_equal(tab[2]->paths[0], &cxl_mctp_path);
	/* what the CEL resource shows as Delivery.Method */
	{
		struct cxl_delivery_info d = { .path = &cxl_kernel_path_raw };
		assert_string_equal(cxl_delivery_method(&d), "KernelRawCommand");
		d.path = &cxl_kernel_path_named;
		assert_string_equal(cxl_delivery_method(&d), "KernelNamedCommand");
		d.path = &cxl_emu_path;
		assert_string_equal(cxl_delivery_method(&d), "Emulated");
		d.path = NULL;
		assert_string_equal(cxl_delivery_method(&d), "Unavailable");
	}
	/* the kernel's raw path is not one the agent reads events through */
	assert_false(cxl_kernel_path_raw.agent_reads);
	assert_true(cxl_kernel_path_named.agent_reads);
	assert_true(cxl_emu_path.agent_reads);
}

static void test_devset_unknown_backend(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "fwctl" } };
	struct cxl_devset *set = NULL;
	char err[256] = "";
	(void)state;

	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), -ENOENT);
	assert_null(set);
	assert_string_equal(err, "unknown backend \"fwctl\"");
	/* a backend opened before an unknown name is freed again (ASan checks) */
	cfg.backends[0] = "emulated";
	cfg.backends[1] = "nosuch";
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), -ENOENT);
	assert_null(set);
}

/* ---- several backends in one set ---- */

static const char second_profile[] =
	"{\"devices\": [{\"name\": \"other0\", \"serial\": \"0x2000000000000001\","
	" \"pci_vendor_id\": \"0x1234\", \"pci_device_id\": \"0x0001\","
	" \"firmware_revision\": \"OTHER 2\", \"volatile_bytes\": 268435456,"
	" \"persistent_bytes\": 0, \"lsa_bytes\": 0, \"payload_max\": 256, \"numa_node\": -1}]}";

static void test_two_backends_in_one_set(void **state)
{
	char dir[48], path[128], err[256];
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000 };
	struct cxl_backend *be[2], *got;
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	struct cxl_delivery_info di;
	size_t local;
	uint64_t executed;
	FILE *f;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "backends"), 0);
	snprintf(path, sizeof(path), "%s/second.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(second_profile, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cxl_emu_backend_new(NULL, dir, &be[0], err, sizeof(err)), 0);
	assert_int_equal(cxl_emu_backend_new(path, NULL, &be[1], err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_open_backends(&cfg, be, 2, &set, err, sizeof(err)), 0);

	/* the first backend's devices, then the second's */
	assert_int_equal(cxl_devset_count(set), 3);
	assert_string_equal(cxl_devset_backend(set), "emulated+emulated");
	assert_int_equal(cxl_devset_info(set, 2, &info), 0);
	assert_string_equal(info.name, "other0");
	assert_string_equal(info.fw_revision, "OTHER 2");
	assert_int_equal(cxl_devset_find(set, "2000000000000001"), 2);
	assert_int_equal(cxl_devset_locate(set, 1, &got, &local), 0);
	assert_ptr_equal(got, be[0]);
	assert_int_equal(local, 1);
	assert_int_equal(cxl_devset_locate(set, 2, &got, &local), 0);
	assert_ptr_equal(got, be[1]);
	assert_int_equal(local, 0);
	assert_int_equal(cxl_devset_locate(set, 3, &got, &local), -ERANGE);

	/* a command to device 2 reaches the second backend's device 0 only */
	{
		uint64_t before0, after1;
		struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY };
		struct cxl_cmd_result r;
		assert_int_equal(cxl_emu_commands_executed(be[0], 0, &before0), 0);
		assert_int_equal(cxl_emu_commands_executed(be[1], 0, &executed), 0);
		assert_int_equal(cxl_devset_submit(set, 2, &cmd, &r), 0);
		assert_int_equal(r.transport, 0);
		assert_int_equal(r.mbox_rc, CXL_MBOX_SUCCESS);
		cxl_cmd_result_clear(&r);
		assert_int_equal(cxl_emu_commands_executed(be[1], 0, &after1), 0);
		assert_true(after1 == executed + 1);
		assert_int_equal(cxl_emu_commands_executed(be[0], 0, &executed), 0);
		assert_true(executed == before0);
	}
	assert_int_equal(cxl_devset_delivery(set, 2, 0xC000, &di), 0);
	assert_ptr_equal(di.path, &cxl_emu_path);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* Two backends that see the same device (same serial) make a set that
 * refuses to open rather than one device under two ids. */
static void test_same_device_twice_refused(void **state)
{
	struct cxl_devset_config cfg = { 0 };
	struct cxl_backend *be[2];
	struct cxl_devset *set = NULL;
	char err[256];
	(void)state;

	assert_int_equal(cxl_emu_backend_new(NULL, NULL, &be[0], err, sizeof(err)), 0);
	assert_int_equal(cxl_emu_backend_new(NULL, NULL, &be[1], err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_open_backends(&cfg, be, 2, &set, err, sizeof(err)), -EEXIST);
	assert_null(set);
	assert_non_null(strstr(err, "share the id"));
	/* no backends, or too many, is an error that still frees what it got */
	assert_int_equal(cxl_devset_open_backends(&cfg, be, 0, &set, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_walks_the_table_in_order),
		cmocka_unit_test(test_auto_finds_nothing),
		cmocka_unit_test(test_named_backends),
		cmocka_unit_test(test_builtin_table),
		cmocka_unit_test(test_devset_unknown_backend),
		cmocka_unit_test(test_two_backends_in_one_set),
		cmocka_unit_test(test_same_device_twice_refused),
	};
	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
