/* Applying query parameters to an answer, against a small resource tree
 * served by a fake GET: paging and its next-page link, $select on nested
 * objects, arrays and annotations, only, and $expand with each of ".",
 * "~", "*", one and two levels, resources the caller may not see, bodies
 * already serialised (the body cache), handlers that page or embed
 * themselves, the size and count limits, and failures of the GET. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "redfish/error.h"
#include "redfish/query.h"
#include "support/alloc_fail.h"

/* ---- the fake service ---- */

struct fake {
	json_t *tree;          /* path -> resource */
	int fail;              /* returned by every GET when set */
	bool serialised;       /* answer with text, as the body cache does */
	size_t calls;
	char last_path[128];
	struct rf_query last_q; /* the query the last GET was given */
	bool last_had_q;
};

static int fake_get(void *arg, const char *path, struct rf_query *q, struct http_response *resp)
{
	struct fake *f = arg;
	json_t *res = json_object_get(f->tree, path);

	f->calls++;
	snprintf(f->last_path, sizeof(f->last_path), "%s", path);
	f->last_had_q = q != NULL;
	if (q)
		f->last_q = *q;
	if (f->fail)
		return f->fail;
	if (strstr(path, "Secret")) {
		rf_insufficient_privilege(resp);
		return 0;
	}
	if (strstr(path, "Broken")) {
		rf_internal_error(resp);
		return 0;
	}
	if (!res) {
		rf_resource_not_found(resp, "Resource", path);
		return 0;
	}
	/* as handlers do: a body that cannot be made is a failure */
	if (f->serialised) {
		char *text = json_dumps(res, JSON_COMPACT);
		int rc = text ? http_response_text(resp, 200, "application/json", text,
						   strlen(text))
			      : -ENOMEM;
		free(text);
		return rc;
	}
	http_response_json(resp, 200, json_deep_copy(res));
	return resp->json ? 0 : -ENOMEM;
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad test JSON at %d: %s", e.position, e.text);
	return j;
}

static const char tree_text[] =
	"{"
	"\"/redfish/v1/A\": {\"@odata.id\": \"/redfish/v1/A\", \"Id\": \"A\","
	"  \"Child\": {\"@odata.id\": \"/redfish/v1/B\"},"
	"  \"Hidden\": {\"@odata.id\": \"/redfish/v1/Secret\"},"
	"  \"Links\": {\"Peer\": {\"@odata.id\": \"/redfish/v1/C\"}}},"
	"\"/redfish/v1/B\": {\"@odata.id\": \"/redfish/v1/B\", \"Id\": \"B\","
	"  \"Grandchild\": {\"@odata.id\": \"/redfish/v1/D\"}},"
	"\"/redfish/v1/C\": {\"@odata.id\": \"/redfish/v1/C\", \"Id\": \"C\","
	"  \"Links\": {\"Back\": {\"@odata.id\": \"/redfish/v1/A\"}}},"
	"\"/redfish/v1/D\": {\"@odata.id\": \"/redfish/v1/D\", \"Id\": \"D\"},"
	"\"/redfish/v1/Coll\": {\"@odata.id\": \"/redfish/v1/Coll\", \"Name\": \"c\","
	"  \"Members@odata.count\": 1, \"Members\": [{\"@odata.id\": \"/redfish/v1/D\"}]}"
	"}";

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	f->tree = load(tree_text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;
	json_decref(f->tree);
	free(f);
	return 0;
}

/* An answer holding a copy of the resource at path, as its handler gave it. */
static void answer(struct fake *f, const char *path, struct http_response *resp)
{
	http_response_init(resp);
	http_response_json(resp, 200, json_deep_copy(json_object_get(f->tree, path)));
}

static struct rf_query query(const char *text)
{
	static char buf[512];
	static struct http_header args[4];
	struct rf_query_error err;
	struct rf_query q;
	char *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *a = strtok_r(buf, "&", &save); a && n < 4; a = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(a, '=');
		if (eq)
			*eq++ = '\0';
		args[n++] = (struct http_header){ a, eq ? eq : "" };
	}
	if (rf_query_parse(args, n, &q, &err))
		fail_msg("query %s refused", text);
	return q;
}

static const char *message_id(const struct http_response *resp)
{
	json_t *info = json_object_get(json_object_get(resp->json, "error"),
				       "@Message.ExtendedInfo");
	return json_string_value(json_object_get(json_array_get(info, 0), "MessageId"));
}

static json_t *at(json_t *j, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "/", &save); j && k; k = strtok_r(NULL, "/", &save)) {
		char *end;
		unsigned long i = strtoul(k, &end, 10);
		j = json_is_array(j) && *end == '\0' ? json_array_get(j, i) : json_object_get(j, k);
	}
	return j;
}

static const char *str(json_t *j, const char *path)
{
	return json_string_value(at(j, path));
}

/* ---- paging ---- */

static json_t *collection(size_t n)
{
	json_t *m = json_array();
	for (size_t i = 0; i < n; i++) {
		char id[64];
		snprintf(id, sizeof(id), "/redfish/v1/Things/%zu", i);
		json_array_append_new(m, json_pack("{s:s}", "@odata.id", id));
	}
	return json_pack("{s:s, s:s, s:I, s:o}", "@odata.id", "/redfish/v1/Things", "Name", "t",
			 "Members@odata.count", (json_int_t)n, "Members", m);
}

static void run_paging(const char *qtext, size_t n, size_t want_first, size_t want_count,
		       const char *want_next)
{
	struct rf_query q = query(qtext);
	struct fake none = { 0 };
	struct http_response resp;
	json_t *members;

	none.tree = json_object();
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(n));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, &none), 0);
	json_decref(none.tree);
	assert_int_equal(resp.status, 200);
	members = json_object_get(resp.json, "Members");
	if (json_array_size(members) != want_count)
		fail_msg("%s of %zu: %zu members, want %zu", qtext, n, json_array_size(members),
			 want_count);
	if (want_count) {
		char id[64];
		snprintf(id, sizeof(id), "/redfish/v1/Things/%zu", want_first);
		assert_string_equal(str(resp.json, "Members/0/@odata.id"), id);
	}
	/* the count is of the whole collection, not of the page */
	assert_int_equal(json_integer_value(json_object_get(resp.json, "Members@odata.count")), n);
	if (!want_next)
		assert_null(json_object_get(resp.json, "Members@odata.nextLink"));
	else if (!str(resp.json, "Members@odata.nextLink") ||
		 strcmp(str(resp.json, "Members@odata.nextLink"), want_next) != 0)
		fail_msg("%s: next link %s, want %s", qtext,
			 str(resp.json, "Members@odata.nextLink") ?: "(none)", want_next);
	http_response_release(&resp);
}

static void test_paging(void **state)
{
	(void)state;
	run_paging("$top=3", 10, 0, 3, "/redfish/v1/Things?$skip=3&$top=3");
	run_paging("$skip=3&$top=3", 10, 3, 3, "/redfish/v1/Things?$skip=6&$top=3");
	run_paging("$skip=9&$top=3", 10, 9, 1, NULL);
	run_paging("$skip=7&$top=3", 10, 7, 3, NULL);
	run_paging("$skip=2", 10, 2, 8, NULL);
	run_paging("$skip=10", 10, 0, 0, NULL);
	run_paging("$skip=4294967295", 10, 0, 0, NULL);
	run_paging("$top=0", 10, 0, 0, NULL); /* no link that would never advance */
	run_paging("$top=1000", 10, 0, 10, NULL);
	run_paging("$top=5", 0, 0, 0, NULL);
	/* other options ride along, escaped where a parser could split */
	run_paging("$top=2&$select=Members,Name", 5, 0, 2,
		   "/redfish/v1/Things?$skip=2&$top=2&$select=Members,Name");
	run_paging("$top=2&$expand=.($levels=1)", 5, 0, 2,
		   "/redfish/v1/Things?$skip=2&$top=2&$expand=.($levels%3D1)");
}

/* A handler that paged itself (the audit log) is not paged again. */
static void test_paged_by_handler(void **state)
{
	struct rf_query q = query("$skip=2&$top=2");
	struct http_response resp;
	(void)state;

	q.paged = true;
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(2));
	json_object_set_new(resp.json, "Members@odata.count", json_integer(10));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(resp.json, "Members")), 2);
	assert_int_equal(json_integer_value(json_object_get(resp.json, "Members@odata.count")), 10);
	http_response_release(&resp);
}

static void test_next_link(void **state)
{
	json_t *c = json_object();
	(void)state;

	/* no query: the server's own page size */
	assert_int_equal(rf_query_next_link(NULL, "/redfish/v1/X", 0, 200, 450, c), 0);
	assert_string_equal(str(c, "Members@odata.nextLink"), "/redfish/v1/X?$skip=200");
	json_object_clear(c);
	assert_int_equal(rf_query_next_link(NULL, "/redfish/v1/X", 250, 200, 450, c), 0);
	assert_null(json_object_get(c, "Members@odata.nextLink"));
	/* a path is escaped like a query value */
	assert_int_equal(rf_query_next_link(NULL, "/redfish/v1/a b&c?d#e%", 0, 1, 2, c), 0);
	assert_string_equal(str(c, "Members@odata.nextLink"),
			    "/redfish/v1/a%20b%26c%3Fd%23e%25?$skip=1");
	json_decref(c);
}

/* Paging and only mean something to collections only. */
static void test_not_a_collection(void **state)
{
	static const char *const qs[] = { "$top=1", "$skip=1", "only" };
	struct fake *f = *state;

	for (size_t i = 0; i < 3; i++) {
		struct rf_query q = query(qs[i]);
		struct http_response resp;

		answer(f, "/redfish/v1/A", &resp);
		assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", &resp, fake_get, f), 0);
		assert_int_equal(resp.status, 400);
		assert_string_equal(message_id(&resp), "Base.1.22.1.QueryNotSupportedOnResource");
		http_response_release(&resp);
	}
}

/* ---- only ---- */

static void test_only(void **state)
{
	struct fake *f = *state;
	struct rf_query q = query("only");
	struct http_response resp;

	/* one member: the member, fetched as the caller */
	answer(f, "/redfish/v1/Coll", &resp);
	f->calls = 0;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Coll", &resp, fake_get, f), 0);
	assert_int_equal(f->calls, 1);
	assert_false(f->last_had_q);
	assert_int_equal(resp.status, 200);
	assert_true(json_equal(resp.json, json_object_get(f->tree, "/redfish/v1/D")));
	http_response_release(&resp);

	/* a member the caller may not GET: what that GET answers */
	http_response_init(&resp);
	http_response_json(&resp, 200, load("{\"Members@odata.count\": 1, \"Members\":"
					    " [{\"@odata.id\": \"/redfish/v1/Secret\"}]}"));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Coll", &resp, fake_get, f), 0);
	assert_int_equal(resp.status, 403);
	http_response_release(&resp);

	/* none or several: the collection as it is */
	for (size_t n = 0; n < 3; n += 2) {
		http_response_init(&resp);
		http_response_json(&resp, 200, collection(n));
		f->calls = 0;
		assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
		assert_int_equal(f->calls, 0);
		assert_int_equal(json_array_size(json_object_get(resp.json, "Members")), n);
		http_response_release(&resp);
	}
	/* one member on a page of a larger collection is not "only" */
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(1));
	json_object_set_new(resp.json, "Members@odata.count", json_integer(5));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
	assert_int_equal(json_integer_value(json_object_get(resp.json, "Members@odata.count")), 5);
	http_response_release(&resp);
}

/* ---- $select ---- */

static void test_select(void **state)
{
	struct rf_query q = query("$select=Id,Status/Health,Members/Id,Oem/V/Keep");
	struct http_response resp;
	json_t *want;
	(void)state;

	http_response_init(&resp);
	http_response_json(&resp, 200,
			   load("{\"@odata.id\": \"/x\", \"@odata.type\": \"#T.v1.T\","
				" \"@odata.context\": \"/c\", \"@odata.etag\": \"e\", \"Id\": \"1\","
				" \"Name\": \"n\", \"Status\": {\"State\": \"Enabled\", \"Health\": \"OK\","
				"  \"HealthRollup\": \"OK\"},"
				" \"Members@odata.count\": 2,"
				" \"Members\": [{\"@odata.id\": \"/m/1\", \"Id\": \"1\", \"X\": 1},"
				"  {\"@odata.id\": \"/m/2\", \"Y\": 2}],"
				" \"Oem\": {\"V\": {\"Keep\": 1, \"Drop\": 2}, \"W\": 3},"
				" \"Id@Redfish.AllowableValues\": [\"1\"], \"Name@odata.x\": 1,"
				" \"@Redfish.Settings\": {}}"));
	assert_int_equal(rf_query_apply(&q, "/x", &resp, fake_get, NULL), 0);
	want = load("{\"@odata.id\": \"/x\", \"@odata.type\": \"#T.v1.T\","
		    " \"@odata.context\": \"/c\", \"@odata.etag\": \"e\", \"Id\": \"1\","
		    " \"Status\": {\"Health\": \"OK\"},"
		    " \"Members@odata.count\": 2,"
		    " \"Members\": [{\"@odata.id\": \"/m/1\", \"Id\": \"1\"}, {\"@odata.id\": \"/m/2\"}],"
		    " \"Oem\": {\"V\": {\"Keep\": 1}},"
		    " \"Id@Redfish.AllowableValues\": [\"1\"]}");
	if (!json_equal(resp.json, want)) {
		char *got = json_dumps(resp.json, JSON_SORT_KEYS);
		fail_msg("selected: %s", got);
	}
	json_decref(want);
	http_response_release(&resp);

	/* a path into a value that is not an object drops the value */
	q = query("$select=Id/Sub,Name");
	http_response_init(&resp);
	http_response_json(&resp, 200, load("{\"@odata.id\": \"/x\", \"Id\": \"1\", \"Name\": \"n\"}"));
	assert_int_equal(rf_query_apply(&q, "/x", &resp, fake_get, NULL), 0);
	assert_null(json_object_get(resp.json, "Id"));
	assert_string_equal(str(resp.json, "Name"), "n");
	http_response_release(&resp);
}

/* $select after paging: the page's members, then the selection. */
static void test_select_after_paging(void **state)
{
	struct rf_query q = query("$skip=1&$top=1&$select=Members");
	struct http_response resp;
	(void)state;

	http_response_init(&resp);
	http_response_json(&resp, 200, collection(3));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, NULL), 0);
	assert_null(json_object_get(resp.json, "Name"));
	assert_string_equal(str(resp.json, "Members/0/@odata.id"), "/redfish/v1/Things/1");
	assert_string_equal(str(resp.json, "Members@odata.nextLink"),
			    "/redfish/v1/Things?$skip=2&$top=1&$select=Members");
	http_response_release(&resp);
}

/* ---- $expand ---- */

static void run_expand(struct fake *f, const char *qtext, struct http_response *resp)
{
	struct rf_query q = query(qtext);

	answer(f, "/redfish/v1/A", resp);
	f->calls = 0;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", resp, fake_get, f), 0);
	assert_int_equal(resp->status, 200);
}

static void test_expand_kinds(void **state)
{
	struct fake *f = *state;
	struct http_response resp;

	/* ".": everything but Links; what the caller may not GET stays a link */
	run_expand(f, "$expand=.", &resp);
	assert_string_equal(str(resp.json, "Child/Id"), "B");
	assert_int_equal(json_object_size(at(resp.json, "Hidden")), 1);
	assert_int_equal(json_object_size(at(resp.json, "Links/Peer")), 1);
	/* one level: B's own link is not followed */
	assert_int_equal(json_object_size(at(resp.json, "Child/Grandchild")), 1);
	assert_int_equal(f->calls, 2);
	assert_false(f->last_had_q);
	http_response_release(&resp);

	/* "~": only Links */
	run_expand(f, "$expand=~", &resp);
	assert_int_equal(json_object_size(at(resp.json, "Child")), 1);
	assert_string_equal(str(resp.json, "Links/Peer/Id"), "C");
	assert_int_equal(f->calls, 1);
	http_response_release(&resp);

	/* "*": both */
	run_expand(f, "$expand=*", &resp);
	assert_string_equal(str(resp.json, "Child/Id"), "B");
	assert_string_equal(str(resp.json, "Links/Peer/Id"), "C");
	http_response_release(&resp);
}

static void test_expand_levels(void **state)
{
	struct fake *f = *state;
	struct http_response resp;

	run_expand(f, "$expand=.($levels=2)", &resp);
	assert_string_equal(str(resp.json, "Child/Grandchild/Id"), "D");
	assert_int_equal(f->calls, 3); /* B, D and the hidden one */
	http_response_release(&resp);

	/* "*" two levels: C's link back to A is expanded once, not again */
	run_expand(f, "$expand=*($levels=2)", &resp);
	assert_string_equal(str(resp.json, "Links/Peer/Links/Back/Id"), "A");
	assert_int_equal(json_object_size(at(resp.json, "Links/Peer/Links/Back/Child")), 1);
	http_response_release(&resp);

	/* served from the body cache (serialised text) works the same */
	f->serialised = true;
	run_expand(f, "$expand=.($levels=2)", &resp);
	f->serialised = false;
	assert_string_equal(str(resp.json, "Child/Grandchild/Id"), "D");
	http_response_release(&resp);
}

/* A GET given a query learns the expansion still to do, so a collection
 * that embeds its members can do it itself. */
static int recording_get(void *arg, const char *path, struct rf_query *q,
			 struct http_response *resp)
{
	struct fake *f = arg;
	if (q && strcmp(path, "/redfish/v1/B") == 0) {
		assert_int_equal(q->options, RF_Q_EXPAND);
		assert_int_equal(q->expand, RF_EXPAND_NOT_LINKS);
		assert_int_equal(q->levels, 1);
		/* embeds D itself: nothing is fetched for it */
		http_response_json(resp, 200,
				   load("{\"@odata.id\": \"/redfish/v1/B\", \"Members\":"
					" [{\"@odata.id\": \"/redfish/v1/D\", \"Id\": \"D\","
					"   \"More\": {\"@odata.id\": \"/redfish/v1/C\"}}]}"));
		f->calls++;
		return 0;
	}
	return fake_get(arg, path, q, resp);
}

static void test_expand_embedded(void **state)
{
	struct fake *f = *state;
	struct rf_query q = query("$expand=.($levels=2)");
	struct http_response resp;

	answer(f, "/redfish/v1/A", &resp);
	f->calls = 0;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", &resp, recording_get, f), 0);
	assert_string_equal(str(resp.json, "Child/Members/0/Id"), "D");
	/* D is at level two already: its own links stay links */
	assert_int_equal(json_object_size(at(resp.json, "Child/Members/0/More")), 1);
	assert_int_equal(f->calls, 2); /* B (and the hidden one), nothing for D or C */
	http_response_release(&resp);
}

static void test_expand_failures(void **state)
{
	struct fake *f = *state;
	struct rf_query q = query("$expand=*");
	struct http_response resp;

	answer(f, "/redfish/v1/A", &resp);
	f->fail = -EIO;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", &resp, fake_get, f), -EIO);
	f->fail = 0;
	http_response_release(&resp);

	/* a part that failed (5xx) fails the whole: no answer with a hole */
	http_response_init(&resp);
	http_response_json(&resp, 200, load("{\"@odata.id\": \"/redfish/v1/A\","
					    " \"X\": {\"@odata.id\": \"/redfish/v1/Broken\"}}"));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", &resp, fake_get, f), -EIO);
	http_response_release(&resp);

	/* links that are not this service's resources are left alone */
	http_response_init(&resp);
	http_response_json(&resp, 200,
			   load("{\"@odata.id\": \"/redfish/v1/A\", \"X\": [{\"@odata.id\": \"https://e/x\"},"
				" {\"@odata.id\": \"/redfish/v1/B#/frag\"}, {\"@odata.id\": \"/redfish/v1/B?x=1\"},"
				" {\"@odata.id\": 3}, {\"@odata.id\": \"/redfishes\"}],"
				" \"Y@odata.navigationLink\": {\"@odata.id\": \"/redfish/v1/B\"}}"));
	f->calls = 0;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/A", &resp, fake_get, f), 0);
	assert_int_equal(f->calls, 0);
	http_response_release(&resp);
}

/* Too many resources or too many bytes: a 400 naming the limit, never a
 * truncated answer. */
static void test_expand_limits(void **state)
{
	struct fake *f = *state;
	struct rf_query q = query("$expand=.");
	struct http_response resp;
	char *pad = malloc(RF_EXPAND_MAX_BYTES / 4);

	http_response_init(&resp);
	http_response_json(&resp, 200, collection(RF_EXPAND_MAX_RESOURCES + 1));
	f->calls = 0;
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
	assert_int_equal(resp.status, 400);
	assert_string_equal(message_id(&resp), "Base.1.22.1.QueryParameterOutOfRange");
	assert_int_equal(f->calls, RF_EXPAND_MAX_RESOURCES);
	http_response_release(&resp);

	/* exactly the limit is fine */
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(RF_EXPAND_MAX_RESOURCES));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);

	/* four resources of a quarter of the byte limit each are over it */
	memset(pad, 'x', RF_EXPAND_MAX_BYTES / 4 - 1);
	pad[RF_EXPAND_MAX_BYTES / 4 - 1] = '\0';
	for (int i = 0; i < 4; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/redfish/v1/Things/%d", i);
		json_object_set_new(f->tree, path,
				    json_pack("{s:s, s:s}", "@odata.id", path, "Pad", pad));
	}
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(4));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
	assert_int_equal(resp.status, 400);
	assert_string_equal(message_id(&resp), "Base.1.22.1.QueryParameterOutOfRange");
	assert_non_null(strstr(json_string_value(at(resp.json, "error/message")), "4194304 bytes"));
	http_response_release(&resp);
	/* three are not */
	http_response_init(&resp);
	http_response_json(&resp, 200, collection(3));
	assert_int_equal(rf_query_apply(&q, "/redfish/v1/Things", &resp, fake_get, f), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(str(resp.json, "Members/2/Pad"));
	http_response_release(&resp);
	free(pad);
}

/* ---- allocation failure ---- */

/* Every allocation failing in turn, in the query's work and in the GETs it
 * makes: each run gives the unhindered answer, a failure code, or a 5xx;
 * never a crash, a leak (sanitizer build) or a different 200. */
static void run_alloc(struct fake *f, const char *qtext, const char *path)
{
	struct rf_query q = query(qtext);
	struct http_response resp;
	char *want;
	size_t n;
	int rc;

	answer(f, path, &resp);
	assert_int_equal(rf_query_apply(&q, path, &resp, fake_get, f), 0);
	want = json_dumps(resp.json, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(want);
	http_response_release(&resp);
	alloc_fail_install();
	for (n = 1; n < 100000; n++) {
		bool hit;
		char *got;

		q = query(qtext);
		answer(f, path, &resp);
		alloc_fail_at(n);
		rc = rf_query_apply(&q, path, &resp, fake_get, f);
		alloc_fail_at(0);
		hit = alloc_fail_hit();
		got = resp.json ? json_dumps(resp.json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!hit) {
			assert_int_equal(rc, 0);
			assert_string_equal(got, want);
		} else if (rc == 0 && resp.status < 500 && (!got || strcmp(got, want) != 0)) {
			fail_msg("%s on %s, allocation %zu failing: status %d, %s", qtext, path, n,
				 resp.status, got ? got : "(no body)");
		}
		free(got);
		http_response_release(&resp);
		if (!hit)
			break;
	}
	assert_true(n > 1);
	free(want);
}

static void test_alloc_failure(void **state)
{
	struct fake *f = *state;

	run_alloc(f, "$expand=*($levels=2)", "/redfish/v1/A");
	run_alloc(f, "$top=1&$skip=0&$select=Members,Name", "/redfish/v1/Coll");
	run_alloc(f, "only", "/redfish/v1/Coll");
	f->serialised = true;
	run_alloc(f, "$expand=.($levels=2)", "/redfish/v1/A");
	f->serialised = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_paged_by_handler),
		cmocka_unit_test(test_next_link),
		cmocka_unit_test_setup_teardown(test_not_a_collection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only, setup, teardown),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_after_paging),
		cmocka_unit_test_setup_teardown(test_expand_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_embedded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
