/* Request bodies read through declared members: which Base message answers
 * which problem, the stages (undeclared members, then bad values in
 * declaration order, then the first missing required member), read-only
 * properties and annotations, hidden secrets, and action parameters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/message.h"
#include "redfish/body.h"

static const char *const colours[] = { "red", "blue", NULL };
static const struct jm_member members[] = {
	{ "Name", JM_STRING, JM_REQUIRED, 0, 8, NULL, NULL },
	{ "Secret", JM_STRING, JM_SECRET, 0, 0, NULL, NULL },
	{ "Count", JM_INTEGER, 0, 1, 9, NULL, NULL },
	{ "Colour", JM_STRING, 0, 0, 0, colours, NULL },
	{ "On", JM_BOOLEAN, JM_REQUIRED, 0, 0, NULL, NULL },
};
static const char *const readonly[] = { "Id", NULL };
static const struct rf_body decl = { members, 5, readonly, NULL };
static const struct rf_body action = { members, 5, NULL, "Thing.Do" };

/* "Id1:arg,arg;Id2:arg" for every message in resp. */
static void messages(const struct http_response *resp, char *buf, size_t len)
{
	json_t *info = json_object_get(json_object_get(resp->json, "error"),
				       "@Message.ExtendedInfo");
	json_t *m, *a;
	size_t i, k, off = 0;

	buf[0] = '\0';
	json_array_foreach(info, i, m) {
		const char *id = strrchr(json_string_value(json_object_get(m, "MessageId")), '.');
		off += (size_t)snprintf(buf + off, len - off, "%s%s:", i ? ";" : "", id + 1);
		json_array_foreach(json_object_get(m, "MessageArgs"), k, a)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? "," : "",
						json_string_value(a));
	}
}

struct body_case {
	const char *text;
	const struct rf_body *decl;
	int rc;
	const char *want; /* messages() of the answer */
};

static const struct body_case cases[] = {
	{ "{\"Name\": \"n\", \"On\": true}", &decl, 0, "" },
	/* stage 1: every undeclared member, and nothing else */
	{ "{\"Id\": 1, \"Zap\": 2, \"@odata.type\": 3, \"Count\": 99}", &decl, -EINVAL,
	  "PropertyNotWritable:Id;PropertyUnknown:Zap" },
	/* annotations are ignored beside properties; alone they ask for nothing */
	{ "{\"@odata.id\": \"/x\", \"@odata.etag\": \"W/1\", \"Name\": \"n\", "
	  "\"Name@Redfish.AllowableValues\": [], \"On\": true}",
	  &decl, 0, "" },
	{ "{\"@odata.id\": \"/x\", \"@odata.etag\": \"W/1\"}", &decl, -EINVAL, "NoOperation:" },
	/* stage 2: every bad value, in declaration order, whatever the body's */
	{ "{\"On\": 1, \"Colour\": \"green\", \"Count\": 10, \"Secret\": 5, \"Name\": 7}", &decl,
	  -ERANGE,
	  "PropertyValueTypeError:7,Name;PropertyValueTypeError:(hidden),Secret;"
	  "PropertyValueOutOfRange:10,Count;PropertyValueNotInList:green,Colour;"
	  "PropertyValueTypeError:1,On" },
	{ "{\"Name\": \"123456789\", \"On\": true}", &decl, -ERANGE,
	  "StringValueTooLong:123456789,8" },
	/* stage 3: the first required member missing */
	{ "{\"Count\": 2}", &decl, -EINVAL, "CreateFailedMissingReqProperties:Name" },
	{ "{\"Name\": \"n\"}", &decl, -EINVAL, "CreateFailedMissingReqProperties:On" },
	/* an action: its parameters, and the first problem only */
	{ "{\"Zap\": 1, \"Count\": 0}", &action, -EINVAL, "ActionParameterUnknown:Thing.Do,Zap" },
	{ "{\"Count\": \"2\"}", &action, -EINVAL,
	  "ActionParameterValueTypeError:2,Count,Thing.Do" },
	{ "{\"Secret\": 1}", &action, -EINVAL,
	  "ActionParameterValueTypeError:(hidden),Secret,Thing.Do" },
	{ "{\"Count\": 0}", &action, -EINVAL, "ActionParameterValueError:Count,Thing.Do" },
};

static void test_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_response resp;
		struct jm_value v[5];
		char got[1024];
		json_t *body = json_loads(cases[i].text, 0, NULL);
		int rc;

		assert_non_null(body);
		http_response_init(&resp);
		rc = rf_body_read(body, cases[i].decl, v, &resp);
		messages(&resp, got, sizeof(got));
		if (rc != cases[i].rc || strcmp(got, cases[i].want) != 0 ||
		    (rc && resp.status != 400))
			fail_msg("%s:\n  got  (%d, %d) %s\n  want (%d) %s", cases[i].text, rc,
				 resp.status, got, cases[i].rc, cases[i].want);
		http_response_release(&resp);
		json_decref(body);
	}
}

/* After bad values the members that were fine are read, so a caller can
 * add its own findings to the same answer. */
static void test_good_members_read_after_bad_ones(void **state)
{
	struct http_response resp;
	struct jm_value v[5];
	json_t *body = json_loads("{\"Name\": \"n\", \"Count\": 0, \"On\": false}", 0, NULL);
	(void)state;

	http_response_init(&resp);
	assert_int_equal(rf_body_read(body, &decl, v, &resp), -ERANGE);
	assert_string_equal(v[0].str, "n");
	assert_non_null(v[4].json);
	assert_false(v[4].flag);
	assert_null(v[2].json); /* the bad one reads as absent */
	http_response_release(&resp);
	json_decref(body);
}

/* messages() of an array of messages. */
static void array_messages(json_t *info, char *buf, size_t len)
{
	struct http_response fake;

	http_response_init(&fake);
	fake.json = json_pack("{s:{s:O}}", "error", "@Message.ExtendedInfo", info);
	messages(&fake, buf, len);
	http_response_release(&fake);
}

/* DSP0266 PATCH: properties that can never be written beside ones that can
 * are left out and named in a warning; alone, or beside a bad value, the
 * request is refused as before. */
static void test_patch_leaves_out_unwritable(void **state)
{
	struct http_response resp;
	struct jm_value v[5];
	json_t *ignored = NULL;
	char got[512];
	json_t *body = json_loads("{\"Name\": \"n\", \"Id\": 1, \"On\": true, \"Zap\": 2,"
				  " \"@odata.etag\": \"x\"}", 0, NULL);
	(void)state;

	http_response_init(&resp);
	assert_int_equal(rf_body_read_patch(body, &decl, v, &resp, &ignored), 0);
	assert_null(resp.json); /* nothing refused */
	assert_string_equal(v[0].str, "n");
	assert_true(v[4].flag);
	array_messages(ignored, got, sizeof(got));
	assert_string_equal(got, "PropertyNotWritable:Id;PropertyUnknown:Zap");
	/* the 200 carries them; any other answer drops them */
	http_response_json(&resp, 200, json_pack("{s:s}", "Name", "n"));
	rf_annotate_ignored(&resp, ignored);
	array_messages(json_object_get(resp.json, "@Message.ExtendedInfo"), got, sizeof(got));
	assert_string_equal(got, "PropertyNotWritable:Id;PropertyUnknown:Zap");
	http_response_release(&resp);
	json_decref(body);

	body = json_loads("{\"Name\": \"n\", \"On\": true, \"Zap\": 2}", 0, NULL);
	http_response_init(&resp);
	assert_int_equal(rf_body_read_patch(body, &decl, v, &resp, &ignored), 0);
	http_response_json(&resp, 412, json_object());
	rf_annotate_ignored(&resp, ignored);
	assert_null(json_object_get(resp.json, "@Message.ExtendedInfo"));
	http_response_release(&resp);
	json_decref(body);

	static const struct {
		const char *text;
		int rc;
		const char *want;
	} refused[] = {
		{ "{\"Id\": 1, \"Zap\": 2}", -EINVAL, "PropertyNotWritable:Id;PropertyUnknown:Zap" },
		{ "{\"Zap\": 2, \"@odata.etag\": \"x\"}", -EINVAL, "PropertyUnknown:Zap" },
		{ "{\"Name\": \"n\", \"On\": \"x\", \"Zap\": 2}", -ERANGE,
		  "PropertyValueTypeError:x,On" },
		{ "{\"@odata.etag\": \"x\"}", -EINVAL, "NoOperation:" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		body = json_loads(refused[i].text, 0, NULL);
		http_response_init(&resp);
		ignored = NULL;
		assert_int_equal(rf_body_read_patch(body, &decl, v, &resp, &ignored), refused[i].rc);
		assert_null(ignored);
		assert_int_equal(resp.status, 400);
		messages(&resp, got, sizeof(got));
		assert_string_equal(got, refused[i].want);
		http_response_release(&resp);
		json_decref(body);
	}
}

static void test_body_object(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} bodies[] = {
		{ "", "MalformedJSON:" },
		{ "[1]", "MalformedJSON:" },
		{ "{\"a\": 1, \"a\": 2}", "MalformedJSON:" },
		{ "{}", "EmptyJSON:" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct http_request req;
		struct http_response resp;
		char got[256];

		memset(&req, 0, sizeof(req));
		req.body = bodies[i].text[0] ? bodies[i].text : NULL;
		req.body_len = strlen(bodies[i].text);
		http_response_init(&resp);
		assert_null(rf_body_object(&req, &resp));
		messages(&resp, got, sizeof(got));
		assert_string_equal(got, bodies[i].want);
		http_response_release(&resp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_good_members_read_after_bad_ones),
		cmocka_unit_test(test_body_object),
		cmocka_unit_test(test_patch_leaves_out_unwritable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
