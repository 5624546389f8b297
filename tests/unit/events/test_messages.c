/* The messages the agent publishes: every CxlAgent one is in the served
 * registry (schemas/CxlAgent.1.0.0.json) with the same text, argument count
 * and severity; every DMTF one is in the staged DMTF registry when present;
 * arguments are substituted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "events/messages.h"
#include "redfish/schemas.h"

static json_t *embedded_registry(void)
{
	for (const struct embedded_schema *s = embedded_schemas; s->name; s++)
		if (strcmp(s->name, "CxlAgent.1.0.0.json") == 0)
			return json_loadb((const char *)s->data, s->len, 0, NULL);
	return NULL;
}

static void test_agent_registry(void **state)
{
	json_t *reg = embedded_registry(), *msgs;
	size_t ours = 0;
	(void)state;

	assert_non_null(reg);
	assert_string_equal(json_string_value(json_object_get(reg, "RegistryPrefix")), "CxlAgent");
	assert_string_equal(json_string_value(json_object_get(reg, "RegistryVersion")), "1.0.0");
	msgs = json_object_get(reg, "Messages");
	for (int i = 0; i < EVM_COUNT; i++) {
		const struct event_message *m = event_message_get((enum event_msg)i);
		json_t *e;
		if (strcmp(m->prefix, "CxlAgent") != 0)
			continue;
		ours++;
		assert_string_equal(m->version, "1.0");
		e = json_object_get(msgs, m->key);
		if (!e)
			fail_msg("%s is not in CxlAgent.1.0.0.json", m->key);
		assert_string_equal(json_string_value(json_object_get(e, "Message")), m->text);
		assert_string_equal(json_string_value(json_object_get(e, "MessageSeverity")),
				    m->severity);
		assert_int_equal(json_integer_value(json_object_get(e, "NumberOfArgs")), m->nargs);
		assert_int_equal(json_array_size(json_object_get(e, "ParamTypes")), m->nargs);
	}
	assert_int_equal(json_object_size(msgs), ours);
	json_decref(reg);
}

static void test_dmtf_registries(void **state)
{
	const char *src = getenv("CXLA_SHARED_DIR");
	char path[1024];
	(void)state;

	for (int i = 0; i < EVM_COUNT; i++) {
		const struct event_message *m = event_message_get((enum event_msg)i);
		const char *file = strcmp(m->prefix, "ResourceEvent") == 0 ? "ResourceEvent.1.4.3.json"
				   : strcmp(m->prefix, "TaskEvent") == 0   ? "TaskEvent.1.0.5.json"
									   : NULL;
		json_t *reg, *e;
		if (!file || !src)
			continue;
		snprintf(path, sizeof(path), "%s/redfish/registries/%s", src, file);
		reg = json_load_file(path, 0, NULL);
		if (!reg) {
			print_message("skipped: %s not present\n", path);
			return;
		}
		e = json_object_get(json_object_get(reg, "Messages"), m->key);
		if (!e)
			fail_msg("%s.%s is not in %s", m->prefix, m->key, file);
		assert_string_equal(json_string_value(json_object_get(e, "Message")), m->text);
		assert_int_equal(json_integer_value(json_object_get(e, "NumberOfArgs")), m->nargs);
		json_decref(reg);
	}
}

static void test_format(void **state)
{
	const char *args[] = { "a", "bb" };
	char buf[64], tiny[6];
	(void)state;

	event_message_format("x %2 y %1 %3.", args, 2, buf, sizeof(buf));
	assert_string_equal(buf, "x bb y a %3.");
	event_message_format("%1%2%1%2", args, 2, tiny, sizeof(tiny));
	assert_string_equal(tiny, "abbab");
	assert_true(event_registry_known("CxlAgent"));
	assert_false(event_registry_known("Base"));
	assert_null(event_message_get(EVM_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_registry),
		cmocka_unit_test(test_dmtf_registries),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
