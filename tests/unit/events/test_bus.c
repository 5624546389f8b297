/* The event bus: ids, replay from the ring, per-consumer bounded queues with
 * counted drops, filters, and publishers on several threads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events/bus.h"
#include "events/filter.h"
#include "events/messages.h"
#include "support/alloc_fail.h"

static uint64_t emit_removed(struct event_bus *bus, const char *origin)
{
	return event_emit(bus, EVM_RESOURCE_REMOVED, NULL, origin, "PCIeDevice", NULL, NULL);
}

static void test_ids_and_event_text(void **state)
{
	struct event_bus *bus = NULL;
	struct event_consumer *c = NULL;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct event *ev;
	json_t *doc, *rec;
	(void)state;

	assert_int_equal(event_bus_new(8, 1000, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	assert_int_equal(emit_removed(bus, "/redfish/v1/Chassis/host/PCIeDevices/a"), 1000);
	assert_int_equal(emit_removed(bus, NULL), 1001);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	assert_int_equal(ev->id, 1000);
	assert_string_equal(ev->message_id, "ResourceEvent.1.4.ResourceRemoved");
	assert_string_equal(ev->registry_prefix, "ResourceEvent");
	doc = json_loads(ev->text, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "Id")), "1000");
	rec = json_array_get(json_object_get(doc, "Events"), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "EventId")), "1000");
	assert_string_equal(json_string_value(json_object_get(rec, "MessageSeverity")), "OK");
	assert_string_equal(json_string_value(json_object_get(rec, "Message")),
			    "The resource was removed successfully.");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(rec, "OriginOfCondition"), "@odata.id")),
			    "/redfish/v1/Chassis/host/PCIeDevices/a");
	assert_non_null(json_object_get(rec, "EventTimestamp"));
	json_decref(doc);
	event_unref(ev);
	ev = event_consumer_next(c);
	assert_int_equal(ev->id, 1001);
	event_unref(ev);
	assert_null(event_consumer_next(c));
	event_consumer_free(c);
	event_bus_free(bus);
}

static void test_overflow_drops_counted(void **state)
{
	struct event_bus *bus = NULL;
	struct event_consumer *small = NULL, *big = NULL;
	struct event_consumer_config cs = { .name = "small", .queue_len = 2 };
	struct event_consumer_config cb = { .name = "big", .queue_len = 16 };
	struct event_bus_stats st;
	(void)state;

	assert_int_equal(event_bus_new(4, 1, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cs, &small), 0);
	assert_int_equal(event_consumer_new(bus, &cb, &big), 0);
	for (int i = 0; i < 5; i++)
		assert_true(emit_removed(bus, NULL) > 0);
	assert_int_equal(event_consumer_depth(small), 2);
	assert_int_equal(event_consumer_dropped(small), 3);
	assert_int_equal(event_consumer_depth(big), 5);
	assert_int_equal(event_consumer_dropped(big), 0);
	event_bus_stats(bus, &st);
	assert_int_equal(st.published, 5);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.last_id, 5);
	assert_int_equal(st.consumers, 2);
	assert_int_equal(st.queued, 7);
	/* freeing a consumer with queued events releases them */
	event_consumer_free(small);
	event_consumer_free(big);
	event_bus_free(bus);
}

static void test_replay_from_ring(void **state)
{
	struct event_bus *bus = NULL;
	struct event_consumer *c = NULL;
	struct event_consumer_config cc = { .name = "r", .queue_len = 16 };
	struct event *ev;
	(void)state;

	assert_int_equal(event_bus_new(3, 1, &bus), 0);
	for (int i = 0; i < 5; i++)
		emit_removed(bus, NULL);
	/* ring keeps 3, 4, 5; asking after 3 replays 4 and 5 */
	cc.replay_after = 3;
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	ev = event_consumer_next(c);
	assert_int_equal(ev->id, 4);
	event_unref(ev);
	ev = event_consumer_next(c);
	assert_int_equal(ev->id, 5);
	event_unref(ev);
	assert_null(event_consumer_next(c));
	event_consumer_free(c);
	/* asking after an id older than the ring replays what is left */
	cc.replay_after = 1;
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	assert_int_equal(event_consumer_depth(c), 3);
	event_consumer_free(c);
	event_bus_free(bus);
}

static bool match_filter(void *arg, const struct event *ev)
{
	return event_filter_match(arg, ev);
}

static int notified;
static void count_notify(void *arg)
{
	(void)arg;
	notified++;
}

static void test_filtered_consumer(void **state)
{
	struct event_bus *bus = NULL;
	struct event_consumer *c = NULL;
	struct event_filter *f = NULL;
	struct event_consumer_config cc = { .name = "f", .queue_len = 8 };
	const char *args[] = { "1", "50" };
	char err[128];
	struct event *ev;
	(void)state;

	assert_int_equal(event_filter_parse("RegistryPrefix eq 'TaskEvent'", &f, err, sizeof(err)),
			 0);
	cc.match = match_filter;
	cc.notify = count_notify;
	cc.arg = f;
	assert_int_equal(event_bus_new(8, 1, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	notified = 0;
	emit_removed(bus, NULL);
	event_emit(bus, EVM_TASK_PROGRESS_CHANGED, NULL, "/redfish/v1/TaskService/Tasks/1", "Task",
		   args, NULL);
	assert_int_equal(notified, 1);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	assert_string_equal(ev->message_id, "TaskEvent.1.0.TaskProgressChanged");
	assert_non_null(strstr(ev->text, "changed to progress 50 percent complete"));
	event_unref(ev);
	assert_null(event_consumer_next(c));
	event_consumer_free(c);
	event_filter_free(f);
	event_bus_free(bus);
}

static void test_null_bus_releases(void **state)
{
	(void)state;
	/* the Oem object must not leak (ASan) and nothing crashes */
	assert_int_equal(event_emit(NULL, EVM_RESOURCE_CHANGED, NULL, NULL, NULL, NULL,
				    json_object()),
			 0);
}

struct pub_arg {
	struct event_bus *bus;
	int n;
};

static void *publisher(void *arg)
{
	struct pub_arg *pa = arg;
	for (int i = 0; i < pa->n; i++)
		emit_removed(pa->bus, NULL);
	return NULL;
}

static void test_concurrent_publishers(void **state)
{
	struct event_bus *bus = NULL;
	struct event_consumer *c = NULL;
	struct event_consumer_config cc = { .name = "cc", .queue_len = 4000 };
	struct pub_arg pa;
	pthread_t t[4];
	uint64_t last = 0;
	size_t n = 0;
	struct event *ev;
	(void)state;

	assert_int_equal(event_bus_new(64, 1, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	pa.bus = bus;
	pa.n = 1000;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, publisher, &pa), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* every id once, strictly increasing in queue order */
	while ((ev = event_consumer_next(c))) {
		assert_true(ev->id > last);
		last = ev->id;
		n++;
		event_unref(ev);
	}
	assert_int_equal(n, 4000);
	assert_int_equal(last, 4000);
	event_consumer_free(c);
	event_bus_free(bus);
}

/* The Event text is stamped from a record serialised beforehand: the same
 * bytes as jansson makes of the whole Event built as an object, for a
 * record with members, an empty one and one with its own time. */
static void check_text(json_t *record)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct event_desc d = { "ResourceEvent", "ResourceEvent.1.4.ResourceRemoved", "", "", NULL };
	struct event *ev;
	json_t *want_rec = json_deep_copy(record), *doc;
	char *want;

	assert_int_equal(event_bus_new(4, 77, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	d.record = record;
	assert_int_equal(event_bus_publish(bus, &d), 77);
	assert_null(d.record);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	json_object_set_new(want_rec, "EventId", json_string("77"));
	json_object_set_new(want_rec, "MemberId", json_string("0"));
	if (!json_object_get(want_rec, "EventTimestamp")) {
		json_t *got = json_loads(ev->text, 0, NULL);
		json_t *rec = json_array_get(json_object_get(got, "Events"), 0);
		const char *ts = json_string_value(json_object_get(rec, "EventTimestamp"));
		assert_non_null(ts);
		assert_int_equal(strlen(ts), 20); /* 2026-01-02T03:04:05Z */
		json_object_set_new(want_rec, "EventTimestamp", json_string(ts));
		json_decref(got);
	}
	doc = json_pack("{s:s, s:s, s:s, s:[o]}", "@odata.type", "#Event.v1_13_0.Event", "Id",
			"77", "Name", "Event", "Events", want_rec);
	want = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(ev->text, want);
	assert_int_equal(ev->text_len, strlen(want));
	free(want);
	json_decref(doc);
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
}

static void test_text_as_jansson_makes_it(void **state)
{
	(void)state;
	check_text(json_pack("{s:s, s:s, s:[s], s:{s:s}}", "MessageId", "Base.1.0.Success",
			     "Message", "quote \" and \u00e9", "MessageArgs", "a",
			     "OriginOfCondition", "@odata.id", "/redfish/v1"));
	check_text(json_object());
	check_text(json_pack("{s:s, s:s}", "EventTimestamp", "2020-01-01T00:00:00Z", "Severity",
			     "OK"));
}

/* Every allocation failing in turn: nothing is published half made, the
 * drop is counted, the ids of events that made it stay in order, and
 * nothing leaks (the sanitizer build checks that). */
static int publish_one(void *arg)
{
	struct event_bus *bus = arg;
	struct event_desc d = { "ResourceEvent", "ResourceEvent.1.4.ResourceRemoved", "", "",
				json_pack("{s:s}", "Message", "m") };

	return event_bus_publish(bus, &d) ? 0 : -ENOMEM;
}

static void test_publish_allocation_failure(void **state)
{
	struct event_bus *bus;
	(void)state;

	alloc_fail_install();
	assert_int_equal(event_bus_new(2, 1, &bus), 0);
	assert_true(alloc_fail_each(publish_one, NULL, bus, 100) > 1);
	event_bus_free(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_event_text),
		cmocka_unit_test(test_overflow_drops_counted),
		cmocka_unit_test(test_replay_from_ring),
		cmocka_unit_test(test_filtered_consumer),
		cmocka_unit_test(test_null_bus_releases),
		cmocka_unit_test(test_concurrent_publishers),
		cmocka_unit_test(test_text_as_jansson_makes_it),
		cmocka_unit_test(test_publish_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
