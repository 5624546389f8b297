/* Counters, bounded opcode labels and histogram rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/metrics.h"

static char *render(struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(metrics_write(m, f), 0);
	fclose(f);
	return text;
}

static void test_counters(void **state)
{
	struct metrics *m = NULL;
	char *t;
	(void)state;

	assert_int_equal(metrics_new(&m), 0);
	metrics_http(m, 200);
	metrics_http(m, 204);
	metrics_http(m, 404);
	metrics_http(m, 999); /* ignored */
	metrics_auth_failure(m);
	metrics_decision(m, POLICY_DENY_NOT_APPROVED);
	metrics_command(m, 0xc000, CMD_RESULT_OK, 250, 1);
	metrics_command(m, 0xc000, CMD_RESULT_OK, 2000000, 1);
	metrics_command(m, 0xc001, CMD_RESULT_DENIED, 0, 0);
	metrics_audit_write(m, 300);
	t = render(m);
	assert_non_null(strstr(t, "cxl_agent_http_requests_total{class=\"2xx\"} 2\n"));
	assert_non_null(strstr(t, "cxl_agent_http_requests_total{class=\"4xx\"} 1\n"));
	assert_non_null(strstr(t, "cxl_agent_auth_failures_total 1\n"));
	assert_non_null(strstr(t, "# TYPE cxl_agent_mailbox_command_seconds histogram\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_commands_total{opcode=\"0xc000\",outcome=\"ok\"} 2\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_commands_total{opcode=\"0xc001\",outcome=\"denied\"} 1\n"));
	/* 250 us falls in the 0.0005 s bucket; 2 s only from the 5 s bucket on */
	assert_non_null(strstr(t, "cxl_agent_mailbox_command_seconds_bucket{opcode=\"0xc000\",outcome=\"ok\",le=\"0.0001\"} 0\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_command_seconds_bucket{opcode=\"0xc000\",outcome=\"ok\",le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_command_seconds_bucket{opcode=\"0xc000\",outcome=\"ok\",le=\"1\"} 1\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_command_seconds_bucket{opcode=\"0xc000\",outcome=\"ok\",le=\"5\"} 2\n"));
	assert_non_null(strstr(t, "cxl_agent_mailbox_command_seconds_count{opcode=\"0xc000\",outcome=\"ok\"} 2\n"));
	/* the denied command never reached the device: no latency series */
	assert_null(strstr(t, "mailbox_command_seconds_count{opcode=\"0xc001\""));
	assert_non_null(strstr(t, "cxl_agent_audit_write_seconds_count 1\n"));
	free(t);
	metrics_free(m);
}

static void test_bounded_opcodes(void **state)
{
	struct metrics *m = NULL;
	char *t, *p;
	int series = 0;
	(void)state;

	assert_int_equal(metrics_new(&m), 0);
	for (unsigned op = 0; op < 1000; op++)
		metrics_command(m, (uint16_t)op, CMD_RESULT_DEVICE_ERROR, 10, 1);
	t = render(m);
	for (p = t; (p = strstr(p, "cxl_agent_mailbox_commands_total{")); p++)
		series++;
	assert_true(series <= 33);
	assert_non_null(strstr(t, "{opcode=\"other\",outcome=\"device_error\"} 968\n"));
	free(t);
	metrics_free(m);
	/* NULL is accepted everywhere */
	metrics_http(NULL, 200);
	metrics_command(NULL, 1, CMD_RESULT_OK, 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_bounded_opcodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
