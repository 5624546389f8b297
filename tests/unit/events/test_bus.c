/* The event bus: ids, replay from the ring, per-consumer bounded queues with
 * counted drops, filters, and publishers on several threads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
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
	doc = json_loads(event_text(ev)->bytes, 0, NULL);
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
	assert_non_null(strstr(event_text(ev)->bytes, "changed to progress 50 percent complete"));
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
/* A lazily rendered event's record: a copy of the one it was given, and
 * how often it was built. */
struct lazy {
	json_t *record;
	atomic_int built;
	atomic_int *released;
};

static json_t *lazy_make(const void *arg)
{
	struct lazy *l = (struct lazy *)arg;

	atomic_fetch_add(&l->built, 1);
	return json_deep_copy(l->record);
}

static void lazy_release(void *arg)
{
	struct lazy *l = arg;

	if (l->released)
		atomic_fetch_add(l->released, 1);
	json_decref(l->record);
	free(l);
}

static struct lazy *lazy_new(json_t *record, atomic_int *released)
{
	struct lazy *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->record = record;
	l->released = released;
	return l;
}

static void check_text_as(json_t *record, bool lazily)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct event_desc d = { .registry_prefix = "ResourceEvent",
				.message_id = "ResourceEvent.1.4.ResourceRemoved", .resource_type = "",
				.origin = "" };
	struct event *ev;
	json_t *want_rec = json_deep_copy(record), *doc;
	char *want;

	assert_int_equal(event_bus_new(4, 77, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	if (lazily) {
		d.make = lazy_make;
		d.data = lazy_new(record, NULL);
		d.release = lazy_release;
	} else {
		d.record = record;
	}
	assert_int_equal(event_bus_publish(bus, &d), 77);
	assert_null(d.record);
	assert_null(d.data);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	json_object_set_new(want_rec, "EventId", json_string("77"));
	json_object_set_new(want_rec, "MemberId", json_string("0"));
	if (!json_object_get(want_rec, "EventTimestamp")) {
		json_t *got = json_loads(event_text(ev)->bytes, 0, NULL);
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
	assert_string_equal(event_text(ev)->bytes, want);
	assert_int_equal(event_text(ev)->len, strlen(want));
	free(want);
	json_decref(doc);
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
}

/* Serialised at once or built and serialised on the first read: the same
 * bytes. */
static void check_text(json_t *record)
{
	check_text_as(json_deep_copy(record), true);
	check_text_as(record, false);
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

static uint64_t publish_lazy(struct event_bus *bus, struct lazy *l)
{
	struct event_desc d = { .registry_prefix = "ResourceEvent",
				.message_id = "ResourceEvent.1.4.ResourceChanged", .resource_type = "",
				.origin = "", .make = lazy_make, .data = l, .release = lazy_release };

	return event_bus_publish(bus, &d);
}

/* No stream, no subscription: nothing is built however many events go by,
 * and each one's data is released when the ring lets it go. A consumer's
 * queue alone builds nothing either; its first read builds the record once
 * and later reads reuse the text. */
static void test_rendered_only_when_read(void **state)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct lazy *seen[4];
	atomic_int released = 0;
	const struct event_text *t1, *t2;
	struct event *ev;
	(void)state;

	assert_int_equal(event_bus_new(2, 1, &bus), 0);
	for (int i = 0; i < 10; i++) {
		struct lazy *l = lazy_new(json_pack("{s:i}", "N", i), &released);
		assert_int_equal(publish_lazy(bus, l), (uint64_t)i + 1);
		assert_int_equal(atomic_load(&l->built), 0);
	}
	assert_int_equal(atomic_load(&released), 8); /* two stay in the ring */
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	for (int i = 0; i < 4; i++) {
		seen[i] = lazy_new(json_pack("{s:i}", "N", 10 + i), &released);
		publish_lazy(bus, seen[i]);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(atomic_load(&seen[i]->built), 0);
	ev = event_consumer_next(c);
	assert_int_equal(ev->id, 11);
	t1 = event_text(ev);
	assert_non_null(t1);
	assert_non_null(strstr(t1->bytes, "\"N\":10,\"EventId\":\"11\""));
	t2 = event_text(ev);
	assert_ptr_equal(t1, t2);
	assert_int_equal(atomic_load(&seen[0]->built), 1);
	assert_int_equal(atomic_load(&seen[1]->built), 0);
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
	assert_int_equal(atomic_load(&released), 14);
}

/* An event nobody read when it was published is rendered for a reader that
 * comes later (a stream's Last-Event-ID replay), with its publication time
 * and id. */
static time_t realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static void test_late_reader_gets_text(void **state)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "late", .queue_len = 4, .replay_after = 1 };
	struct lazy *l;
	struct event *ev;
	json_t *doc, *rec;
	char want_ts[32];
	/* The bus's clock, not time(), which lags it by up to a tick and so
	 * can still name the second before at a second's turn. */
	time_t before = realtime_s(), after;
	struct tm tm;
	(void)state;

	assert_int_equal(event_bus_new(4, 1, &bus), 0);
	publish_lazy(bus, lazy_new(json_pack("{s:s}", "Message", "first"), NULL));
	l = lazy_new(json_pack("{s:s}", "Message", "second"), NULL);
	publish_lazy(bus, l);
	after = realtime_s();
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	assert_int_equal(ev->id, 2);
	assert_null(event_consumer_next(c));
	doc = json_loads(event_text(ev)->bytes, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(atomic_load(&l->built), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "Id")), "2");
	rec = json_array_get(json_object_get(doc, "Events"), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "Message")), "second");
	assert_string_equal(json_string_value(json_object_get(rec, "EventId")), "2");
	/* published between before and after, and not when read */
	gmtime_r(&before, &tm);
	strftime(want_ts, sizeof(want_ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (strcmp(json_string_value(json_object_get(rec, "EventTimestamp")), want_ts) != 0) {
		gmtime_r(&after, &tm);
		strftime(want_ts, sizeof(want_ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(json_string_value(json_object_get(rec, "EventTimestamp")),
				    want_ts);
	}
	json_decref(doc);
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
}

struct reader_arg {
	struct event *ev;
	const struct event_text *got;
};

static void *first_reader(void *arg)
{
	struct reader_arg *ra = arg;

	ra->got = event_text(ra->ev);
	return NULL;
}

/* Readers on several threads asking at once: one text, the same for all. */
static void test_concurrent_first_readers(void **state)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct reader_arg ra[4];
	pthread_t t[4];
	struct event *ev;
	(void)state;

	assert_int_equal(event_bus_new(4, 1, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	publish_lazy(bus, lazy_new(json_pack("{s:s}", "Message", "m"), NULL));
	ev = event_consumer_next(c);
	for (int i = 0; i < 4; i++) {
		ra[i].ev = ev;
		assert_int_equal(pthread_create(&t[i], NULL, first_reader, &ra[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(ra[i].got, event_text(ev));
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
}

/* event_emit() builds its record only when read: the bytes jansson makes of
 * the record the registry message describes, wrapped as every Event is. */
static void test_emitted_text_as_built_eagerly(void **state)
{
	struct event_bus *bus;
	struct event_consumer *c;
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	const char *args[4] = { "dev0", "Informational", "0x01", "7" };
	json_t *oem = json_pack("{s:{s:s, s:i}}", "CxlAgent", "Device", "dev0", "Handle", 7);
	json_t *want_rec, *doc, *got;
	const char *ts;
	struct event *ev;
	char *want;
	(void)state;

	assert_int_equal(event_bus_new(4, 5, &bus), 0);
	assert_int_equal(event_consumer_new(bus, &cc, &c), 0);
	assert_int_equal(event_emit(bus, EVM_DEVICE_EVENT_RECORD, "Warning",
				    "/redfish/v1/Chassis/host/PCIeDevices/dev0", "PCIeDevice", args,
				    json_deep_copy(oem)),
			 5);
	ev = event_consumer_next(c);
	assert_non_null(ev);
	assert_string_equal(ev->message_id, "CxlAgent.1.0.DeviceEventRecord");
	assert_string_equal(ev->origin, "/redfish/v1/Chassis/host/PCIeDevices/dev0");
	got = json_loads(event_text(ev)->bytes, 0, NULL);
	ts = json_string_value(json_object_get(
		json_array_get(json_object_get(got, "Events"), 0), "EventTimestamp"));
	assert_non_null(ts);
	want_rec = json_pack("{s:s, s:s}", "EventType", "Other", "MessageSeverity", "Warning");
	assert_int_equal(event_message_set(want_rec, EVM_DEVICE_EVENT_RECORD, args), 0);
	json_object_set_new(want_rec, "OriginOfCondition",
			    json_pack("{s:s}", "@odata.id", "/redfish/v1/Chassis/host/PCIeDevices/dev0"));
	json_object_set_new(want_rec, "Oem", oem);
	json_object_set_new(want_rec, "EventId", json_string("5"));
	json_object_set_new(want_rec, "MemberId", json_string("0"));
	json_object_set_new(want_rec, "EventTimestamp", json_string(ts));
	doc = json_pack("{s:s, s:s, s:s, s:[o]}", "@odata.type", "#Event.v1_13_0.Event", "Id", "5",
			"Name", "Event", "Events", want_rec);
	want = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(event_text(ev)->bytes, want);
	free(want);
	json_decref(doc);
	json_decref(got);
	event_unref(ev);
	event_consumer_free(c);
	event_bus_free(bus);
}

/* Every allocation failing in turn: nothing is published half made, the
 * drop is counted, the ids of events that made it stay in order, and
 * nothing leaks (the sanitizer build checks that). */
static int publish_one(void *arg)
{
	struct event_bus *bus = arg;
	struct event_desc d = { .registry_prefix = "ResourceEvent",
				.message_id = "ResourceEvent.1.4.ResourceRemoved", .resource_type = "",
				.origin = "", .record = json_pack("{s:s}", "Message", "m") };

	return event_bus_publish(bus, &d) ? 0 : -ENOMEM;
}

/* The same for an emitted event and its first read: an event that cannot
 * be built when read stays unread, and a later read renders it. */
struct emit_read {
	struct event_bus *bus;
	struct event_consumer *c;
};

static int emit_and_read(void *arg)
{
	struct emit_read *er = arg;
	const char *args[4] = { "cmd", "dev0", "operator", "Allowed" };
	const struct event_text *t;
	struct event *ev;

	if (!event_emit(er->bus, EVM_VENDOR_COMMAND_ALLOWED, NULL, "/redfish/v1", "PCIeDevice",
			args, json_pack("{s:s}", "CxlAgent", "x")))
		return -ENOMEM;
	ev = event_consumer_next(er->c);
	assert_non_null(ev);
	t = event_text(ev);
	if (!t) {
		alloc_fail_at(0);
		t = event_text(ev);
		assert_non_null(t);
		assert_non_null(strstr(t->bytes, "was allowed for user 'operator'"));
		event_unref(ev);
		return -ENOMEM;
	}
	event_unref(ev);
	return 0;
}

static void test_publish_allocation_failure(void **state)
{
	struct event_consumer_config cc = { .name = "t", .queue_len = 4 };
	struct event_bus *bus;
	struct emit_read er;
	(void)state;

	alloc_fail_install();
	assert_int_equal(event_bus_new(2, 1, &bus), 0);
	assert_true(alloc_fail_each(publish_one, NULL, bus, 100) > 1);
	er.bus = bus;
	assert_int_equal(event_consumer_new(bus, &cc, &er.c), 0);
	assert_true(alloc_fail_each(emit_and_read, NULL, &er, 200) > 3);
	event_consumer_free(er.c);
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
		cmocka_unit_test(test_rendered_only_when_read),
		cmocka_unit_test(test_late_reader_gets_text),
		cmocka_unit_test(test_concurrent_first_readers),
		cmocka_unit_test(test_emitted_text_as_built_eagerly),
		cmocka_unit_test(test_publish_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
