/* root.c: the protocol entry points, without credentials as DSP0266 wants
 * them: the version document, the service root and its links, the OData
 * service document, $metadata and the OEM schema files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "redfish/schemas.h"

static int setup(void **state)
{
	return (*state = rfx_open()) ? 0 : -1;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

static void test_versions(void **state)
{
	struct rfx_reply r = rfx_get(*state, "/redfish", NULL);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "v1"), "/redfish/v1/");
	assert_int_equal(json_object_size(r.body), 1);
	rfx_free(&r);
}

static void test_service_root(void **state)
{
	struct rfx *f = *state;
	static const char *const links[][2] = {
		{ "Systems", "/redfish/v1/Systems" },
		{ "Chassis", "/redfish/v1/Chassis" },
		{ "Managers", "/redfish/v1/Managers" },
		{ "Tasks", "/redfish/v1/TaskService" },
		{ "AccountService", "/redfish/v1/AccountService" },
		{ "SessionService", "/redfish/v1/SessionService" },
		{ "Links/Sessions", "/redfish/v1/SessionService/Sessions" },
	};
	struct rfx_reply r = rfx_get(f, "/redfish/v1", NULL);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#ServiceRoot.v1_20_0.ServiceRoot");
	assert_string_equal(rfx_str(r.body, "UUID"), f->ag.uuid);
	assert_string_equal(rfx_str(r.body, "RedfishVersion"), "1.20.0");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "%s/@odata.id", links[i][0]);
		assert_string_equal(rfx_str(r.body, path), links[i][1]);
	}
	/* the query options of redfish/query.h, and no others */
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/ExpandQuery/ExpandAll")));
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/ExpandQuery/Levels")));
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/ExpandQuery/Links")));
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/ExpandQuery/NoLinks")));
	assert_int_equal(rfx_int(r.body, "ProtocolFeaturesSupported/ExpandQuery/MaxLevels"), 2);
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/SelectQuery")));
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/OnlyMemberQuery")));
	assert_true(json_is_true(rfx_at(r.body, "ProtocolFeaturesSupported/TopSkipQuery")));
	assert_true(json_is_false(rfx_at(r.body, "ProtocolFeaturesSupported/FilterQuery")));
	assert_true(json_is_false(rfx_at(r.body, "ProtocolFeaturesSupported/ExcerptQuery")));
	rfx_free(&r);
}

/* The OData service document names the same services as the root. */
static void test_odata(void **state)
{
	struct rfx_reply root = rfx_get(*state, "/redfish/v1", NULL);
	struct rfx_reply r = rfx_get(*state, "/redfish/v1/odata", NULL);
	json_t *value = rfx_at(r.body, "value"), *v;
	size_t i;

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.context"), "/redfish/v1/$metadata");
	assert_int_equal(json_array_size(value), 7);
	assert_string_equal(rfx_str(value, "0/url"), "/redfish/v1/");
	json_array_foreach(value, i, v) {
		const char *name = rfx_str(v, "name");
		assert_string_equal(rfx_str(v, "kind"), "Singleton");
		if (i == 0)
			continue;
		assert_string_equal(rfx_str(json_object_get(root.body, name), "@odata.id"),
				    rfx_str(v, "url"));
	}
	rfx_free(&r);
	rfx_free(&root);
}

static void test_metadata(void **state)
{
	struct rfx_reply r = rfx_get(*state, "/redfish/v1/$metadata", NULL);

	assert_int_equal(r.status, 200);
	assert_null(r.body); /* XML */
	assert_non_null(r.text);
	assert_true(strncmp(r.text, "<?xml", 5) == 0);
	assert_non_null(strstr(r.text, "<edmx:Include Namespace=\"PCIeDevice.v1_21_0\"/>"));
	assert_non_null(strstr(r.text, "Uri=\"/redfish/v1/Schemas/CxlAgent_v1.xml\""));
	assert_non_null(strstr(r.text, "Extends=\"ServiceRoot.v1_20_0.ServiceContainer\""));
	assert_non_null(strstr(r.text, "</edmx:Edmx>"));
	rfx_free(&r);
}

/* Every embedded schema is served byte for byte; others are 404. */
static void test_schemas(void **state)
{
	struct rfx *f = *state;
	size_t n = 0;
	struct rfx_reply r;

	for (const struct embedded_schema *s = embedded_schemas; s->name; s++, n++) {
		char path[256];
		snprintf(path, sizeof(path), OEM_SCHEMA_URI "/%s", s->name);
		r = rfx_get(f, path, NULL);
		assert_int_equal(r.status, 200);
		assert_int_equal(strlen(r.text), s->len);
		assert_memory_equal(r.text, s->data, s->len);
		rfx_free(&r);
	}
	assert_int_equal(n, 2);
	r = rfx_get(f, OEM_SCHEMA_URI "/Nothing.json", f->admin);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_message_id(&r), "ResourceNotFound");
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"), "Schema");
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_service_root),
		cmocka_unit_test(test_odata),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_schemas),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
