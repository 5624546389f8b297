/* Server-sent event streams: the hub's once-a-second tick, which sends a
 * quiet stream's keep-alive and asks whether its caller may still read it,
 * goes on whatever the wall clock does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "events/bus.h"
#include "events/sse.h"
#include "support/clock_step.h"

static atomic_int wakes;
static atomic_int asked;

static void count_wake(void *waker)
{
	(void)waker;
	atomic_fetch_add(&wakes, 1);
}

static bool count_allowed(void *arg)
{
	(void)arg;
	atomic_fetch_add(&asked, 1);
	return true;
}

/* What the stream has to send now, as text in buf. */
static void read_all(struct http_stream *hs, char *buf, size_t len)
{
	long n = hs->read(hs->arg, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* With the wall clock read a day ahead of the one a REALTIME wait counts on
 * (a clock set back a day), the ticks still come every second: a quiet
 * stream gets its keep-alive and its caller is asked again. */
static void test_ticks_go_on_when_the_clock_is_set_back(void **state)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct event_bus *bus = NULL;
	struct sse_hub *hub = NULL;
	struct sse_open o = { .allowed = count_allowed };
	struct http_stream hs;
	char buf[256];
	bool kept_alive = false;
	(void)state;

	atomic_store(&wakes, 0);
	atomic_store(&asked, 0);
	clock_step_realtime(86400);
	assert_int_equal(event_bus_new(8, 1, &bus), 0);
	assert_int_equal(sse_hub_new(bus, 4, 1, 8, &hub), 0);
	assert_int_equal(sse_stream_open(hub, &o, &hs), 0);
	hs.attach(hs.arg, count_wake, NULL);
	read_all(&hs, buf, sizeof(buf));
	assert_non_null(strstr(buf, "event stream"));
	/* keep-alive after 1 s of quiet, at the next tick: well within 4 s */
	for (int i = 0; i < 80 && !kept_alive; i++) {
		nanosleep(&tick, NULL);
		if (atomic_load(&wakes) == 0)
			continue;
		read_all(&hs, buf, sizeof(buf));
		kept_alive = strstr(buf, ": keepalive") != NULL;
	}
	hs.release(hs.arg);
	sse_hub_free(hub);
	event_bus_free(bus);
	clock_step_realtime(0);
	assert_true(kept_alive);
	assert_true(atomic_load(&asked) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_go_on_when_the_clock_is_set_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
