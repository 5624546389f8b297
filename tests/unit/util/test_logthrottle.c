/* The log throttle: a few lines per kind and source per window, a count of
 * the rest in one summary, a bounded output with every table full. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/fake_clock.h"
#include "util/logthrottle.h"

#define BURST 3
#define WINDOW 60

#define KIND_TOKEN "authentication failed (Session)"
#define KIND_LIMIT "authentication refused (rate limited)"

struct seen {
	unsigned n;
	struct {
		const char *kind;
		char source[LOG_THROTTLE_SOURCE_MAX];
		uint64_t held;
		unsigned window_s;
		int level;
	} s[256];
	uint64_t total;
};

static void record(void *arg, const struct log_throttle_summary *sum)
{
	struct seen *seen = arg;

	seen->total += sum->held;
	if (seen->n >= 256)
		return;
	seen->s[seen->n].kind = sum->kind;
	snprintf(seen->s[seen->n].source, sizeof(seen->s[0].source), "%s", sum->source);
	seen->s[seen->n].held = sum->held;
	seen->s[seen->n].window_s = sum->window_s;
	seen->s[seen->n].level = sum->level;
	seen->n++;
}

struct fixture {
	struct fake_clock fc;
	struct log_throttle t;
	struct seen seen;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	fake_clock_init(&f.fc);
	if (log_throttle_init(&f.t, &f.fc.source, BURST, WINDOW))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	log_throttle_destroy(&f->t);
	fake_clock_destroy(&f->fc);
	return 0;
}

static unsigned admit_n(struct fixture *f, unsigned n, int level, const char *kind,
			const char *source)
{
	unsigned passed = 0;

	for (unsigned i = 0; i < n; i++)
		passed += log_throttle_admit(&f->t, level, kind, source, record, &f->seen);
	return passed;
}

/* The first lines pass, the rest are counted, and the count comes once the
 * window has ended: before the key's next line, which starts a new window. */
static void test_burst_then_summary(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(admit_n(f, 1000, 6, KIND_TOKEN, "192.0.2.7"), BURST);
	assert_int_equal(f->seen.n, 0);
	fake_clock_advance(&f->fc, WINDOW - 1);
	assert_int_equal(admit_n(f, 10, 6, KIND_TOKEN, "192.0.2.7"), 0);
	assert_int_equal(f->seen.n, 0);
	fake_clock_advance(&f->fc, 1);
	assert_true(log_throttle_admit(&f->t, 6, KIND_TOKEN, "192.0.2.7", record, &f->seen));
	assert_int_equal(f->seen.n, 1);
	assert_string_equal(f->seen.s[0].kind, KIND_TOKEN);
	assert_string_equal(f->seen.s[0].source, "192.0.2.7");
	assert_int_equal(f->seen.s[0].held, 1010 - BURST);
	assert_int_equal(f->seen.s[0].window_s, WINDOW);
	assert_int_equal(f->seen.s[0].level, 6);
	/* the new window has room for the rest of its burst only */
	assert_int_equal(admit_n(f, 10, 6, KIND_TOKEN, "192.0.2.7"), BURST - 1);
}

/* With no later line of its key, a flush after the window summarises it;
 * before the window ends it says nothing; at exit it says everything. */
static void test_flush(void **state)
{
	struct fixture *f = *state;

	admit_n(f, 50, 4, KIND_LIMIT, "192.0.2.7");
	admit_n(f, 2, 6, KIND_TOKEN, "192.0.2.8");
	assert_int_equal(log_throttle_flush(&f->t, false, record, &f->seen), 0);
	assert_int_equal(f->seen.n, 0);
	fake_clock_advance(&f->fc, WINDOW);
	/* the key that held nothing back ends without a summary */
	assert_int_equal(log_throttle_flush(&f->t, false, record, &f->seen), 1);
	assert_int_equal(f->seen.n, 1);
	assert_string_equal(f->seen.s[0].kind, KIND_LIMIT);
	assert_int_equal(f->seen.s[0].held, 50 - BURST);
	assert_int_equal(f->seen.s[0].level, 4);
	/* said once, not again */
	fake_clock_advance(&f->fc, WINDOW);
	assert_int_equal(log_throttle_flush(&f->t, false, record, &f->seen), 0);

	/* at exit, 20 s into a window: the summary spans those 20 s */
	admit_n(f, 10, 6, KIND_TOKEN, "192.0.2.9");
	fake_clock_advance(&f->fc, 20);
	assert_int_equal(log_throttle_flush(&f->t, true, record, &f->seen), 1);
	assert_int_equal(f->seen.n, 2);
	assert_int_equal(f->seen.s[1].held, 10 - BURST);
	assert_int_equal(f->seen.s[1].window_s, 20);
}

/* A flood of one key leaves the others their own lines: another source of
 * the same kind, another kind from the same source, a kind with no source. */
static void test_keys_apart(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(admit_n(f, 10000, 6, KIND_TOKEN, "192.0.2.7"), BURST);
	assert_int_equal(admit_n(f, 10, 6, KIND_TOKEN, "192.0.2.8"), BURST);
	assert_int_equal(admit_n(f, 10, 4, KIND_LIMIT, "192.0.2.7"), BURST);
	assert_int_equal(admit_n(f, 10, 4, "cxl: trace lines not decoded", NULL), BURST);
	assert_int_equal(admit_n(f, 10, 4, "cxl: trace lines not decoded", ""), 0);
	fake_clock_advance(&f->fc, WINDOW);
	assert_int_equal(log_throttle_flush(&f->t, false, record, &f->seen), 4);
	assert_int_equal(f->seen.total, (10000 - BURST) + 3 * (10 - BURST) + 10);
}

/* The most severe level held back is the summary's. */
static void test_summary_level(void **state)
{
	struct fixture *f = *state;

	admit_n(f, BURST + 1, 6, KIND_TOKEN, "192.0.2.7");
	admit_n(f, 1, 4, KIND_TOKEN, "192.0.2.7");
	admit_n(f, 1, 6, KIND_TOKEN, "192.0.2.7");
	log_throttle_flush(&f->t, true, record, &f->seen);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.s[0].held, 3);
	assert_int_equal(f->seen.s[0].level, 4);
}

/* Many sources: once the source table is full, the rest of a kind share
 * the kind's own key; once the kinds are full too, one last key. Output in
 * a window stays bounded, and a kind that finds its table full still has
 * lines of its own. */
static void test_full_tables_bound_output(void **state)
{
	struct fixture *f = *state;
	char src[32], kind[LOG_THROTTLE_KINDS + 4][32];
	unsigned passed = 0, calls = 0;

	for (unsigned i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "2001:db8::%x", i);
		passed += admit_n(f, 5, 6, KIND_TOKEN, src);
		calls += 5;
	}
	assert_int_equal(passed, BURST * (LOG_THROTTLE_SOURCES + 1));
	/* another kind, from a new source: the source table is full, but the
	 * kind has a key of its own */
	assert_int_equal(admit_n(f, 10, 4, KIND_LIMIT, "198.51.100.1"), BURST);
	calls += 10;
	passed += BURST;
	/* every kind's key taken: the last shared one */
	for (unsigned k = 0; k < LOG_THROTTLE_KINDS + 4; k++) {
		snprintf(kind[k], sizeof(kind[k]), "kind %u", k);
		passed += admit_n(f, 10, 6, kind[k], NULL);
		calls += 10;
	}
	assert_int_equal(passed,
			 BURST * (LOG_THROTTLE_SOURCES + LOG_THROTTLE_KINDS + 1));
	fake_clock_advance(&f->fc, WINDOW);
	log_throttle_flush(&f->t, false, record, &f->seen);
	assert_int_equal(passed + f->seen.total, calls);
	assert_true(f->seen.n <= LOG_THROTTLE_SOURCES + LOG_THROTTLE_KINDS + 1);
	assert_string_equal(f->seen.s[f->seen.n - 1].kind, LOG_THROTTLE_OTHER);
	/* the tables are free again: a new source has its lines */
	assert_int_equal(admit_n(f, 10, 6, KIND_TOKEN, "192.0.2.200"), BURST);
}

/* A source longer than a slot keeps is cut alike on every line. */
static void test_long_source(void **state)
{
	struct fixture *f = *state;
	char src[200];

	memset(src, 'a', sizeof(src) - 1);
	src[sizeof(src) - 1] = '\0';
	assert_int_equal(admit_n(f, 10, 6, KIND_TOKEN, src), BURST);
}

static void test_no_limit(void **state)
{
	struct fixture *f = *state;

	log_throttle_set(&f->t, 0, WINDOW);
	assert_int_equal(admit_n(f, 500, 6, KIND_TOKEN, "192.0.2.7"), 500);
	log_throttle_set(&f->t, 1, 0);
	assert_int_equal(admit_n(f, 5, 6, KIND_TOKEN, "192.0.2.7"), 1);
	/* a window of 0 is taken as one second */
	fake_clock_advance(&f->fc, 1);
	assert_int_equal(admit_n(f, 5, 6, KIND_TOKEN, "192.0.2.7"), 1);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.s[0].held, 4);
}

struct racer {
	struct fixture *f;
	unsigned passed;
	uint64_t held;
};

static void count_held(void *arg, const struct log_throttle_summary *sum)
{
	struct racer *r = arg;

	r->held += sum->held;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	char src[32];

	for (unsigned i = 0; i < 20000; i++) {
		snprintf(src, sizeof(src), "10.0.%u.%u", (i / 7) % 3, i % 97);
		r->passed += log_throttle_admit(&r->f->t, 6, KIND_TOKEN, src, count_held, r);
		if (i % 1000 == 0)
			fake_clock_advance(&r->f->fc, 20);
	}
	return NULL;
}

/* Threads at once: every line is either written or counted in a summary. */
static void test_threads(void **state)
{
	struct fixture *f = *state;
	struct racer r[4] = { { f, 0, 0 }, { f, 0, 0 }, { f, 0, 0 }, { f, 0, 0 } };
	pthread_t th[4];
	unsigned passed = 0;
	uint64_t held = 0;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		passed += r[i].passed;
	}
	log_throttle_flush(&f->t, true, count_held, &r[0]);
	for (int i = 0; i < 4; i++)
		held += r[i].held;
	assert_int_equal(passed + held, 4 * 20000);
	assert_true(passed < 4 * 20000 / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_burst_then_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_tables_bound_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
