/* The mirror device set: readers see exactly what the snapshots said
 * (inventory, health, CEL, delivery, host state, mailbox count, events in
 * order with their own sequence numbers, the oldest dropped past the ring),
 * a snapshot naming another device is refused, and nothing reaches a
 * device. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cxl/backend.h"
#include "cxl/mirror.h"

static const struct cxl_delivery_path *a_path(void)
{
	size_t n;
	const struct cxl_backend_desc *const *t = cxl_backend_table(&n);
	return t[0]->paths ? t[0]->paths[0] : NULL;
}

static void test_snapshot_is_what_readers_see(void **state)
{
	const char *ids[] = { "dev-a", "dev-b" };
	struct cxl_devset *set;
	struct cxl_dev_info info = { 0 }, got;
	struct cxl_health h = { .valid = true, .temperature_c = 41 }, gh;
	struct cxl_cel cel = { 2, calloc(2, sizeof(struct cxl_cel_entry)) }, gc;
	struct cxl_mirror_delivery dl[2] = { { 0x4000, NULL, "" }, { 0xc000, NULL, "no way" } };
	struct cxl_delivery_info di;
	struct cxl_host_state hs = { .raw = CXL_RAW_USED, .taint_known = true, .taint = 4 }, ghs;
	struct cxl_cmd cmd = { 0x4000, NULL, 0, 10 };
	struct cxl_cmd_result res;

	(void)state;
	dl[0].path = a_path();
	assert_int_equal(cxl_mirror_open("emulated", "configured", ids, 2, 4, &set), 0);
	assert_int_equal(cxl_devset_count(set), 2);
	assert_string_equal(cxl_devset_backend(set), "emulated");
	assert_int_equal(cxl_devset_find(set, "dev-b"), 1);
	assert_int_equal(cxl_devset_host_state(set, &ghs), -EOPNOTSUPP);

	snprintf(info.id, sizeof(info.id), "dev-b");
	info.total_bytes = 1 << 30;
	info.payload_max = 1024;
	info.present = true;
	cel.entries[0].opcode = 0x4000;
	cel.entries[1].opcode = 0xc000;
	assert_int_equal(cxl_mirror_update(set, 1, &info, &h, &cel, 77, dl, 2), 0);
	assert_null(cel.entries); /* taken over */
	assert_int_equal(cxl_devset_info(set, 1, &got), 0);
	assert_int_equal(got.total_bytes, 1 << 30);
	assert_int_equal(cxl_devset_health(set, 1, &gh), 0);
	assert_int_equal(gh.temperature_c, 41);
	assert_int_equal(cxl_devset_cel(set, 1, &gc), 0);
	assert_int_equal(gc.count, 2);
	cxl_cel_free(&gc);
	assert_int_equal(cxl_devset_mailbox_count(set, 1), 77);
	assert_int_equal(cxl_devset_delivery(set, 1, 0x4000, &di), 0);
	assert_ptr_equal(di.path, dl[0].path);
	assert_int_equal(cxl_devset_delivery(set, 1, 0xc000, &di), 0);
	assert_null(di.path);
	assert_string_equal(di.reason, "no way");
	assert_int_equal(cxl_devset_delivery(set, 1, 0x1234, &di), 0);
	assert_null(di.path);
	cxl_mirror_host(set, &hs);
	assert_int_equal(cxl_devset_host_state(set, &ghs), 0);
	assert_int_equal(ghs.raw, CXL_RAW_USED);

	/* a snapshot of another device, or past the set */
	assert_int_equal(cxl_mirror_update(set, 0, &info, &h, &cel, 0, NULL, 0), -EINVAL);
	assert_int_equal(cxl_mirror_update(set, 2, &info, &h, &cel, 0, NULL, 0), -ERANGE);

	assert_int_equal(cxl_devset_submit(set, 1, &cmd, &res), 0);
	assert_int_equal(res.transport, -EOPNOTSUPP);
	cxl_devset_free(set);
}

static void test_events_keep_order_and_bound(void **state)
{
	const char *ids[] = { "dev-a" };
	struct cxl_devset *set;
	struct cxl_event ev[6], out[8];
	int n;

	(void)state;
	memset(ev, 0, sizeof(ev));
	for (int i = 0; i < 6; i++)
		ev[i].seq = (uint64_t)(10 + i);
	assert_int_equal(cxl_mirror_open("x", "", ids, 1, 4, &set), 0);
	assert_int_equal(cxl_mirror_events(set, 0, ev, 3), 0);
	/* a repeat of what is already there is not kept twice */
	assert_int_equal(cxl_mirror_events(set, 0, ev + 1, 2), 0);
	n = cxl_devset_events(set, 0, 0, out, 8);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].seq, 10);
	assert_int_equal(out[2].seq, 12);
	assert_int_equal(cxl_mirror_events(set, 0, ev + 3, 3), 0);
	n = cxl_devset_events(set, 0, 0, out, 8);
	assert_int_equal(n, 4); /* the ring holds 4: 12..15 */
	assert_int_equal(out[0].seq, 12);
	assert_int_equal(out[3].seq, 15);
	n = cxl_devset_events(set, 0, 13, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(cxl_mirror_events(set, 5, ev, 1), -ERANGE);
	cxl_devset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_is_what_readers_see),
		cmocka_unit_test(test_events_keep_order_and_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
