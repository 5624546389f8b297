/* The poller refreshes devices and drains their event records with nobody
 * reading, and stops promptly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/poller.h"
#include "cxl/device.h"
#include "cxl/emulated.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_collects_without_readers(void **state)
{
	struct cxl_devset_config cfg = { .backend = CXL_BACKEND_EMULATED };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_event ev[8];
	char dir[] = "/tmp/cxla-poll.XXXXXX", err[256];
	uint64_t before;
	double t0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 50;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(cxl_emu_add_event(set, 0, CXL_EVENT_LOG_WARN), 0);
	before = cxl_devset_mailbox_count(set, 0);

	assert_int_equal(poller_start(set, 50, &p), 0);
	usleep(400 * 1000);
	/* Refreshes happened on their own: the count moved without any read. */
	assert_true(cxl_devset_mailbox_count(set, 0) > before);
	assert_true(cxl_devset_mailbox_count(set, 1) > 0);
	/* Rounds complete, so the watchdog's liveness measure stays small. */
	assert_true(poller_idle_ms(p) < 300);
	t0 = now_s();
	poller_stop(p);
	assert_true(now_s() - t0 < 1.0);

	/* The record the device held is now in the agent's log. */
	assert_true(cxl_devset_events(set, 0, 0, ev, 8) >= 1);
	cxl_devset_free(set);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Without a finished round the idle time grows: that is what stops the
 * service watchdog when device refreshes hang. */
static void test_idle_grows_between_rounds(void **state)
{
	struct cxl_devset_config cfg = { .backend = CXL_BACKEND_EMULATED };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	char dir[] = "/tmp/cxla-poll.XXXXXX", err[256], cmd[64];
	(void)state;

	assert_non_null(mkdtemp(dir));
	cfg.state_dir = dir;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(poller_start(set, 60000, &p), 0);
	assert_true(poller_idle_ms(p) < 100);
	usleep(250 * 1000);
	assert_true(poller_idle_ms(p) >= 200);
	poller_stop(p);
	cxl_devset_free(set);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_stop_null(void **state)
{
	(void)state;
	poller_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collects_without_readers),
		cmocka_unit_test(test_idle_grows_between_rounds),
		cmocka_unit_test(test_stop_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
