/* Every request-body parser behind the service edge: the first byte picks
 * the route (session login, account create and PATCH, role create and
 * PATCH, AccountService PATCH, vendor command Submit), the rest is the body,
 * sent by the administrator with Content-Type application/json. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_ROUTES 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_agent *f;
	static char paths[N_ROUTES][256];
	static const enum http_method methods[N_ROUTES] = { HTTP_POST,	HTTP_POST, HTTP_PATCH,
							    HTTP_POST,	HTTP_PATCH, HTTP_PATCH,
							    HTTP_POST };
	struct http_header headers[2];
	struct http_request req = { 0 };
	unsigned which;

	if (size < 1)
		return 0;
	if (!f) {
		f = fuzz_agent_new(1);
		snprintf(paths[0], sizeof(paths[0]), "/redfish/v1/SessionService/Sessions");
		snprintf(paths[1], sizeof(paths[1]), "/redfish/v1/AccountService/Accounts");
		snprintf(paths[2], sizeof(paths[2]), "/redfish/v1/AccountService/Accounts/%s",
			 f->victim_id);
		snprintf(paths[3], sizeof(paths[3]), "/redfish/v1/AccountService/Roles");
		snprintf(paths[4], sizeof(paths[4]), "/redfish/v1/AccountService/Roles/%s",
			 FUZZ_CUSTOM_ROLE);
		snprintf(paths[5], sizeof(paths[5]), "/redfish/v1/AccountService");
		snprintf(paths[6], sizeof(paths[6]),
			 "/redfish/v1/Chassis/host/PCIeDevices/%s/Oem/CxlAgent/VendorCommands/"
			 "emu-set-config-after-reset/Actions/CxlAgent.Submit",
			 f->device_id);
	}
	which = data[0] % N_ROUTES;
	headers[0] = (struct http_header){ "Authorization", f->admin_auth };
	headers[1] = (struct http_header){ "Content-Type", "application/json" };
	req.method = methods[which];
	req.method_token = methods[which] == HTTP_POST ? "POST" : "PATCH";
	req.path = paths[which];
	req.headers = headers;
	req.nheaders = 2;
	req.body = size > 1 ? (const char *)data + 1 : NULL;
	req.body_len = size - 1;
	req.peer = "192.0.2.1";
	fuzz_agent_call(f, &req);
	fuzz_agent_reset(f);
	return 0;
}
