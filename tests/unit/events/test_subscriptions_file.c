/* The persisted subscriptions file holds what the agent writes there and
 * nothing else: a top-level member it never writes is refused when the set
 * is opened, with a message that names the file, the place and the member,
 * and the file is left as it is. The file the agent writes opens. A
 * subscription whose delivery thread cannot start (a task limit) is not
 * made: neither listed nor written, and its create answers -EAGAIN. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events/bus.h"
#include "events/subscriptions.h"
#include "support/thread_fail.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

struct fx {
	char dir[200];
	char path[256];
	struct event_bus *bus;
	struct subscriptions_config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "subsfile"), 0);
	snprintf(f->path, sizeof(f->path), "%s/subscriptions.json", f->dir);
	assert_int_equal(event_bus_new(16, 1, &f->bus), 0);
	f->cfg = (struct subscriptions_config){
		.path = f->path,
		.max = 4,
		.retry_attempts = 1,
		.retry_interval_s = 1,
		.queue_len = 4,
		.timeout_s = 1,
		.uri_base = "/redfish/v1/EventService/Subscriptions",
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	event_bus_free(f->bus);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

/* Opens the set over text; returns what subscriptions_open returned, the
 * message in err, and checks the file is unchanged either way. */
static int open_with(struct fx *f, const char *text, char *err, size_t errlen)
{
	struct subscriptions *s = NULL;
	char *after = NULL;
	size_t len;
	int rc;

	assert_int_equal(file_write_atomic(f->path, text, strlen(text), 0600), 0);
	err[0] = '\0';
	rc = subscriptions_open(&f->cfg, f->bus, &s, err, errlen);
	if (!rc)
		subscriptions_close(s);
	assert_int_equal(file_read_all(f->path, 1u << 16, &after, &len), 0);
	assert_string_equal(after, text);
	free(after);
	return rc;
}

static void test_only_what_the_agent_writes(void **state)
{
	struct fx *f = *state;
	char err[512];

	assert_int_equal(open_with(f, "{\"Version\": 1, \"Subscriptions\": []}", err, sizeof(err)),
			 0);
}

static void test_unknown_top_level_member_refused(void **state)
{
	struct fx *f = *state;
	char err[1024], where[300];

	assert_int_equal(open_with(f,
				   "{\"Version\": 1,\n \"Subscriptions\": [],\n \"Destinations\": []}",
				   err, sizeof(err)),
			 -EINVAL);
	snprintf(where, sizeof(where), "%s:3:", f->path);
	if (!strstr(err, where) || !strstr(err, "\"Destinations\""))
		fail_msg("message does not name the file, line and member: %s", err);

	/* Whatever the order, and even beside a valid set. */
	assert_int_equal(open_with(f, "{\"x\": null, \"Version\": 1, \"Subscriptions\": []}", err,
				   sizeof(err)),
			 -EINVAL);
	if (!strstr(err, f->path) || !strstr(err, "\"x\""))
		fail_msg("message does not name the file and member: %s", err);
}

static void test_no_thread_makes_nothing(void **state)
{
	struct fx *f = *state;
	struct subscriptions *s = NULL;
	struct sub_error e = { 0 };
	char err[512] = "", id[16] = "";
	json_t *body = json_pack("{s:s, s:s}", "Destination", "https://192.0.2.7/x", "Protocol",
				 "Redfish");
	json_t *members;
	char *text = NULL;
	size_t len;
	const char *empty = "{\"Version\": 1, \"Subscriptions\": []}";

	assert_int_equal(file_write_atomic(f->path, empty, strlen(empty), 0600), 0);
	assert_int_equal(subscriptions_open(&f->cfg, f->bus, &s, err, sizeof(err)), 0);
	thread_fail_starts(EAGAIN);
	assert_int_equal(subscriptions_create(s, body, id, sizeof(id), &e), -EAGAIN);
	thread_fail_starts(0);
	members = subscriptions_members(s);
	assert_int_equal(json_array_size(members), 0);
	json_decref(members);
	if (file_read_all(f->path, 1u << 16, &text, &len) == 0) {
		assert_null(strstr(text, "192.0.2.7"));
		free(text);
	}

	/* Once threads start again, it is made. */
	assert_int_equal(subscriptions_create(s, body, id, sizeof(id), &e), 0);
	members = subscriptions_members(s);
	assert_int_equal(json_array_size(members), 1);
	json_decref(members);
	json_decref(body);
	subscriptions_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_what_the_agent_writes),
		cmocka_unit_test(test_unknown_top_level_member_refused),
		cmocka_unit_test(test_no_thread_makes_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
