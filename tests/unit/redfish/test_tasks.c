/* tasks.c: the TaskService and the Task a background vendor command
 * starts, followed until the device says the operation is done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

#define TASKS "/redfish/v1/TaskService/Tasks"
#define BACKGROUND RFX_DEVICES RFX_DEV0 RFX_COMMANDS "emu-background-op/Actions/CxlAgent.Submit"

struct tt {
	struct rfx *f;
	char writer[256];
	char reader[256];
};

static int setup(void **state)
{
	struct tt *t = calloc(1, sizeof(*t));
	struct role_info ri;

	if (!t || !(t->f = rfx_open()))
		return -1;
	if (accounts_role_create(t->f->ag.accounts, "Writer",
				 PRIV_LOGIN | PRIV_CONFIGURE_SELF | PRIV_CXL_COMMAND_WRITE_FULL,
				 &ri) ||
	    rfx_user(t->f, "writer", "Writer", t->writer, sizeof(t->writer)) ||
	    rfx_user(t->f, "reader", "ReadOnly", t->reader, sizeof(t->reader)))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tt *t = *state;
	rfx_close(t->f);
	free(t);
	return 0;
}

static void test_service_and_empty_collection(void **state)
{
	struct tt *t = *state;
	struct rfx_reply r = rfx_get(t->f, "/redfish/v1/TaskService", t->reader);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#TaskService.v1_3_0.TaskService");
	assert_string_equal(rfx_str(r.body, "Tasks/@odata.id"), TASKS);
	assert_true(json_is_true(rfx_at(r.body, "ServiceEnabled")));
	rfx_free(&r);
	r = rfx_get(t->f, TASKS, t->reader);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 0);
	rfx_free(&r);
}

static void test_not_found(void **state)
{
	struct tt *t = *state;
	static const char *const ids[] = { "1", "abc", "1x", "", "4294967296" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), TASKS "/%s", ids[i]);
		struct rfx_reply r = rfx_get(t->f, path, t->reader);
		/* "Tasks/" is the collection itself */
		if (ids[i][0] && r.status != 404)
			fail_msg("%s: %d", path, r.status);
		rfx_free(&r);
	}
}

/* A background operation: 202 with the Task, which runs and completes;
 * any authenticated caller may follow it. */
static void test_task_follows_the_operation(void **state)
{
	struct tt *t = *state;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct rfx_reply r = rfx_send(t->f, HTTP_POST, BACKGROUND, t->writer,
				      "{\"Payload\": \"ZAAAAA==\"}", NULL);
	char uri[sizeof(r.location)];

	assert_int_equal(r.status, 202);
	snprintf(uri, sizeof(uri), "%s", r.location);
	assert_string_equal(rfx_str(r.body, "TaskState"), "Running");
	assert_string_equal(rfx_str(r.body, "Messages/0/Message"),
			    "Background operation 0xC003 started");
	assert_null(rfx_at(r.body, "EndTime"));
	rfx_free(&r);

	r = rfx_get(t->f, TASKS, t->reader);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), uri);
	rfx_free(&r);

	for (int i = 0; i < 500; i++) {
		r = rfx_get(t->f, uri, t->reader);
		assert_int_equal(r.status, 200);
		if (strcmp(rfx_str(r.body, "TaskState"), "Running") != 0)
			break;
		rfx_free(&r);
		nanosleep(&tick, NULL);
	}
	assert_string_equal(rfx_str(r.body, "TaskState"), "Completed");
	assert_string_equal(rfx_str(r.body, "TaskStatus"), "OK");
	assert_string_equal(rfx_str(r.body, "Messages/0/MessageSeverity"), "OK");
	assert_non_null(rfx_str(r.body, "EndTime"));
	assert_int_equal(rfx_int(r.body, "PercentComplete"), 100);
	assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/MailboxReturnCode"), 0);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Command"), "emu-background-op");
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_and_empty_collection),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_task_follows_the_operation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
