/* push.c: the delivery table the broker sends with each device snapshot.
 * The front shows a command it cannot find there as Unavailable, so the
 * approved commands, the ones callers run, must always be in it, however
 * long the device's CEL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "broker/internal.h"
#include "core/agent.h"
#include "policy/catalogue.h"
#include "support/agent_fixture.h"

static int setup(void **state)
{
	struct test_agent *t;
	char cfg[1024];

	snprintf(cfg, sizeof(cfg), "{\"policy_file\": \"%s/packaging/policy.example.json\"}",
		 getenv("CXLA_SOURCE_DIR"));
	if (test_agent_open(cfg, &t))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	test_agent_close(*state);
	return 0;
}

static bool listed(const struct broker_delivery *d, size_t n, uint16_t op)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].opcode == op)
			return true;
	return false;
}

/* A CEL of more entries than the table holds, none of them approved: the
 * table is full, and every approved command is in it with its path. */
static void test_approved_commands_survive_a_long_cel(void **state)
{
	struct test_agent *t = *state;
	struct broker b = { .ag = t->ag };
	struct policy_catalogue *cat = catalogue_cell_get(&t->ag->catalogue);
	struct cxl_cel cel = { BROKER_DELIVERY_MAX + 100, NULL };
	struct broker_delivery *d = NULL;
	size_t n = 0;

	assert_non_null(cat);
	assert_true(catalogue_count(cat) >= 4);
	cel.entries = calloc(cel.count, sizeof(*cel.entries));
	assert_non_null(cel.entries);
	for (size_t i = 0; i < cel.count; i++)
		cel.entries[i].opcode = (uint16_t)(0x0100 + i);
	assert_int_equal(broker_delivery_table(&b, 0, &cel, &d, &n), 0);
	assert_int_equal(n, BROKER_DELIVERY_MAX);
	for (size_t i = 0; i < catalogue_count(cat); i++) {
		uint16_t op = catalogue_at(cat, i)->opcode;
		if (!listed(d, n, op))
			fail_msg("approved opcode 0x%04X left out", op);
	}
	/* the rest of the table is the CEL, in its order, without repeats */
	assert_true(listed(d, n, 0x0100));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_int_not_equal(d[i].opcode, d[j].opcode);
	free(d);
	free(cel.entries);
	catalogue_unref(cat);
}

/* An approved opcode that is also in the CEL is listed once. */
static void test_no_repeats(void **state)
{
	struct test_agent *t = *state;
	struct broker b = { .ag = t->ag };
	struct policy_catalogue *cat = catalogue_cell_get(&t->ag->catalogue);
	struct cxl_cel_entry e[2] = { { 0 } };
	struct cxl_cel cel = { 2, e };
	struct broker_delivery *d = NULL;
	size_t n = 0;

	e[0].opcode = catalogue_at(cat, 0)->opcode;
	e[1].opcode = 0x4000;
	assert_int_equal(broker_delivery_table(&b, 0, &cel, &d, &n), 0);
	assert_int_equal(n, catalogue_count(cat) + 1);
	assert_true(listed(d, n, 0x4000));
	free(d);
	catalogue_unref(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approved_commands_survive_a_long_cel),
		cmocka_unit_test(test_no_repeats),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
