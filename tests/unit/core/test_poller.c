/* The poller refreshes devices and drains their event records with nobody
 * reading, and stops promptly. */
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/poller.h"
#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emu_hooks.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "support/tmpdir.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_collects_without_readers(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_event ev[8];
	char dir[48], err[256];
	uint64_t before;
	double t0;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 50;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(emu_add_event(set, 0, CXL_EVENT_LOG_WARN), 0);
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
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A backend that forwards to the emulated one and notes which thread sent
 * each command, so a test can tell the poller's traffic from a reader's. */
#define SPY_MAX 4096
struct spy {
	struct cxl_backend be;
	struct cxl_backend *inner;
	pthread_mutex_t lock;
	size_t n;
	pthread_t who[SPY_MAX];
	uint16_t opcode[SPY_MAX];
	size_t idx[SPY_MAX];
	size_t stack[SPY_MAX]; /* the sending thread's stack size, 0 unknown */
};

static int spy_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	struct spy *s = (struct spy *)be;
	return s->inner->ops->enumerate(s->inner, info, max);
}

static int spy_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct spy *s = (struct spy *)be;
	pthread_attr_t attr;
	size_t stack = 0;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstacksize(&attr, &stack))
			stack = 0;
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_lock(&s->lock);
	if (s->n < SPY_MAX) {
		s->stack[s->n] = stack;
		s->who[s->n] = pthread_self();
		s->opcode[s->n] = opcode;
		s->idx[s->n] = idx;
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
	return s->inner->ops->submit(s->inner, idx, opcode, in, in_len, out, out_max, out_len,
				     mbox_rc, deadline);
}

static void spy_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out)
{
	struct spy *s = (struct spy *)be;
	s->inner->ops->delivery(s->inner, idx, opcode, out);
}

static void spy_free(struct cxl_backend *be)
{
	struct spy *s = (struct spy *)be;
	s->inner->ops->free(s->inner);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct cxl_backend_ops spy_ops = {
	.name = "spy",
	.enumerate = spy_enumerate,
	.submit = spy_submit,
	.delivery = spy_delivery,
	.free = spy_free,
};

struct reader {
	struct cxl_devset *set;
	pthread_t thread;
	atomic_bool stop;
	atomic_ulong reads;
};

/* What a GET does: every cached view of every device, as fast as it can. */
static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct cxl_dev_info info;
	struct cxl_health h;
	struct cxl_event ev[8];
	struct cxl_delivery_info di;
	struct cxl_cel cel;

	while (!atomic_load(&r->stop)) {
		for (size_t i = 0; i < cxl_devset_count(r->set); i++) {
			assert_int_equal(cxl_devset_info(r->set, i, &info), 0);
			assert_int_equal(cxl_devset_health(r->set, i, &h), 0);
			assert_true(cxl_devset_events(r->set, i, 0, ev, 8) >= 0);
			assert_int_equal(cxl_devset_cel(r->set, i, &cel), 0);
			cxl_cel_free(&cel);
			assert_int_equal(cxl_devset_delivery(r->set, i, CXL_OP_GET_EVENT_RECORDS, &di),
					 0);
		}
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

/* Readers never talk to devices, however stale the cache: every command
 * after open, Clear Event Records included, comes from the poller's thread
 * for that device, and the poller does drain the records a reader can then
 * see. */
static void test_only_the_poller_talks_to_devices(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" }, .refresh_interval_ms = 1 };
	struct spy *spy = calloc(1, sizeof(*spy));
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct reader rd[2];
	struct cxl_event ev[8];
	char dir[48], err[256];
	size_t after_open, clears = 0, from_poller = 0;
	pthread_t poller_thread[2] = { 0, 0 };
	(void)state;

	assert_non_null(spy);
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	assert_int_equal(cxl_emu_backend_new(NULL, dir, &spy->inner, err, sizeof(err)), 0);
	spy->be.ops = &spy_ops;
	pthread_mutex_init(&spy->lock, NULL);
	assert_int_equal(cxl_devset_open_backend(&cfg, &spy->be, &set, err, sizeof(err)), 0);
	after_open = spy->n;
	assert_true(after_open > 0);

	/* A stale cache and a pending record: readers alone change nothing. */
	assert_int_equal(cxl_emu_add_event(spy->inner, 0, CXL_EVENT_LOG_WARN), 0);
	usleep(20 * 1000);
	for (int i = 0; i < 2; i++) {
		rd[i].set = set;
		atomic_init(&rd[i].stop, false);
		atomic_init(&rd[i].reads, 0);
		assert_int_equal(pthread_create(&rd[i].thread, NULL, read_loop, &rd[i]), 0);
	}
	/* however long the machine takes to run them: many rounds each */
	for (int i = 0; i < 1000 && (atomic_load(&rd[0].reads) < 50 || atomic_load(&rd[1].reads) < 50);
	     i++)
		usleep(10 * 1000);
	assert_true(atomic_load(&rd[0].reads) >= 50 && atomic_load(&rd[1].reads) >= 50);
	pthread_mutex_lock(&spy->lock);
	assert_true(spy->n == after_open);
	pthread_mutex_unlock(&spy->lock);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 8), 0);

	/* With the poller, the record is collected while the readers go on. */
	assert_int_equal(poller_start(set, 20, &p), 0);
	for (int i = 0; i < 1000 && cxl_devset_events(set, 0, 0, ev, 8) < 1; i++)
		usleep(10 * 1000);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 8), 1);
	assert_int_equal(ev[0].log, CXL_EVENT_LOG_WARN);
	for (int i = 0; i < 2; i++) {
		atomic_store(&rd[i].stop, true);
		assert_int_equal(pthread_join(rd[i].thread, NULL), 0);
	}
	poller_stop(p);

	pthread_mutex_lock(&spy->lock);
	for (size_t i = after_open; i < spy->n; i++) {
		bool reader = pthread_equal(spy->who[i], pthread_self());
		for (int k = 0; k < 2; k++)
			reader = reader || pthread_equal(spy->who[i], rd[k].thread);
		assert_false(reader);
		assert_true(spy->idx[i] < 2);
		if (!poller_thread[spy->idx[i]])
			poller_thread[spy->idx[i]] = spy->who[i];
		assert_true(pthread_equal(spy->who[i], poller_thread[spy->idx[i]]));
		from_poller++;
		if (spy->opcode[i] == CXL_OP_CLEAR_EVENT_RECORDS)
			clears++;
	}
	pthread_mutex_unlock(&spy->lock);
	assert_true(from_poller > 0);
	assert_true(clears >= 1);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A refresher's stack is small: with one thread per device and up to
 * CXL_MAX_DEVICES devices, glibc's default (8 MiB each) would reserve half a
 * GiB of address space. The refresh still runs, Clear Event Records
 * included, within it. */
static void test_refreshers_have_small_stacks(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct spy *spy = calloc(1, sizeof(*spy));
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_event ev[8];
	char dir[48], err[256];
	size_t after_open, seen = 0;
	(void)state;

	assert_non_null(spy);
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	assert_int_equal(cxl_emu_backend_new(NULL, dir, &spy->inner, err, sizeof(err)), 0);
	spy->be.ops = &spy_ops;
	pthread_mutex_init(&spy->lock, NULL);
	assert_int_equal(cxl_devset_open_backend(&cfg, &spy->be, &set, err, sizeof(err)), 0);
	after_open = spy->n;
	assert_int_equal(cxl_emu_add_event(spy->inner, 1, CXL_EVENT_LOG_WARN), 0);
	assert_int_equal(poller_start(set, 20, &p), 0);
	for (int i = 0; i < 1000 && cxl_devset_events(set, 1, 0, ev, 8) < 1; i++)
		usleep(10 * 1000);
	poller_stop(p);
	assert_int_equal(cxl_devset_events(set, 1, 0, ev, 8), 1);

	pthread_mutex_lock(&spy->lock);
	for (size_t i = after_open; i < spy->n; i++) {
		assert_false(pthread_equal(spy->who[i], pthread_self()));
		assert_true(spy->stack[i] > 0);
		assert_true(spy->stack[i] <= 1024u * 1024u);
		seen++;
	}
	pthread_mutex_unlock(&spy->lock);
	assert_true(seen > 0);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A command with effects wakes the poller at once instead of leaving the
 * cache stale for a whole interval. */
static void test_stale_wakes_poller(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_dev_info a, b;
	struct cxl_cmd_result r;
	uint8_t mode[4] = { 2, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = CXL_EMU_OP_SET_MODE, .in = mode, .in_len = 4 };
	char dir[48], err[256];
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 3600000;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(poller_start(set, 3600000, &p), 0);
	assert_int_equal(cxl_devset_info(set, 0, &a), 0);
	usleep(20 * 1000);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	cxl_cmd_result_clear(&r);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(cxl_devset_info(set, 0, &b), 0);
		if (b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec)
			break;
		usleep(10 * 1000);
	}
	assert_true(b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec);
	poller_stop(p);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* A command on one device kicks every refresher; another device, not yet
 * due, is still refreshed an interval after its last refresh, not an
 * interval after the kick (which let its data age to 1.6 intervals here). */
static void test_kick_keeps_the_others_schedule(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_dev_info a, b;
	struct cxl_cmd_result r;
	uint8_t mode[4] = { 2, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = CXL_EMU_OP_SET_MODE, .in = mode, .in_len = 4 };
	char dir[48], err[256];
	int i;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 1000;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_info(set, 1, &a), 0);
	assert_int_equal(poller_start(set, 1000, &p), 0);
	/* the poller's first refresh of device 1 */
	for (i = 0; i < 500; i++) {
		assert_int_equal(cxl_devset_info(set, 1, &b), 0);
		if (b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec)
			break;
		usleep(10 * 1000);
	}
	assert_true(b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec);
	a = b;
	usleep(600 * 1000);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	cxl_cmd_result_clear(&r);
	for (i = 0; i < 500; i++) {
		assert_int_equal(cxl_devset_info(set, 1, &b), 0);
		if (b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec)
			break;
		usleep(10 * 1000);
	}
	poller_stop(p);
	assert_true(b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec);
	/* an interval, with room for a loaded machine; 1600 ms before */
	assert_true(ms_between(&a.read_at, &b.read_at) < 1400);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* Without a finished round the idle time grows: that is what stops the
 * service watchdog when device refreshes hang. */
static void test_idle_grows_between_rounds(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	char dir[48], err[256];
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(poller_start(set, 60000, &p), 0);
	assert_true(poller_idle_ms(p) < 100);
	usleep(250 * 1000);
	assert_true(poller_idle_ms(p) >= 200);
	poller_stop(p);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A device that does not answer holds its own refresh for the whole
 * timeout, round after round; the other device is refreshed at the
 * interval all the while, its data never older than about the interval. */
static void test_silent_device_delays_only_itself(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct cxl_backend *be;
	struct poller *p = NULL;
	struct cxl_dev_info a, b;
	char dir[48], err[256];
	size_t local;
	int refreshed = 0;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 50;
	cfg.default_timeout_ms = 2000;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_locate(set, 0, &be, &local), 0);
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_TIMEOUT, -1, -1), 0);
	assert_int_equal(poller_start(set, 50, &p), 0);
	usleep(100 * 1000); /* device 0's refresh is under way, and hangs */
	assert_int_equal(cxl_devset_info(set, 1, &a), 0);
	for (int i = 0; i < 15; i++) {
		usleep(100 * 1000);
		assert_int_equal(cxl_devset_info(set, 1, &b), 0);
		if (b.read_at.tv_sec != a.read_at.tv_sec || b.read_at.tv_nsec != a.read_at.tv_nsec)
			refreshed++;
		a = b;
	}
	/* one poller thread for both would refresh device 1 once in 2 s, so
	 * once at most here; a loaded machine may skip some periods */
	if (refreshed < 5)
		fail_msg("device 1 refreshed in %d of 15 periods of 100 ms", refreshed);
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_NONE, 0, -1), 0);
	poller_stop(p);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* Once quiesced (the agent is stopping) a command with effects still runs,
 * but no refresh follows it: the device's mailbox sees the command alone. */
static void test_quiesced_starts_no_refresh(void **state)
{
	struct cxl_devset_config cfg = { .backends = { "emulated" } };
	struct cxl_devset *set = NULL;
	struct poller *p = NULL;
	struct cxl_cmd_result r;
	uint8_t mode[4] = { 1, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = CXL_EMU_OP_SET_MODE, .in = mode, .in_len = 4 };
	char dir[48], err[256];
	uint64_t before;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "poll"), 0);
	cfg.state_dir = dir;
	cfg.refresh_interval_ms = 3600000;
	assert_int_equal(cxl_devset_open(&cfg, &set, NULL, err, sizeof(err)), 0);
	assert_int_equal(poller_start(set, 3600000, &p), 0);
	poller_quiesce(p);
	poller_quiesce(p); /* twice changes nothing */
	before = cxl_devset_mailbox_count(set, 0);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	cxl_cmd_result_clear(&r);
	usleep(200 * 1000);
	assert_int_equal(cxl_devset_mailbox_count(set, 0), before + 1);
	poller_stop(p);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_stop_null(void **state)
{
	(void)state;
	poller_quiesce(NULL);
	poller_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collects_without_readers),
		cmocka_unit_test(test_only_the_poller_talks_to_devices),
		cmocka_unit_test(test_refreshers_have_small_stacks),
		cmocka_unit_test(test_stale_wakes_poller),
		cmocka_unit_test(test_kick_keeps_the_others_schedule),
		cmocka_unit_test(test_idle_grows_between_rounds),
		cmocka_unit_test(test_silent_device_delays_only_itself),
		cmocka_unit_test(test_quiesced_starts_no_refresh),
		cmocka_unit_test(test_stop_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
