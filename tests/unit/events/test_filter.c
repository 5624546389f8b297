/* $filter parsing and matching as DSP0266 defines them for event streams. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events/bus.h"
#include "events/filter.h"
#include "support/alloc_fail.h"

static struct event make(const char *prefix, const char *id, const char *type, const char *origin)
{
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.registry_prefix, sizeof(ev.registry_prefix), "%s", prefix);
	snprintf(ev.message_id, sizeof(ev.message_id), "%s", id);
	snprintf(ev.resource_type, sizeof(ev.resource_type), "%s", type);
	snprintf(ev.origin, sizeof(ev.origin), "%s", origin);
	return ev;
}

static bool matches(const char *text, const struct event *ev)
{
	struct event_filter *f = NULL;
	char err[160];
	bool m;
	assert_int_equal(event_filter_parse(text, &f, err, sizeof(err)), 0);
	m = event_filter_match(f, ev);
	event_filter_free(f);
	return m;
}

static void test_matching(void **state)
{
	struct event removed = make("ResourceEvent", "ResourceEvent.1.4.ResourceRemoved", "PCIeDevice",
				    "/redfish/v1/Chassis/host/PCIeDevices/1");
	(void)state;

	assert_true(matches(NULL, &removed));
	assert_true(matches("  ", &removed));
	assert_true(matches("EventFormatType eq 'Event'", &removed));
	assert_false(matches("EventFormatType eq 'MetricReport'", &removed));
	assert_true(matches("MessageId eq 'ResourceEvent.1.0.ResourceRemoved'", &removed));
	assert_false(matches("MessageId eq 'ResourceEvent.1.0.ResourceCreated'", &removed));
	assert_false(matches("MessageId eq 'TaskEvent.1.4.ResourceRemoved'", &removed));
	assert_true(matches("RegistryPrefix eq 'ResourceEvent'", &removed));
	assert_true(matches("ResourceType eq 'PCIeDevice'", &removed));
	assert_false(matches("ResourceType eq 'Memory'", &removed));
	assert_true(matches("OriginResource eq '/redfish/v1/Chassis/host/PCIeDevices/1/'", &removed));
	assert_false(matches("OriginResource eq '/redfish/v1/Chassis/host/PCIeDevices/2'", &removed));
	assert_true(matches("(MessageId eq 'Base.1.0.Success') or (MessageId eq "
			    "'ResourceEvent.1.0.ResourceRemoved')",
			    &removed));
	assert_false(matches("RegistryPrefix eq 'ResourceEvent' and ResourceType eq 'Memory'",
			     &removed));
	/* and binds tighter than or */
	assert_true(matches("ResourceType eq 'Memory' and RegistryPrefix eq 'X' or "
			    "ResourceType eq 'PCIeDevice'",
			    &removed));
	assert_false(matches("ResourceType eq 'Memory' and (RegistryPrefix eq 'X' or "
			     "ResourceType eq 'PCIeDevice')",
			     &removed));
}

static void test_syntax_errors(void **state)
{
	static const char *const bad[] = {
		"Severity eq 'OK'",
		"MessageId ne 'A.1.0.B'",
		"MessageId eq A",
		"MessageId eq 'unterminated",
		"(MessageId eq 'A.1.0.B'",
		"MessageId eq 'A.1.0.B' xor MessageId eq 'C.1.0.D'",
		"MessageId eq 'A.1.0.B' or",
		"((((((((((MessageId eq 'A.1.0.B'))))))))))",
	};
	char err[160];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct event_filter *f = NULL;
		err[0] = '\0';
		assert_int_equal(event_filter_parse(bad[i], &f, err, sizeof(err)), -EINVAL);
		assert_null(f);
		assert_true(strncmp(err, "$filter:", 8) == 0);
	}
}

/* The lists a filter is shown as on its stream's EventDestination, as
 * compact JSON; "-" when it has no list form. */
static char *lists_of(const char *text)
{
	struct event_filter *f = NULL;
	json_t *o = NULL;
	char err[160], *dump;
	int rc;

	assert_int_equal(event_filter_parse(text, &f, err, sizeof(err)), 0);
	rc = event_filter_lists(f, &o);
	event_filter_free(f);
	if (rc == -ENOTSUP) {
		assert_null(o);
		return strdup("-");
	}
	assert_int_equal(rc, 0);
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return dump;
}

static void test_lists(void **state)
{
	static const char *const cases[][2] = {
		{ NULL, "{}" },
		{ "", "{}" },
		{ "RegistryPrefix eq 'ResourceEvent'", "{\"RegistryPrefixes\":[\"ResourceEvent\"]}" },
		{ "RegistryPrefix eq 'A' or RegistryPrefix eq 'B'",
		  "{\"RegistryPrefixes\":[\"A\",\"B\"]}" },
		{ "(MessageId eq 'A.1.0.B' or MessageId eq 'C.1.0.D') and ResourceType eq 'Task'",
		  "{\"MessageIds\":[\"A.1.0.B\",\"C.1.0.D\"],\"ResourceTypes\":[\"Task\"]}" },
		{ "OriginResource eq '/redfish/v1/Managers/agent' and EventFormatType eq 'Event'",
		  "{\"OriginResources\":[{\"@odata.id\":\"/redfish/v1/Managers/agent\"}]}" },
		/* Not a conjunction of one-property disjunctions. */
		{ "RegistryPrefix eq 'A' or MessageId eq 'B.1.0.C'", "-" },
		{ "(RegistryPrefix eq 'A' and ResourceType eq 'Task') or RegistryPrefix eq 'B'", "-" },
		/* An intersection of one property's values. */
		{ "RegistryPrefix eq 'A' and RegistryPrefix eq 'B'", "-" },
		/* Never true: no event has another format. */
		{ "EventFormatType eq 'MetricReport'", "-" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = lists_of(cases[i][0]);
		assert_non_null(got);
		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("%s: %s, expected %s", cases[i][0] ? cases[i][0] : "(none)", got,
				 cases[i][1]);
		free(got);
	}
}

static int lists_once(void *arg)
{
	json_t *o = NULL;
	int rc = event_filter_lists(arg, &o);

	if (rc == 0) {
		assert_non_null(o);
		json_decref(o);
	} else {
		assert_int_equal(rc, -ENOMEM);
	}
	return rc;
}

static void test_lists_out_of_memory(void **state)
{
	struct event_filter *f = NULL;
	char err[160];
	(void)state;

	assert_int_equal(event_filter_parse("(MessageId eq 'A.1.0.B' or MessageId eq 'C.1.0.D') and "
					    "OriginResource eq '/redfish/v1/Managers/agent'",
					    &f, err, sizeof(err)), 0);
	alloc_fail_install();
	assert_true(alloc_fail_each(lists_once, NULL, f, 100) > 3);
	event_filter_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_lists_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
