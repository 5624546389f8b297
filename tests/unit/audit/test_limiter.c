/* The per-caller denial limiter: a burst written, the rest counted, one
 * summary per window, counts never lost when slots are reused; and the
 * audit log writing the summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "audit/limiter.h"
#include "support/clock_step.h"
#include "support/tmpdir.h"

#define S 1000000ull

/* A denial at t, on a wall clock that agrees with the monotonic one. */
static int admit(struct denial_limiter *l, const char *user, const char *source, uint64_t t,
		 struct denial_summary *f)
{
	return denial_limiter_admit(l, user, source, t, t, f);
}

static void test_burst_then_counted(void **state)
{
	static struct denial_limiter l;
	struct denial_summary f;
	(void)state;

	denial_limiter_init(&l, 3, 60 * S);
	for (int i = 0; i < 3; i++)
		assert_int_equal(admit(&l, "eve", "192.0.2.1", 10 * S + i, &f), 1);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(admit(&l, "eve", "192.0.2.1", 20 * S + i, &f), 0);
		assert_int_equal(f.suppressed, 0);
	}
	/* another caller (same user elsewhere, or another user) has its own burst */
	assert_int_equal(admit(&l, "eve", "192.0.2.2", 21 * S, &f), 1);
	assert_int_equal(admit(&l, "bob", "192.0.2.1", 21 * S, &f), 1);
	/* the window ends: the next denial hands over the summary and is written */
	assert_int_equal(admit(&l, "eve", "192.0.2.1", 70 * S + 1, &f), 1);
	assert_int_equal(f.suppressed, 5);
	assert_string_equal(f.user, "eve");
	assert_string_equal(f.source, "192.0.2.1");
	assert_int_equal(f.first_us, 20 * S);
	assert_int_equal(f.last_us, 20 * S + 4);
	/* init empties the slots it already has */
	denial_limiter_init(&l, 3, 60 * S);
	assert_int_equal(admit(&l, "eve", "192.0.2.1", 71 * S, &f), 1);
	assert_int_equal(f.suppressed, 0);
	denial_limiter_release(&l);
}

static void test_unlimited(void **state)
{
	static struct denial_limiter l;
	struct denial_summary f;
	(void)state;

	denial_limiter_init(&l, 0, 60 * S);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(admit(&l, "eve", "x", (uint64_t)i, &f), 1);
	assert_null(l.slot); /* nothing to limit: no table */
}

static void test_drain(void **state)
{
	static struct denial_limiter l;
	struct denial_summary f, out[4];
	(void)state;

	denial_limiter_init(&l, 1, 60 * S);
	assert_int_equal(denial_limiter_drain(&l, 61 * S, 1, out, 4), 0); /* before any slot */
	admit(&l, "a", "x", 0, &f);
	admit(&l, "a", "x", 1, &f);
	admit(&l, "a", "x", 2, &f);
	/* the window has not ended: nothing to drain yet, unless all */
	assert_int_equal(denial_limiter_drain(&l, 30 * S, 0, out, 4), 0);
	assert_int_equal(denial_limiter_drain(&l, 61 * S, 0, out, 4), 1);
	assert_int_equal(out[0].suppressed, 2);
	/* drained once only */
	assert_int_equal(denial_limiter_drain(&l, 62 * S, 1, out, 4), 0);
	admit(&l, "b", "y", 100 * S, &f);
	admit(&l, "b", "y", 100 * S, &f);
	assert_int_equal(denial_limiter_drain(&l, 100 * S, 1, out, 4), 1);
	assert_string_equal(out[0].user, "b");
	denial_limiter_release(&l);
}

static void test_slot_reuse_keeps_counts(void **state)
{
	static struct denial_limiter l;
	struct denial_summary f;
	char user[32];
	unsigned handed = 0;
	(void)state;

	denial_limiter_init(&l, 1, 3600 * S);
	/* every slot holds a caller with one suppressed denial */
	for (int i = 0; i < DENIAL_LIMITER_SLOTS; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		assert_int_equal(admit(&l, user, "x", (uint64_t)i, &f), 1);
		assert_int_equal(admit(&l, user, "x", (uint64_t)i, &f), 0);
	}
	/* a new caller takes the oldest slot and hands its count over */
	for (int i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "new%d", i);
		assert_int_equal(admit(&l, user, "x", 1000 + (uint64_t)i, &f), 1);
		if (f.suppressed) {
			handed++;
			snprintf(user, sizeof(user), "u%d", i);
			assert_string_equal(f.user, user);
		}
	}
	assert_int_equal(handed, 10);
	denial_limiter_release(&l);
}

static int rm_rf(const char *dir)
{
	return tmpdir_remove(dir);
}

static void test_audit_writes_summaries(void **state)
{
	char dir[48], id[AUDIT_ID_MAX];
	struct audit_intent in = { .user = "eve", .source = "192.0.2.9", .device = "d",
				   .opcode = 0xC000, .allowed = 0, .reason = "InsufficientPrivilege" };
	struct audit_log *log;
	json_t *recs;
	size_t total, written = 0, summaries = 0;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "limiter"), 0);
	assert_int_equal(audit_open(dir, 0, 1, &log), 0);
	audit_set_denial_limit(log, 4, 60);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(audit_intent(log, &in, id), 0);
		if (i < 4)
			assert_true(id[0] != '\0');
		else
			assert_string_equal(id, "");
	}
	/* an allowed command is never counted away */
	in.allowed = 1;
	in.reason = "Allowed";
	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_true(id[0] != '\0');
	audit_close(log); /* writes the pending summary */
	assert_int_equal(audit_open(dir, 0, 1, &log), 0);
	assert_int_equal(audit_read(log, 0, 100, &recs, &total), 0);
	for (size_t i = 0; i < json_array_size(recs); i++) {
		json_t *r = json_array_get(recs, i);
		const char *type = json_string_value(json_object_get(r, "type"));
		if (strcmp(type, "Intent") == 0)
			written++;
		if (strcmp(type, "Suppressed") == 0) {
			summaries++;
			assert_int_equal(json_integer_value(json_object_get(r, "suppressed")), 46);
			assert_string_equal(json_string_value(json_object_get(r, "user")), "eve");
			assert_string_equal(json_string_value(json_object_get(r, "source")), "192.0.2.9");
		}
	}
	assert_int_equal(written, 5);
	assert_int_equal(summaries, 1);
	json_decref(recs);
	audit_close(log);
	assert_int_equal(rm_rf(dir), 0);
}

/* The window counts on the monotonic clock: the wall clock set forward a
 * day, then back (as the agent reads it), neither ends the caller's window
 * (its denials written one by one again) nor starts another; the summary's
 * first and last denial are wall-clock times, as every record's are. */
static void test_window_ignores_clock_steps(void **state)
{
	char dir[48], id[AUDIT_ID_MAX];
	struct audit_intent in = { .user = "eve", .source = "192.0.2.9", .device = "d",
				   .opcode = 0xC000, .allowed = 0, .reason = "InsufficientPrivilege" };
	struct audit_log *log;
	json_t *recs;
	size_t total, summaries = 0;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "limiter"), 0);
	assert_int_equal(audit_open(dir, 0, 1, &log), 0);
	audit_set_denial_limit(log, 2, 60);
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_intent(log, &in, id), 0);
	assert_string_equal(id, "");
	clock_step_realtime(86400);
	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_string_equal(id, "");
	clock_step_realtime(-86400);
	assert_int_equal(audit_intent(log, &in, id), 0);
	clock_step_realtime(0);
	assert_string_equal(id, "");
	audit_close(log);
	assert_int_equal(audit_open(dir, 0, 1, &log), 0);
	assert_int_equal(audit_read(log, 0, 100, &recs, &total), 0);
	for (size_t i = 0; i < json_array_size(recs); i++) {
		json_t *r = json_array_get(recs, i);
		const char *first = json_string_value(json_object_get(r, "first"));
		const char *last = json_string_value(json_object_get(r, "last"));

		if (strcmp(json_string_value(json_object_get(r, "type")), "Suppressed") != 0)
			continue;
		summaries++;
		assert_int_equal(json_integer_value(json_object_get(r, "suppressed")), 3);
		assert_non_null(first);
		assert_non_null(last);
		assert_true(strcmp(last, first) < 0); /* a day before the first */
	}
	assert_int_equal(summaries, 1);
	json_decref(recs);
	audit_close(log);
	assert_int_equal(rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_counted),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_slot_reuse_keeps_counts),
		cmocka_unit_test(test_audit_writes_summaries),
		cmocka_unit_test(test_window_ignores_clock_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
