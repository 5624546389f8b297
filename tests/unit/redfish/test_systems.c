/* systems.c: the host as a ComputerSystem, driven through the service edge
 * of a whole agent (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cxl/devset_impl.h"
#include "fixture.h"

static int setup(void **state)
{
	return (*state = rfx_open()) ? 0 : -1;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

static void test_collection(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, "/redfish/v1/Systems", f->admin);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"),
			    "#ComputerSystemCollection.ComputerSystemCollection");
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), SYSTEM_URI);
	assert_true(r.etag[0] == '"');
	rfx_free(&r);
}

static void test_system(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, SYSTEM_URI, f->admin);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.id"), SYSTEM_URI);
	assert_string_equal(rfx_str(r.body, "Id"), SYSTEM_ID);
	assert_string_equal(rfx_str(r.body, "SystemType"), "Physical");
	assert_string_equal(rfx_str(r.body, "Memory/@odata.id"), SYSTEM_URI "/Memory");
	assert_string_equal(rfx_str(r.body, "MemoryDomains/@odata.id"), SYSTEM_URI "/MemoryDomains");
	assert_string_equal(rfx_str(r.body, "Links/Chassis/0/@odata.id"), CHASSIS_URI);
	assert_string_equal(rfx_str(r.body, "Links/ManagedBy/0/@odata.id"), MANAGER_URI);
	/* present though empty: python3-sushy needs both */
	assert_true(json_is_object(rfx_at(r.body, "Actions")));
	assert_true(json_is_object(rfx_at(r.body, "Boot")));
	rfx_free(&r);
}

/* Identity (DMI UUID, host name), the health roll-up and memory summary
 * over the CXL devices. */
static void test_identity(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, SYSTEM_URI, f->admin);
	const char *worst = NULL;
	uint64_t bytes = 0;

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "UUID"), RFX_HOST_UUID);
	assert_string_equal(rfx_str(r.body, "HostName"), RFX_HOST_NAME);
	for (size_t i = 0; i < rf_device_count(&f->ag); i++) {
		struct cxl_dev_info info;
		assert_int_equal(cxl_devset_info(f->ag.devices, i, &info), 0);
		bytes += info.total_bytes;
		worst = rf_worse_health(worst, rf_health_of(&f->ag, i, &info));
	}
	assert_true(bytes > 0);
	assert_non_null(worst);
	assert_string_equal(rfx_str(r.body, "Status/HealthRollup"), worst);
	assert_string_equal(rfx_str(r.body, "MemorySummary/Status/HealthRollup"), worst);
	assert_true(json_real_value(rfx_at(r.body, "MemorySummary/TotalSystemMemoryGiB")) ==
		    (double)bytes / (1024.0 * 1024.0 * 1024.0));
	rfx_free(&r);

	/* the host name is read on every GET */
	char path[600];
	snprintf(path, sizeof(path), "%s/host/proc/sys/kernel/hostname", f->dir);
	assert_int_equal(file_write_atomic(path, "renamed\n", 8, 0600), 0);
	r = rfx_get(f, SYSTEM_URI, f->admin);
	assert_string_equal(rfx_str(r.body, "HostName"), "renamed");
	rfx_free(&r);
	assert_int_equal(file_write_atomic(path, RFX_HOST_NAME "\n", strlen(RFX_HOST_NAME) + 1,
					   0600), 0);
}

static void test_errors(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, "/redfish/v1/Systems/other", f->admin);

	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_message_id(&r), "ResourceNotFound");
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "ComputerSystem");
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/1"), "other");
	rfx_free(&r);
	r = rfx_get(f, SYSTEM_URI, NULL);
	assert_int_equal(r.status, 401);
	rfx_free(&r);
	r = rfx_send(f, HTTP_PATCH, SYSTEM_URI, f->admin, "{}", NULL);
	assert_int_equal(r.status, 405);
	rfx_free(&r);
}

/* Devices whose capacities add up past 2^64 bytes: the summary saturates
 * instead of wrapping to a small figure. A fresh agent, so that no summary
 * served before is cached. */
static void test_capacity_sum_saturates(void **state)
{
	struct rfx *f = *state;
	struct cxl_devset *set = f->ag.devices;
	struct rfx_reply r;
	double gib;

	assert_true(set->n >= 2);
	for (size_t i = 0; i < set->n; i++) {
		pthread_mutex_lock(&set->dev[i].cache);
		set->dev[i].info.total_bytes = UINT64_MAX - 255 * (1ull << 20);
		pthread_mutex_unlock(&set->dev[i].cache);
	}
	r = rfx_get(f, SYSTEM_URI, f->admin);
	assert_int_equal(r.status, 200);
	gib = json_real_value(rfx_at(r.body, "MemorySummary/TotalSystemMemoryGiB"));
	if (gib != (double)UINT64_MAX / (1024.0 * 1024.0 * 1024.0))
		fail_msg("TotalSystemMemoryGiB %f", gib);
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collection),
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_errors),
		cmocka_unit_test_setup_teardown(test_capacity_sum_saturates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
