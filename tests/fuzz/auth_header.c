/* Authorization and X-Auth-Token header parsing: the input up to the first
 * newline is the Authorization value, the rest the X-Auth-Token value. Both
 * the Basic decoder alone and the whole authenticator see them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "fuzz_agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_agent *f;
	struct http_header headers[2];
	struct http_request req = { 0 };
	struct identity who;
	char user[IDENTITY_NAME_MAX], pass[160];
	char *text, *token;

	if (!f)
		f = fuzz_agent_new(0);
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	token = strchr(text, '\n');
	if (token)
		*token++ = '\0';

	authn_parse_basic(text, user, sizeof(user), pass, sizeof(pass));
	headers[0] = (struct http_header){ "Authorization", text };
	headers[1] = (struct http_header){ "X-Auth-Token", token ? token : "" };
	req.method = HTTP_GET;
	req.method_token = "GET";
	req.path = "/redfish/v1/SessionService";
	req.headers = headers;
	req.nheaders = token ? 2 : 1;
	req.peer = "192.0.2.1";
	authn_request(f->ag.authn, &req, &who);
	fuzz_agent_call(f, &req);
	fuzz_agent_reset(f);
	free(text);
	return 0;
}
