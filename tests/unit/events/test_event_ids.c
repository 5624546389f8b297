/* Event ids across restarts (events/event_ids.h): a start's first id is
 * above every id an earlier start handed out, even with the wall clock set
 * back between them, because the earlier start reserved its ids durably
 * block by block; a mark that is not one, a link, a FIFO or a directory is
 * refused; a crash's temporaries are removed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "events/bus.h"
#include "events/event_ids.h"
#include "support/fake_clock.h"
#include "support/tmpdir.h"

struct fx {
	char dir[128];
	char path[192];
	struct fake_clock clock;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || tmpdir_make(f->dir, sizeof(f->dir), "event-ids")) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/event-id", f->dir);
	fake_clock_init(&f->clock);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = tmpdir_remove(f->dir);

	fake_clock_destroy(&f->clock);
	free(f);
	return rc ? -1 : 0;
}

static uint64_t clock_us(struct fake_clock *fc)
{
	struct timespec now;

	clock_realtime(&fc->source, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

static uint64_t mark_in(const char *path)
{
	char buf[64] = "";
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	return strtoull(buf, NULL, 10);
}

static void spill(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	fclose(fp);
}

static uint64_t publish(struct event_bus *bus)
{
	struct event_desc d = { .registry_prefix = "ResourceEvent",
				.message_id = "ResourceEvent.1.0.ResourceChanged",
				.resource_type = "Memory",
				.origin = "/redfish/v1/Systems/host/Memory/1",
				.record = json_object() };

	return event_bus_publish(bus, &d);
}

/* A start (seed, bus, reservation); its bus in *out. */
static uint64_t start(struct fx *f, struct event_bus **out)
{
	uint64_t first = 0;

	assert_int_equal(event_ids_seed(&f->clock.source, f->path, &first), 0);
	assert_int_equal(event_bus_new(4, first, out), 0);
	assert_int_equal(event_bus_keep_ids(*out, f->path), 0);
	return first;
}

static void test_first_start_follows_the_clock(void **state)
{
	struct fx *f = *state;
	struct event_bus *bus;
	uint64_t first = start(f, &bus);

	assert_int_equal(first, clock_us(&f->clock));
	/* The first block is on disk before any event has its id. */
	assert_int_equal(mark_in(f->path), first + EVENT_ID_BLOCK);
	assert_int_equal(publish(bus), first);
	event_bus_free(bus);
}

/* The clock set back a day between two starts: the second start's ids
 * still follow every id of the first (they used to start a day's worth of
 * microseconds below them). */
static void test_ids_grow_across_a_clock_set_back(void **state)
{
	struct fx *f = *state;
	struct event_bus *bus;
	uint64_t last = 0, first;
	struct stat st;

	start(f, &bus);
	for (unsigned i = 0; i < EVENT_ID_BLOCK + 10; i++)
		last = publish(bus);
	/* A second block was reserved as the first ran out, before its use. */
	assert_true(mark_in(f->path) > last);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	event_bus_free(bus);

	fake_clock_step_realtime(&f->clock, -86400);
	first = start(f, &bus);
	assert_true(first > last);
	assert_true(publish(bus) > last);
	event_bus_free(bus);

	/* A clock ahead of the mark wins: ids follow the time again. */
	fake_clock_step_realtime(&f->clock, 2 * 86400);
	first = start(f, &bus);
	assert_int_equal(first, clock_us(&f->clock));
	event_bus_free(bus);
}

static void test_damaged_mark_refused(void **state)
{
	static const char *const bad[] = { "", "\n", "abc\n", "-5\n", "12x\n", "0\n",
					   " 12\n", "12\n\n", "99999999999999999999999\n" };
	struct fx *f = *state;
	char target[256];
	uint64_t first = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spill(f->path, bad[i]);
		if (event_ids_seed(&f->clock.source, f->path, &first) != -EBADMSG)
			fail_msg("mark %zu (\"%s\") not refused", i, bad[i]);
	}
	/* A link to a good mark is not followed. */
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	spill(target, "123\n");
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(event_ids_seed(&f->clock.source, f->path, &first), -ELOOP);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(event_ids_seed(&f->clock.source, f->path, &first), -EINVAL);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(event_ids_seed(&f->clock.source, f->path, &first), -EISDIR);
	assert_int_equal(rmdir(f->path), 0);
}

static void test_stale_temporaries_removed(void **state)
{
	struct fx *f = *state;
	char tmp[256];
	uint64_t first = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.Ab3dEf", f->path);
	spill(tmp, "{");
	spill(f->path, "5000000000000000\n");
	assert_int_equal(event_ids_seed(&f->clock.source, f->path, &first), 0);
	assert_int_equal(first, 5000000000000000u);
	assert_int_equal(access(tmp, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_start_follows_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_grow_across_a_clock_set_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damaged_mark_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temporaries_removed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
