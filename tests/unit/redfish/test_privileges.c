/* Every standard route's privileges against DMTF's Redfish_1.8.0
 * PrivilegeRegistry in ../shared. Each route pattern is mapped to the
 * registry Entity it serves; for each method the route answers, the
 * registry's OperationMap (with the SubordinateOverrides whose Targets are
 * among the route's ancestors) must give exactly the route's privilege
 * alternatives, unless the (pattern, method) is in the one list of
 * deliberate deviations below, with its reason. Each deviation is checked
 * too: the route declares what the list says, and that differs from the
 * registry (a deviation that no longer deviates must leave the list). OEM
 * routes are exempt and listed; a route in neither map fails the test, so
 * a new route has to be classified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/privilege.h"
#include "http/message.h"
#include "redfish/resource.h"
#include "redfish/router.h"
#include "redfish/routes.h"

#define ACCOUNT "/redfish/v1/AccountService"
#define MANAGER "/redfish/v1/Managers/{manager}"
#define AUDIT MANAGER "/LogServices/Audit"
#define DEVICE "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}"
#define LD DEVICE "/CXLLogicalDevices/{ld}"
#define GH (HTTP_GET | HTTP_HEAD)

/* Which registry Entity each standard route serves ("" for protocol
 * documents the registry does not describe). */
static const struct {
	const char *pattern;
	const char *entity;
} entities[] = {
	{ "/redfish", "" },
	{ "/redfish/v1", "ServiceRoot" },
	{ "/redfish/v1/odata", "" },
	{ "/redfish/v1/$metadata", "" },
	{ "/redfish/v1/Schemas/{file}", "JsonSchemaFile" },
	{ "/redfish/v1/Managers", "ManagerCollection" },
	{ MANAGER, "Manager" },
	{ MANAGER "/LogServices", "LogServiceCollection" },
	{ AUDIT, "LogService" },
	{ AUDIT "/Entries", "LogEntryCollection" },
	{ AUDIT "/Entries/{entry}", "LogEntry" },
	{ "/redfish/v1/TaskService", "TaskService" },
	{ "/redfish/v1/TaskService/Tasks", "TaskCollection" },
	{ "/redfish/v1/TaskService/Tasks/{task}", "Task" },
	/* DSP0266: a task monitor is not a resource; it is read as its Task */
	{ "/redfish/v1/TaskService/TaskMonitors/{task}", "Task" },
	{ "/redfish/v1/Chassis", "ChassisCollection" },
	{ "/redfish/v1/Chassis/{chassis}", "Chassis" },
	{ "/redfish/v1/Chassis/{chassis}/PCIeDevices", "PCIeDeviceCollection" },
	{ DEVICE, "PCIeDevice" },
	{ DEVICE "/CXLLogicalDevices", "CXLLogicalDeviceCollection" },
	{ LD, "CXLLogicalDevice" },
	{ LD "/DeviceLog", "LogService" },
	{ LD "/DeviceLog/Entries", "LogEntryCollection" },
	{ LD "/DeviceLog/Entries/{entry}", "LogEntry" },
	{ "/redfish/v1/Systems", "ComputerSystemCollection" },
	{ "/redfish/v1/Systems/{system}", "ComputerSystem" },
	{ "/redfish/v1/Systems/{system}/Memory", "MemoryCollection" },
	{ "/redfish/v1/Systems/{system}/Memory/{dev}", "Memory" },
	{ "/redfish/v1/Systems/{system}/MemoryDomains", "MemoryDomainCollection" },
	{ "/redfish/v1/Systems/{system}/MemoryDomains/{dev}", "MemoryDomain" },
	{ ACCOUNT, "AccountService" },
	{ ACCOUNT "/Accounts", "ManagerAccountCollection" },
	{ ACCOUNT "/Accounts/{account}", "ManagerAccount" },
	{ ACCOUNT "/Roles", "RoleCollection" },
	{ ACCOUNT "/Roles/{role}", "Role" },
	{ "/redfish/v1/SessionService", "SessionService" },
	{ "/redfish/v1/SessionService/Sessions", "SessionCollection" },
	{ "/redfish/v1/SessionService/Sessions/{session}", "Session" },
	{ "/redfish/v1/EventService", "EventService" },
	{ "/redfish/v1/Registries", "MessageRegistryFileCollection" },
	{ "/redfish/v1/Registries/{registry}", "MessageRegistryFile" },
	/* the stream is a view of the EventService's events */
	{ "/redfish/v1/EventService/SSE", "EventService" },
	{ "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent", "EventService" },
	{ "/redfish/v1/EventService/Subscriptions", "EventDestinationCollection" },
	{ "/redfish/v1/EventService/Subscriptions/{sub}", "EventDestination" },
	{ "/redfish/v1/EventService/Subscriptions/{sub}/Actions/EventDestination.ResumeSubscription",
	  "EventDestination" },
};

/* OEM resources: not in the registry. Reading them needs Login; what a
 * submitted command needs is the policy's decision from the device's CEL
 * effects and the caller's CxlCommand* privileges. */
static const char *const oem_routes[] = {
	"/metrics", /* OpenMetrics, outside Redfish: Login (ReadOnly) reads it */
	CHASSIS_URI "/PCIeDevices/{dev}/Oem/CxlAgent/CommandEffectsLog",
	CHASSIS_URI "/PCIeDevices/{dev}/Oem/CxlAgent/VendorCommands",
	CHASSIS_URI "/PCIeDevices/{dev}/Oem/CxlAgent/VendorCommands/{cmd}",
	CHASSIS_URI "/PCIeDevices/{dev}/Oem/CxlAgent/VendorCommands/{cmd}/Actions/"
		    "CxlAgent.Submit",
};

#define ALT(...) { __VA_ARGS__ }
#define CM PRIV_CONFIGURE_MANAGER
#define CU PRIV_CONFIGURE_USERS
#define CS PRIV_CONFIGURE_SELF

/* The deliberate deviations from the registry: what the route declares
 * instead, and why. */
static const struct deviation {
	const char *pattern;
	unsigned methods;
	privset_t declared[ROUTE_PRIV_ALTERNATIVES];
	const char *reason;
} deviations[] = {
	{ "/redfish", GH, ALT(PRIV_NOAUTH),
	  "the version document is not a registry resource; DSP0266 serves it without "
	  "authentication" },
	{ "/redfish/v1/odata", GH, ALT(PRIV_NOAUTH),
	  "the OData service document is not a registry resource; DSP0266 serves it without "
	  "authentication" },
	{ "/redfish/v1/$metadata", GH, ALT(PRIV_NOAUTH),
	  "the metadata document is not a registry resource; DSP0266 serves it without "
	  "authentication" },
	{ "/redfish/v1/Schemas/{file}", GH, ALT(PRIV_NOAUTH),
	  "the OEM schema files hold no data and are served so that validators and clients "
	  "can resolve them before they log in" },
	{ MANAGER "/LogServices", GH, ALT(CM),
	  "the Manager's only log is the audit log, whose records say who ran what on which "
	  "device" },
	{ AUDIT, GH, ALT(CM), "audit records say who ran what on which device" },
	{ AUDIT "/Entries", GH, ALT(CM), "audit records say who ran what on which device" },
	{ AUDIT "/Entries/{entry}", GH, ALT(CM), "audit records say who ran what on which device" },
	{ ACCOUNT "/Accounts/{account}", HTTP_HEAD, ALT(CM, CU, CS),
	  "HEAD takes the alternatives of GET (the registry says Login), so that HEAD never "
	  "tells what GET would refuse; Self: ConfigureSelf admits the caller's own account "
	  "only" },
	{ ACCOUNT "/Accounts/{account}", HTTP_PATCH, ALT(CU, CS),
	  "Self alternative: the registry's PropertyOverride lets ConfigureSelf PATCH the "
	  "Password; the handler admits it for the caller's own account and its Password only" },
	{ ACCOUNT "/Roles", HTTP_POST, ALT(CU),
	  "roles are managed with ConfigureUsers, like accounts: whoever may give an account a "
	  "role may define what the role holds" },
	{ ACCOUNT "/Roles/{role}", HTTP_PATCH | HTTP_DELETE, ALT(CU),
	  "roles are managed with ConfigureUsers, like accounts: whoever may give an account a "
	  "role may define what the role holds" },
	{ "/redfish/v1/SessionService/Sessions", HTTP_POST, ALT(PRIV_NOAUTH),
	  "login needs no prior authentication: it is how a client authenticates" },
	{ "/redfish/v1/EventService/Subscriptions", HTTP_POST, ALT(CM),
	  "a subscription sends every matching event, other users' sessions and commands "
	  "included, to an address of the subscriber's choosing: ConfigureManager only" },
	{ "/redfish/v1/EventService/Subscriptions/{sub}/Actions/EventDestination.ResumeSubscription",
	  HTTP_POST, ALT(CM),
	  "subscriptions are created with ConfigureManager only, so only it resumes them" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {
	{ HTTP_GET, "GET" },     { HTTP_HEAD, "HEAD" },	{ HTTP_POST, "POST" },
	{ HTTP_PATCH, "PATCH" }, { HTTP_PUT, "PUT" },	{ HTTP_DELETE, "DELETE" },
};

/* A set of alternatives, order aside, any NoAuth one standing for all. */
struct alts {
	size_t n;
	privset_t set[8];
};

static void alts_add(struct alts *a, privset_t p)
{
	if (p & PRIV_NOAUTH) {
		a->n = 1;
		a->set[0] = PRIV_NOAUTH;
		return;
	}
	if (a->n == 1 && a->set[0] == PRIV_NOAUTH)
		return;
	for (size_t i = 0; i < a->n; i++)
		if (a->set[i] == p)
			return;
	assert_true(a->n < N(a->set));
	a->set[a->n++] = p;
}

static bool alts_equal(const struct alts *a, const struct alts *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t k = 0; k < b->n && !found; k++)
			found = a->set[i] == b->set[k];
		if (!found)
			return false;
	}
	return true;
}

static void alts_text(const struct alts *a, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n && o < len; i++) {
		const char *sep = "";
		o += (size_t)snprintf(buf + o, len - o, "%s{", i ? " " : "");
		for (unsigned b = 0; b < 32 && o < len; b++) {
			privset_t bit = 1u << b;
			if (!(a->set[i] & bit))
				continue;
			o += (size_t)snprintf(buf + o, len - o, "%s%s", sep,
					      bit == PRIV_NOAUTH ? "NoAuth" : privilege_name(bit));
			sep = ",";
		}
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "}");
	}
}

static struct alts declared_alts(const privset_t *privs)
{
	struct alts a = { 0 };
	for (size_t i = 0; i < ROUTE_PRIV_ALTERNATIVES && privs[i]; i++)
		alts_add(&a, privs[i]);
	return a;
}

/* An OperationMap entry: [{"Privilege": [names]}...] */
static struct alts registry_alts(json_t *list, const char *what)
{
	struct alts a = { 0 };
	size_t i, k;
	json_t *e, *name;

	if (!json_is_array(list))
		fail_msg("%s: no operation in the registry", what);
	json_array_foreach(list, i, e) {
		privset_t p = 0;
		json_array_foreach(json_object_get(e, "Privilege"), k, name) {
			const char *s = json_string_value(name);
			privset_t bit = strcmp(s, "NoAuth") == 0 ? PRIV_NOAUTH : privilege_from_name(s);
			if (!bit)
				fail_msg("%s: registry privilege %s is unknown to the agent", what, s);
			p |= bit;
		}
		alts_add(&a, p);
	}
	return a;
}

static json_t *load_registry(void)
{
	const char *dir = getenv("CXLA_SHARED_DIR");
	char path[1024];
	json_error_t jerr;
	json_t *reg;

	if (!dir)
		fail_msg("CXLA_SHARED_DIR is not set: it names the shared reference directory holding "
			 "redfish/registries/Redfish_1.8.0_PrivilegeRegistry.json (tests/CMakeLists.txt "
			 "sets it)");
	snprintf(path, sizeof(path), "%s/redfish/registries/Redfish_1.8.0_PrivilegeRegistry.json",
		 dir);
	reg = json_load_file(path, 0, &jerr);
	if (!reg)
		fail_msg("cannot read DMTF's PrivilegeRegistry %s (%s): the routes' privileges cannot "
			 "be checked without it", path, jerr.text);
	return reg;
}

static json_t *mapping(json_t *reg, const char *entity)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(reg, "Mappings"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "Entity")), entity) == 0)
			return m;
	fail_msg("entity %s is not in the PrivilegeRegistry", entity);
	return NULL;
}

static const char *entity_of(const char *pattern)
{
	for (size_t i = 0; i < N(entities); i++)
		if (strcmp(entities[i].pattern, pattern) == 0)
			return entities[i].entity;
	return NULL;
}

/* Whether a is a proper ancestor of b in the URI tree. */
static bool ancestor(const char *a, const char *b)
{
	size_t n = strlen(a);
	return strncmp(a, b, n) == 0 && b[n] == '/';
}

/* Whether every Target of an override is an entity above pattern. */
static bool override_applies(json_t *targets, const char *pattern)
{
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t) {
		bool above = false;
		for (size_t k = 0; k < N(entities) && !above; k++)
			above = ancestor(entities[k].pattern, pattern) &&
				strcmp(entities[k].entity, json_string_value(t)) == 0;
		if (!above)
			return false;
	}
	return true;
}

/* The registry's alternatives for method on the entity at pattern. */
static struct alts expected(json_t *reg, const char *pattern, const char *entity,
			    const char *method)
{
	json_t *m = mapping(reg, entity), *ov, *ops = json_object_get(m, "OperationMap");
	char what[512];
	size_t i;

	json_array_foreach(json_object_get(m, "SubordinateOverrides"), i, ov) {
		json_t *op = json_object_get(json_object_get(ov, "OperationMap"), method);
		if (op && override_applies(json_object_get(ov, "Targets"), pattern))
			ops = json_object_get(ov, "OperationMap");
	}
	snprintf(what, sizeof(what), "%s %s (%s)", method, pattern, entity);
	return registry_alts(json_object_get(ops, method), what);
}

static const struct deviation *deviation_of(const char *pattern, unsigned method)
{
	for (size_t i = 0; i < N(deviations); i++)
		if (strcmp(deviations[i].pattern, pattern) == 0 && (deviations[i].methods & method))
			return &deviations[i];
	return NULL;
}

static bool is_oem(const char *pattern)
{
	for (size_t i = 0; i < N(oem_routes); i++)
		if (strcmp(oem_routes[i], pattern) == 0)
			return true;
	return false;
}

/* Checks one method of one route; returns whether it matched. */
static bool check_method(json_t *reg, const struct route *rt, const char *entity, unsigned bit,
			 const char *method, size_t *deviating)
{
	struct alts have = declared_alts(rt->privileges), want = { 0 };
	const struct deviation *d = deviation_of(rt->pattern, bit);
	char h[256], w[256];

	if (entity[0])
		want = expected(reg, rt->pattern, entity, method);
	alts_text(&have, h, sizeof(h));
	alts_text(&want, w, sizeof(w));
	if (d) {
		struct alts said = declared_alts(d->declared);
		(*deviating)++;
		if (!d->reason[0])
			fail_msg("%s %s: a deviation needs its reason", method, rt->pattern);
		if (!alts_equal(&have, &said)) {
			print_error("%s %s declares %s; the deviation list says otherwise\n", method,
				    rt->pattern, h);
			return false;
		}
		if (entity[0] && alts_equal(&have, &want)) {
			print_error("%s %s agrees with the registry (%s): not a deviation\n", method,
				    rt->pattern, w);
			return false;
		}
		return true;
	}
	if (!entity[0] || !alts_equal(&have, &want)) {
		print_error("%s %s declares %s, the registry (%s) says %s\n", method, rt->pattern, h,
			    entity[0] ? entity : "no entity", w);
		return false;
	}
	return true;
}

static void test_routes_follow_the_registry(void **state)
{
	json_t *reg = load_registry();
	size_t checked = 0, deviating = 0, oem = 0, bad = 0;
	(void)state;

	for (size_t t = 0; t < agent_route_table_count; t++) {
		for (const struct route *rt = agent_route_tables[t]; rt->pattern; rt++) {
			const char *entity = entity_of(rt->pattern);
			unsigned m = rt->methods | ((rt->methods & HTTP_GET) ? HTTP_HEAD : 0);
			if (is_oem(rt->pattern)) {
				oem++;
				continue;
			}
			if (!entity)
				fail_msg("%s is neither mapped to a registry entity nor listed as OEM",
					 rt->pattern);
			for (size_t i = 0; i < N(methods); i++) {
				if (!(m & methods[i].bit))
					continue;
				checked++;
				if (!check_method(reg, rt, entity, methods[i].bit, methods[i].name,
						  &deviating))
					bad++;
			}
		}
	}
	json_decref(reg);
	print_message("%zu route-methods checked, %zu deliberate deviations, %zu OEM routes\n",
		      checked, deviating, oem);
	if (bad)
		fail_msg("%zu route-methods differ from the PrivilegeRegistry", bad);
	assert_int_equal(oem, N(oem_routes));
	assert_true(checked > 50);
}

/* Every row of the lists names a route that exists, for every method it
 * names. */
static void test_lists_name_real_routes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(deviations) + N(entities) + N(oem_routes); i++) {
		const char *pattern = i < N(deviations) ? deviations[i].pattern
				      : i < N(deviations) + N(entities)
					      ? entities[i - N(deviations)].pattern
					      : oem_routes[i - N(deviations) - N(entities)];
		unsigned want = i < N(deviations) ? deviations[i].methods : 0, have = 0;
		for (size_t t = 0; t < agent_route_table_count; t++)
			for (const struct route *rt = agent_route_tables[t]; rt->pattern; rt++)
				if (strcmp(rt->pattern, pattern) == 0)
					have |= rt->methods | ((rt->methods & HTTP_GET) ? HTTP_HEAD : 0);
		if (!have)
			fail_msg("%s is listed but no route has that pattern", pattern);
		if ((have & want) != want)
			fail_msg("%s: a deviation names a method the route does not answer", pattern);
	}
}

/* The comparison itself: a route that departs from the registry without
 * being listed is caught. */
static void test_an_unlisted_deviation_fails(void **state)
{
	static const struct route wrong = { HTTP_GET, "/redfish/v1/Systems/{system}",
					    { PRIV_CONFIGURE_COMPONENTS }, NULL, NULL };
	static const struct route right = { HTTP_GET, "/redfish/v1/Systems/{system}",
					    { PRIV_LOGIN }, NULL, NULL };
	static const struct route public_tasks = { HTTP_GET, "/redfish/v1/TaskService",
						   { PRIV_NOAUTH }, NULL, NULL };
	json_t *reg = load_registry();
	size_t d = 0;
	(void)state;

	assert_false(check_method(reg, &wrong, "ComputerSystem", HTTP_GET, "GET", &d));
	assert_true(check_method(reg, &right, "ComputerSystem", HTTP_GET, "GET", &d));
	assert_false(check_method(reg, &public_tasks, "TaskService", HTTP_GET, "GET", &d));
	assert_int_equal(d, 0);
	json_decref(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_follow_the_registry),
		cmocka_unit_test(test_lists_name_real_routes),
		cmocka_unit_test(test_an_unlisted_deviation_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
