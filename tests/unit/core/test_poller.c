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

/* A command with effects wakes the poller at once instead of leaving the
 * cache stale for a whole interval. */
static void test_stale_wakes_poller(void **state)
{
	struct cxl_devset_config cfg = { .backend = CXL_BACKEND_EMULATED };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_dev_info a, b;
	struct cxl_cmd_result r;
	uint8_t mode[4] = { 2, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = CXL_EMU_OP_SET_MODE, .in = mode, .in_len = 4 };
	char dir[] = "/tmp/cxla-poll.XXXXXX", err[256], rm[64];
	(void)state;

	assert_non_null(mkdtemp(dir));
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 3600000;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(poller_start(set, 3600000, &p), 0);
	assert_int_equal(cxl_devset_info(set, 0, &a), 0);
	usleep(20 * 1000);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	cxl_cmd_result_clear(&r);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(cxl_devset_info(set, 0, &b), 0);
		if (b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec)
			break;
		usleep(10 * 1000);
	}
	assert_true(b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec);
	poller_stop(p);
	cxl_devset_free(set);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
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
		cmocka_unit_test(test_stale_wakes_poller),
		cmocka_unit_test(test_stop_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
