/* Path decoding, routing and the service edge for any method and path: the
 * first byte picks the method and whether the caller is the administrator,
 * the rest (up to a NUL) is the path as it arrives on the wire. It is
 * decoded by the strict URI decoder as the HTTP server does (a refused path
 * is marked, not dropped: the service answers it), router_match() runs over
 * the real route tables, then the whole request goes through
 * service_handle(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_agent.h"
#include "http/uri.h"
#include "redfish/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum http_method methods[] = { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PATCH,
					    HTTP_PUT, HTTP_DELETE, HTTP_OTHER, HTTP_GET };
static const char *const tokens[] = { "GET", "HEAD", "POST", "PATCH",
				      "PUT", "DELETE", "TRACE", "GET" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_agent *f;
	struct http_header headers[2];
	struct http_request req = { 0 };
	const struct route *rt = NULL;
	struct route_params params;
	unsigned allowed = 0;
	char *path, *scratch;
	size_t len;

	if (size < 1)
		return 0;
	if (!f)
		f = fuzz_agent_new(1);
	len = strnlen((const char *)data + 1, size - 1);
	path = malloc(len + 1);
	scratch = malloc(len + 1);
	if (!path || !scratch)
		abort();
	memcpy(path, data + 1, len);
	path[len] = '\0';
	uri_utf8_valid((const unsigned char *)path, len);
	req.uri_invalid = uri_unescape(path) < 0 || !uri_path_clean(path);

	req.method = methods[data[0] & 7];
	req.method_token = tokens[data[0] & 7];
	router_match(f->ag.router, req.method, path, scratch, len + 1, &rt, &params, &allowed);

	req.path = path;
	req.peer = "192.0.2.1";
	headers[0] = (struct http_header){ "Authorization", f->admin_auth };
	headers[1] = (struct http_header){ "Content-Type", "application/json" };
	req.headers = headers;
	req.nheaders = (data[0] & 8) ? 2 : 0;
	fuzz_agent_call(f, &req);
	fuzz_agent_reset(f);
	free(scratch);
	free(path);
	return 0;
}
