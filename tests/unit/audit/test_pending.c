/* Which allowed commands the audit log leaves open, from records as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "support/tmpdir.h"

static json_t *records(const char *text)
{
	json_error_t err;
	json_t *a = json_loads(text, 0, &err);
	if (!a)
		fail_msg("bad test data: %s", err.text);
	return a;
}

static void pending_of(const char *text, struct audit_pending **p, size_t *n)
{
	json_t *a = records(text);
	assert_int_equal(audit_pending_in(a, p, n), 0);
	json_decref(a);
}

static void test_closed_commands(void **state)
{
	struct audit_pending *p;
	size_t n;
	(void)state;

	pending_of("["
		   "{\"id\":\"1\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC000\"},"
		   "{\"id\":\"2\",\"type\":\"Result\",\"intent\":\"1\",\"transport\":\"OK\",\"mbox_rc\":0},"
		   "{\"id\":\"3\",\"type\":\"Intent\",\"decision\":\"Denied\",\"device\":\"d\",\"opcode\":\"0xC002\"},"
		   "{\"id\":\"4\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC001\"},"
		   "{\"id\":\"5\",\"type\":\"Result\",\"intent\":\"4\",\"transport\":\"ETIMEDOUT\",\"errno\":110},"
		   "{\"id\":\"6\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC000\"},"
		   "{\"id\":\"7\",\"type\":\"Result\",\"intent\":\"6\",\"outcome\":\"Unknown\"},"
		   "{\"id\":\"8\",\"type\":\"Suppressed\",\"user\":\"eve\"}"
		   "]", &p, &n);
	assert_int_equal(n, 0);
	free(p);
}

static void test_intent_without_result(void **state)
{
	struct audit_pending *p;
	size_t n;
	(void)state;

	pending_of("["
		   "{\"id\":\"10\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"1000000000000001\",\"opcode\":\"0xC001\"},"
		   "{\"id\":\"11\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d2\",\"opcode\":\"0xC000\"},"
		   "{\"id\":\"12\",\"type\":\"Result\",\"intent\":\"11\",\"transport\":\"OK\",\"mbox_rc\":0}"
		   "]", &p, &n);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].intent, "10");
	assert_string_equal(p[0].device, "1000000000000001");
	assert_int_equal(p[0].opcode, 0xC001);
	assert_false(p[0].background);
	free(p);
}

static void test_background_operations(void **state)
{
	struct audit_pending *p;
	size_t n;
	(void)state;

	pending_of("["
		   /* started, never finished */
		   "{\"id\":\"20\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC003\"},"
		   "{\"id\":\"21\",\"type\":\"Result\",\"intent\":\"20\",\"transport\":\"OK\",\"mbox_rc\":1},"
		   /* started, abandoned at shutdown: still open */
		   "{\"id\":\"22\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC003\"},"
		   "{\"id\":\"23\",\"type\":\"Result\",\"intent\":\"22\",\"transport\":\"OK\",\"mbox_rc\":1},"
		   "{\"id\":\"24\",\"type\":\"Result\",\"intent\":\"22\",\"outcome\":\"AbandonedAtShutdown\"},"
		   /* started and finished */
		   "{\"id\":\"25\",\"type\":\"Intent\",\"decision\":\"Allowed\",\"device\":\"d\",\"opcode\":\"0xC003\"},"
		   "{\"id\":\"26\",\"type\":\"Result\",\"intent\":\"25\",\"transport\":\"OK\",\"mbox_rc\":1},"
		   "{\"id\":\"27\",\"type\":\"Result\",\"intent\":\"25\",\"transport\":\"OK\",\"mbox_rc\":0},"
		   /* a result for an intent from a rotated-away file: ignored */
		   "{\"id\":\"28\",\"type\":\"Result\",\"intent\":\"3\",\"transport\":\"OK\",\"mbox_rc\":1}"
		   "]", &p, &n);
	assert_int_equal(n, 2);
	assert_true(p[0].background && p[1].background);
	assert_true((strcmp(p[0].intent, "20") == 0 && strcmp(p[1].intent, "22") == 0) ||
		    (strcmp(p[0].intent, "22") == 0 && strcmp(p[1].intent, "20") == 0));
	free(p);
}

static void test_from_the_log(void **state)
{
	char dir[48], id[AUDIT_ID_MAX];
	struct audit_intent in = { .user = "u", .device = "dev", .opcode = 0xC003, .allowed = 1,
				   .reason = "Allowed" };
	struct audit_log *log;
	struct audit_pending *p;
	size_t n;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "pending"), 0);
	assert_int_equal(audit_open(dir, 0, 1, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_int_equal(audit_pending(log, &p, &n), 0);
	assert_int_equal(n, 1);
	free(p);
	{
		struct audit_result r = { .intent_id = id, .outcome = AUDIT_OUTCOME_UNKNOWN,
					  .detail = "no result before the agent stopped" };
		assert_int_equal(audit_result(log, &r, NULL), 0);
	}
	assert_int_equal(audit_pending(log, &p, &n), 0);
	assert_int_equal(n, 0);
	free(p);
	audit_close(log);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_commands),
		cmocka_unit_test(test_intent_without_result),
		cmocka_unit_test(test_background_operations),
		cmocka_unit_test(test_from_the_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
