/* The hub's streams as EventDestinations: numbered once, listed by owner,
 * closed by deleting their resource. No server: the test reads the stream
 * as the connection's thread would. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "events/bus.h"
#include "events/filter.h"
#include "events/sse.h"
#include "support/alloc_fail.h"

#define BASE "/redfish/v1/EventService/Subscriptions"

struct fixture {
	struct event_bus *bus;
	struct sse_hub *hub;
};

static int setup(void **state)
{
	static struct fixture fx;
	assert_int_equal(event_bus_new(8, 1000, &fx.bus), 0);
	assert_int_equal(sse_hub_new(fx.bus, 2, 15, 8, &fx.hub), 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	sse_hub_free(fx->hub);
	event_bus_free(fx->bus);
	return 0;
}

static int open_stream(struct fixture *fx, const char *owner, const char *filter,
		       struct http_stream *out)
{
	struct sse_open o = { .owner = owner, .filter_text = filter };
	char err[160];

	assert_int_equal(event_filter_parse(filter, &o.filter, err, sizeof(err)), 0);
	return sse_stream_open(fx->hub, &o, out);
}

/* The members' @odata.id values, space-separated. */
static void members(struct fixture *fx, const char *owner, char *buf, size_t len)
{
	json_t *a = sse_hub_members(fx->hub, BASE, owner), *m;
	size_t i, off = 0;

	assert_non_null(a);
	buf[0] = '\0';
	json_array_foreach(a, i, m)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "",
					json_string_value(json_object_get(m, "@odata.id")) +
						strlen(BASE "/"));
	json_decref(a);
}

static void test_members_owners_and_close(void **state)
{
	struct fixture *fx = *state;
	struct http_stream a, b, c;
	char buf[256], owner[64];
	json_t *doc = NULL;

	assert_int_equal(open_stream(fx, "alice", "RegistryPrefix eq 'ResourceEvent'", &a), 0);
	assert_int_equal(open_stream(fx, "bob", NULL, &b), 0);
	members(fx, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "SSE-1 SSE-2");
	members(fx, "alice", buf, sizeof(buf));
	assert_string_equal(buf, "SSE-1");
	members(fx, "carol", buf, sizeof(buf));
	assert_string_equal(buf, "");

	assert_int_equal(sse_hub_dest(fx->hub, 1, BASE, &doc, owner, sizeof(owner)), 0);
	assert_string_equal(owner, "alice");
	assert_string_equal(json_string_value(json_object_get(doc, "Id")), "SSE-1");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(doc, "RegistryPrefixes"), 0)),
			    "ResourceEvent");
	json_decref(doc);
	assert_int_equal(sse_hub_dest(fx->hub, 3, BASE, NULL, owner, sizeof(owner)), -ENOENT);

	/* The limit counts streams, not resources. */
	assert_int_equal(open_stream(fx, "carol", NULL, &c), -EBUSY);

	/* Deleting the resource: gone from the members at once, and the
	 * stream's next read ends it. */
	assert_int_equal(b.read(b.arg, buf, sizeof(buf)), (long)strlen(": cxl-agent event stream\n\n"));
	assert_int_equal(sse_hub_close(fx->hub, 2), 0);
	members(fx, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "SSE-1");
	assert_int_equal(sse_hub_dest(fx->hub, 2, BASE, NULL, owner, sizeof(owner)), -ENOENT);
	assert_int_equal(sse_hub_close(fx->hub, 2), -ENOENT);
	assert_int_equal(b.read(b.arg, buf, sizeof(buf)), -1);
	/* Still counted until the connection lets go of it. */
	assert_int_equal(open_stream(fx, "carol", NULL, &c), -EBUSY);
	b.release(b.arg);
	assert_int_equal(sse_hub_streams(fx->hub), 1);

	/* A stream that ends of itself leaves with it; numbers are not reused. */
	a.release(a.arg);
	assert_int_equal(open_stream(fx, "carol", NULL, &c), 0);
	members(fx, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "SSE-3");
	c.release(c.arg);
	members(fx, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* An open that fails at any allocation takes no slot and no number of
 * a stream that is listed, and leaks nothing (the sanitizer build). */
struct open_try {
	struct fixture *fx;
	struct http_stream s;
};

static int open_once(void *arg)
{
	struct open_try *t = arg;
	/* No parsed filter (it would take the failure itself); the text is
	 * copied all the same. */
	struct sse_open o = { .owner = "alice", .filter_text = "RegistryPrefix eq 'TaskEvent'" };

	return sse_stream_open(t->fx->hub, &o, &t->s);
}

static void open_after(void *arg, int rc, bool failed)
{
	struct open_try *t = arg;
	json_t *a;

	(void)failed;
	if (rc == 0) {
		t->s.release(t->s.arg);
		return;
	}
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(sse_hub_streams(t->fx->hub), 0);
	a = sse_hub_members(t->fx->hub, BASE, NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void test_open_out_of_memory(void **state)
{
	struct open_try t = { .fx = *state };

	alloc_fail_install();
	assert_true(alloc_fail_each(open_once, open_after, &t, 100) > 3);
	assert_int_equal(sse_hub_streams(t.fx->hub), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members_owners_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_out_of_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
