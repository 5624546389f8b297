/* core/host: the system UUID from DMI or machine-id, DMI chassis identity
 * without firmware placeholders, the host name; all under a prepared root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/host.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

struct tree {
	char root[256];
};

static void put(const struct tree *t, const char *leaf, const char *text)
{
	char path[512], dir[512], *slash;

	snprintf(path, sizeof(path), "%s/%s", t->root, leaf);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	assert_int_equal(dir_ensure(dir, 0700), 0);
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600), 0);
}

static void drop(const struct tree *t, const char *leaf)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", t->root, leaf);
	unlink(path);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	if (!t || tmpdir_make(t->root, sizeof(t->root), "host")) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	if (tmpdir_remove(t->root))
		return -1;
	free(t);
	return 0;
}

#define DMI "sys/class/dmi/id/"
#define MACHINE_ID "0123456789abcdef0123456789abcdef\n"

static void test_dmi_uuid_and_chassis(void **state)
{
	struct tree *t = *state;
	struct host_identity h;
	char name[64];

	put(t, DMI "product_uuid", "4C4C4544-0042-3510-8052-B4C04F4A4B32\n");
	put(t, "etc/machine-id", MACHINE_ID);
	put(t, DMI "chassis_serial", "CN7475 \n");
	put(t, DMI "chassis_vendor", "Dell Inc.\n");
	put(t, DMI "product_name", "PowerEdge R760\n");
	put(t, "proc/sys/kernel/hostname", "node-17\n");
	assert_int_equal(host_identity_read(t->root, &h), 0);
	assert_string_equal(h.uuid, "4c4c4544-0042-3510-8052-b4c04f4a4b32");
	assert_true(h.uuid_from_dmi);
	assert_string_equal(h.serial, "CN7475");
	assert_string_equal(h.manufacturer, "Dell Inc.");
	assert_string_equal(h.model, "PowerEdge R760");
	assert_int_equal(host_name(&h, name, sizeof(name)), 0);
	assert_string_equal(name, "node-17");
	/* the host name is read when asked: it may change */
	put(t, "proc/sys/kernel/hostname", "node-18\n");
	assert_int_equal(host_name(&h, name, sizeof(name)), 0);
	assert_string_equal(name, "node-18");
}

/* An unset or unreadable DMI UUID falls back to a version 5 UUID of the
 * machine-id: stable, and not the machine-id itself. */
static void test_machine_id_fallback(void **state)
{
	struct tree *t = *state;
	static const char *const unset[] = { "00000000-0000-0000-0000-000000000000\n",
					     "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n",
					     "not a uuid\n", "4C4C4544-0042-3510-8052-B4C04F4A4B3\n",
					     "4C4C4544+0042-3510-8052-B4C04F4A4B32\n", NULL };
	struct host_identity h, again;

	for (size_t i = 0; unset[i] || i == 0; i++) {
		if (unset[i])
			put(t, DMI "product_uuid", unset[i]);
		else
			drop(t, DMI "product_uuid");
		put(t, "etc/machine-id", MACHINE_ID);
		assert_int_equal(host_identity_read(t->root, &h), 0);
		assert_false(h.uuid_from_dmi);
		assert_int_equal(strlen(h.uuid), 36);
		assert_int_equal(h.uuid[14], '5'); /* version 5 */
		assert_non_null(strchr("89ab", h.uuid[19]));
		assert_null(strstr(h.uuid, "01234567"));
		assert_int_equal(host_identity_read(t->root, &again), 0);
		assert_string_equal(h.uuid, again.uuid);
		/* RFC 4122 version 5 (Python's uuid.uuid5): the same on every
		 * version of the agent, since clients know the host by it */
		assert_string_equal(h.uuid, "72dba15a-b6a2-51c8-bd06-8b24c3495b74");
		if (!unset[i])
			break;
	}
	put(t, "etc/machine-id", "fedcba9876543210fedcba9876543210\n");
	assert_int_equal(host_identity_read(t->root, &again), 0);
	assert_string_not_equal(h.uuid, again.uuid);
	/* a machine-id that is not 32 hex digits gives no UUID at all */
	put(t, "etc/machine-id", "uninitialized\n");
	assert_int_equal(host_identity_read(t->root, &h), 0);
	assert_string_equal(h.uuid, "");
}

/* Firmware placeholders and unreadable files leave the fields empty. */
static void test_placeholders(void **state)
{
	struct tree *t = *state;
	struct host_identity h;
	char name[64];

	put(t, DMI "chassis_serial", "To Be Filled By O.E.M.\n");
	put(t, DMI "chassis_vendor", "Default string\n");
	put(t, DMI "sys_vendor", "QEMU\n");
	put(t, DMI "product_name", "bad\x01name\n");
	drop(t, "proc/sys/kernel/hostname");
	assert_int_equal(host_identity_read(t->root, &h), 0);
	assert_string_equal(h.serial, "");
	assert_string_equal(h.manufacturer, "QEMU"); /* falls back to sys_vendor */
	assert_string_equal(h.model, "");
	assert_int_equal(host_name(&h, name, sizeof(name)), -ENOENT);
	/* a value longer than the field is refused, not cut */
	char longv[200];
	memset(longv, 'x', sizeof(longv) - 2);
	longv[sizeof(longv) - 2] = '\n';
	longv[sizeof(longv) - 1] = '\0';
	put(t, DMI "chassis_serial", longv);
	assert_int_equal(host_identity_read(t->root, &h), 0);
	assert_string_equal(h.serial, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmi_uuid_and_chassis),
		cmocka_unit_test(test_machine_id_fallback),
		cmocka_unit_test(test_placeholders),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
