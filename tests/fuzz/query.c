/* Query parameters from the wire to the answer: the first byte picks the
 * resource (a collection, a singleton, the public root, the audit log) and
 * the caller (the administrator or nobody); the rest, up to a NUL, is the
 * query string as it arrives. It is split and decoded as the HTTP server
 * does (an argument the strict decoder refuses marks the request invalid,
 * as the server marks it), parsed by rf_query_parse() and, through
 * service_handle(), applied: paging, $select, only and $expand with its
 * GETs through the real routes, privileges and handlers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_agent.h"
#include "http/uri.h"
#include "redfish/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 16

static const char *const paths[] = {
	"/redfish/v1",
	"/redfish/v1/Chassis",
	"/redfish/v1/Systems/host/Memory",
	"/redfish/v1/Systems/host",
	"/redfish/v1/Managers/agent/LogServices/Audit/Entries",
	"/redfish/v1/AccountService",
	"/redfish/v1/Chassis/host/PCIeDevices",
	"/redfish/v1/Managers/agent",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_agent *f;
	struct http_header args[MAX_ARGS], headers[1];
	struct http_request req = { 0 };
	struct rf_query_error err;
	struct rf_query q;
	char *query, *save = NULL;
	size_t len;

	if (size < 1)
		return 0;
	if (!f)
		f = fuzz_agent_new(1);
	len = strnlen((const char *)data + 1, size - 1);
	query = malloc(len + 1);
	if (!query)
		abort();
	memcpy(query, data + 1, len);
	query[len] = '\0';
	for (char *arg = strtok_r(query, "&", &save); arg && req.nquery < MAX_ARGS;
	     arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		if (eq)
			*eq++ = '\0';
		if (uri_unescape(arg) < 0 || (eq && uri_unescape(eq) < 0))
			req.uri_invalid = true;
		args[req.nquery++] = (struct http_header){ arg, eq ? eq : "" };
	}
	/* The parser alone: a refusal always names its parameter. */
	if (rf_query_parse(args, req.nquery, &q, &err) && !err.param)
		abort();

	req.method = (data[0] & 0x40) ? HTTP_HEAD : HTTP_GET;
	req.method_token = req.method == HTTP_HEAD ? "HEAD" : "GET";
	req.path = paths[data[0] & 7];
	req.peer = "192.0.2.1";
	req.query = args;
	headers[0] = (struct http_header){ "Authorization", f->admin_auth };
	req.headers = headers;
	req.nheaders = (data[0] & 8) ? 0 : 1;
	fuzz_agent_call(f, &req);
	fuzz_agent_reset(f);
	free(query);
	return 0;
}
