/* A whole agent for driving resource handlers without sockets: emulated
 * devices (the built-in two-device profile), accounts with a bootstrap
 * admin, sessions, the authenticator, the audit log, command queues, tasks,
 * the body cache and a catalogue approving the emulated vendor commands,
 * all under a temporary directory, wired as main.c wires them. Requests go
 * through service_handle() (authentication, routing, privileges, ETags)
 * and a deferred answer (a submitted command) is run on the spot.
 *
 * Header-only (static inline) so that each test file stands alone. */
#ifndef CXLA_TESTS_REDFISH_FIXTURE_H
#define CXLA_TESTS_REDFISH_FIXTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/authn.h"
#include "auth/sessions.h"
#include "config/config.h"
#include "core/agent.h"
#include "core/commands.h"
#include "core/poller.h"
#include "core/tasks.h"
#include "cxl/device.h"
#include "cxl/emulated/emulated.h"
#include "http/message.h"
#include "policy/catalogue.h"
#include "redfish/body_cache.h"
#include "redfish/resource.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "support/tmpdir.h"
#include "util/fileio.h"
#include "util/base64.h"

#define RFX_ADMIN_PASSWORD "fixture-admin-password-1"
#define RFX_PASSWORD "fixture-user-password-1"
#define RFX_DEV0 "1000000000000001"
#define RFX_DEV1 "1000000000000002"
#define RFX_DEVICES CHASSIS_URI "/PCIeDevices/"
#define RFX_COMMANDS "/Oem/CxlAgent/VendorCommands/"

/* The emulated device's vendor commands, approved as in
 * packaging/policy.example.json. */
static const char rfx_catalogue[] =
	"{\"version\": 1, \"commands\": ["
	"{\"id\": \"emu-read-telemetry\", \"name\": \"Read telemetry\", \"opcode\": \"0xC000\","
	" \"match\": {\"vendor_id\": \"0x8086\", \"device_id\": \"0x0d93\"}, \"effects\": [],"
	" \"input\": {\"min_bytes\": 0, \"max_bytes\": 0}},"
	"{\"id\": \"emu-set-config-after-reset\", \"name\": \"Set config\", \"opcode\": \"0xC001\","
	" \"match\": {\"vendor_id\": \"0x8086\", \"device_id\": \"0x0d93\"},"
	" \"effects\": [\"ConfigChangeAfterColdReset\"], \"input\": {\"min_bytes\": 4, \"max_bytes\": 4}},"
	"{\"id\": \"emu-set-mode\", \"name\": \"Set mode\", \"opcode\": \"0xC002\","
	" \"match\": {\"vendor_id\": \"0x8086\", \"device_id\": \"0x0d93\"},"
	" \"effects\": [\"ImmediateConfigChange\", \"ImmediateDataChange\"],"
	" \"input\": {\"min_bytes\": 4, \"max_bytes\": 4}},"
	"{\"id\": \"emu-background-op\", \"name\": \"Background\", \"opcode\": \"0xC003\","
	" \"match\": {\"vendor_id\": \"0x8086\", \"device_id\": \"0x0d93\"},"
	" \"effects\": [\"ImmediateDataChange\", \"BackgroundOperation\"],"
	" \"input\": {\"min_bytes\": 0, \"max_bytes\": 4}}"
	"]}";

struct rfx {
	char dir[256];
	struct config cfg;
	struct agent ag;
	bool catalogue_ready;
	unsigned refresh_ms;
	struct poller *poller;
	char admin[256]; /* Authorization header of the bootstrap admin */
};

struct rfx_reply {
	int status;
	json_t *body; /* NULL for an empty or non-JSON body */
	char *text;   /* the body as sent */
	char etag[80];
	char location[256];
	char retry_after[40];
	char token[80];
};

static inline void rfx_close(struct rfx *f)
{
	if (!f)
		return;
	/* threads stop before the devices go */
	poller_stop(f->poller);
	tasks_free(f->ag.tasks);
	body_cache_free(f->ag.bodies);
	command_queues_free(f->ag.queues);
	audit_close(f->ag.audit);
	if (f->catalogue_ready)
		catalogue_cell_destroy(&f->ag.catalogue);
	cxl_devset_free(f->ag.devices);
	authn_free(f->ag.authn);
	sessions_free(f->ag.sessions);
	accounts_free(f->ag.accounts);
	router_free(f->ag.router);
	config_release(&f->cfg);
	tmpdir_remove(f->dir);
	free(f);
}

/* "Basic <base64 user:password>" into out. */
static inline int rfx_basic(char *out, size_t len, const char *user, const char *password)
{
	char cred[256];
	char *b64;

	snprintf(cred, sizeof(cred), "%s:%s", user, password);
	b64 = base64_encode((const uint8_t *)cred, strlen(cred));
	if (!b64)
		return -ENOMEM;
	snprintf(out, len, "Basic %s", b64);
	free(b64);
	return 0;
}

static inline int rfx_open_devices(struct rfx *f)
{
	struct cxl_devset_config dc = { 0 };
	const char *why = NULL;
	char err[1024] = "";

	dc.backends[0] = "emulated";
	dc.state_dir = f->dir;
	dc.default_timeout_ms = 2000;
	dc.refresh_interval_ms = f->refresh_ms;
	dc.event_ring_size = (size_t)f->cfg.event_ring_size;
	if (cxl_devset_open(&dc, &f->ag.devices, &why, err, sizeof(err))) {
		fprintf(stderr, "fixture: devices: %s\n", err);
		return -1;
	}
	f->ag.backend_why = why;
	return 0;
}

static inline int rfx_open_commands(struct rfx *f)
{
	struct policy_catalogue *cat = NULL;
	/* a monitor keeps its final answer 1 s here, so tests see it expire */
	struct tasks_params tp = { 8, 20, 30000, 1, NULL };
	char path[512], err[1024] = "";

	if (catalogue_parse("fixture", rfx_catalogue, strlen(rfx_catalogue), &cat, err,
			    sizeof(err))) {
		fprintf(stderr, "fixture: catalogue: %s\n", err);
		return -1;
	}
	if (catalogue_cell_init(&f->ag.catalogue, cat))
		return -1;
	f->catalogue_ready = true;
	snprintf(path, sizeof(path), "%s/audit", f->dir);
	if (mkdir(path, 0700) || audit_open(path, 1u << 20, 2, &f->ag.audit))
		return -1;
	snprintf(path, sizeof(path), "%s/task-id", f->dir);
	tp.id_path = path;
	if (command_queues_new(cxl_devset_count(f->ag.devices), 4, &f->ag.queues) ||
	    tasks_new(&f->ag, &tp, &f->ag.tasks) || body_cache_new(64, &f->ag.bodies))
		return -1;
	return 0;
}

/* The host's identity files under <dir>/host, read as the agent reads /. */
#define RFX_HOST_UUID "4c4c4544-0042-3510-8052-b4c04f4a4b32"
#define RFX_HOST_SERIAL "RFX-SERIAL-1"
#define RFX_HOST_NAME "rfx-host"
static inline int rfx_host_tree(struct rfx *f)
{
	static const char *const files[][2] = {
		{ "sys/class/dmi/id", NULL },
		{ "sys/class/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B4C04F4A4B32\n" },
		{ "sys/class/dmi/id/chassis_serial", RFX_HOST_SERIAL "\n" },
		{ "sys/class/dmi/id/chassis_vendor", "Fixture Inc.\n" },
		{ "sys/class/dmi/id/product_name", "Fixture Host\n" },
		{ "proc/sys/kernel", NULL },
		{ "proc/sys/kernel/hostname", RFX_HOST_NAME "\n" },
	};
	char path[600];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/host/%s", f->dir, files[i][0]);
		if (!files[i][1] ? dir_ensure(path, 0700) != 0
				 : file_write_atomic(path, files[i][1], strlen(files[i][1]), 0600) != 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/host", f->dir);
	return host_identity_read(path, &f->ag.host);
}

/* A new agent whose device data is refreshed at most every refresh_ms,
 * or NULL (the reason on stderr). */
static inline struct rfx *rfx_open_with(unsigned refresh_ms)
{
	struct rfx *f = calloc(1, sizeof(*f));
	const struct authn_config ac = { .cache_ttl_s = 60, .client_auth = HTTP_CLIENT_AUTH_OFF,
					 .cert_identity = CERTMAP_CN };
	char path[512], err[1024] = "";

	if (!f)
		return NULL;
	f->refresh_ms = refresh_ms;
	if (tmpdir_make(f->dir, sizeof(f->dir), "rfx"))
		goto fail;
	if (config_defaults(&f->cfg))
		goto fail;
	f->ag.cfg = &f->cfg;
	clock_gettime(CLOCK_REALTIME, &f->ag.started);
	snprintf(f->ag.uuid, sizeof(f->ag.uuid), "12345678-1234-4234-8234-123456789abc");
	if (rfx_host_tree(f))
		goto fail;
	if (router_new(agent_route_tables, agent_route_table_count, &f->ag.router, err,
		       sizeof(err)))
		goto fail;
	snprintf(path, sizeof(path), "%s/accounts.json", f->dir);
	/* PBKDF2 at the lowest cost the verifier accepts: the tests are about
	 * the resources, not the hash */
	if (accounts_open(path, 1000, &f->ag.accounts, err, sizeof(err)) ||
	    accounts_bootstrap(f->ag.accounts, RFX_ADMIN_PASSWORD, NULL, 0) != 1 ||
	    sessions_new(1800, 16, 4, &f->ag.sessions))
		goto fail;
	snprintf(path, sizeof(path), "%s/session-service.json", f->dir);
	if (sessions_open_store(f->ag.sessions, path, err, sizeof(err)) ||
	    authn_new(f->ag.accounts, f->ag.sessions, &ac, &f->ag.authn))
		goto fail;
	if (rfx_basic(f->admin, sizeof(f->admin), "admin", RFX_ADMIN_PASSWORD) ||
	    rfx_open_devices(f) || rfx_open_commands(f))
		goto fail;
	return f;
fail:
	fprintf(stderr, "fixture: %s\n", err[0] ? err : strerror(errno));
	rfx_close(f);
	return NULL;
}

/* An agent whose device data stays as read at open unless a test says
 * otherwise (a refresh would change what the device resources show). */
static inline struct rfx *rfx_open(void)
{
	return rfx_open_with(3600 * 1000);
}

/* The background poller, as the daemon runs it, at the refresh interval. */
static inline int rfx_start_poller(struct rfx *f)
{
	return poller_start(f->ag.devices, f->refresh_ms, &f->poller);
}

/* An account user with role; its Authorization header into auth. */
static inline int rfx_user(struct rfx *f, const char *user, const char *role, char *auth,
			   size_t len)
{
	struct account_info ai;
	int rc = accounts_create(f->ag.accounts, user, RFX_PASSWORD, role, true, &ai);
	return rc ? rc : rfx_basic(auth, len, user, RFX_PASSWORD);
}

static inline void rfx_copy_header(const struct http_response *resp, const char *name, char *out,
				   size_t len)
{
	const char *v = http_response_get_header(resp, name);
	snprintf(out, len, "%s", v ? v : "");
}

/* method on path with an Authorization header ("Basic ..." or a session
 * token; NULL: none), an optional JSON body and optional extra headers
 * (name, value pairs, NULL-ended). path may end in a query ("?a=1&b"), split
 * into arguments as the server does (no percent-decoding). */
static inline struct rfx_reply rfx_send(struct rfx *f, enum http_method method, const char *path,
					const char *auth, const char *body,
					const char *const *extra)
{
	struct http_header h[8];
	struct http_request req;
	struct http_response resp;
	struct http_header query[8];
	struct rfx_reply r;
	char target[512], *q;
	size_t n = 0;

	memset(&r, 0, sizeof(r));
	snprintf(target, sizeof(target), "%s", path);
	memset(&req, 0, sizeof(req));
	if (auth)
		h[n++] = (struct http_header){ strncmp(auth, "Basic ", 6) == 0 ? "Authorization"
										: "X-Auth-Token",
					       auth };
	if (body)
		h[n++] = (struct http_header){ "Content-Type", "application/json" };
	for (size_t i = 0; extra && extra[i] && n + 1 < sizeof(h) / sizeof(h[0]); i += 2)
		h[n++] = (struct http_header){ extra[i], extra[i + 1] };
	req.method = method;
	req.method_token = method == HTTP_GET	   ? "GET"
			   : method == HTTP_HEAD   ? "HEAD"
			   : method == HTTP_POST   ? "POST"
			   : method == HTTP_PATCH  ? "PATCH"
			   : method == HTTP_DELETE ? "DELETE"
						   : "OTHER";
	req.path = target;
	if ((q = strchr(target, '?'))) {
		char *save = NULL;
		*q++ = '\0';
		for (char *arg = strtok_r(q, "&", &save); arg && req.nquery < 8;
		     arg = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(arg, '=');
			if (eq)
				*eq++ = '\0';
			query[req.nquery].name = arg;
			query[req.nquery].value = eq ? eq : "";
			req.nquery++;
		}
		req.query = query;
	}
	req.headers = h;
	req.nheaders = n;
	req.peer = "192.0.2.20";
	if (body) {
		req.body = body;
		req.body_len = strlen(body);
	}
	http_response_init(&resp);
	service_handle(&f->ag, &req, &resp);
	if (resp.defer.run) {
		struct http_deferred d = resp.defer;
		resp.defer = (struct http_deferred){ 0 };
		d.run(d.arg, &resp);
		if (d.release)
			d.release(d.arg);
	}
	r.status = resp.status;
	if (resp.text && resp.text_len) {
		json_error_t jerr;
		r.text = strndup(resp.text, resp.text_len);
		r.body = json_loadb(resp.text, resp.text_len, 0, &jerr);
	}
	rfx_copy_header(&resp, "ETag", r.etag, sizeof(r.etag));
	rfx_copy_header(&resp, "Location", r.location, sizeof(r.location));
	rfx_copy_header(&resp, "Retry-After", r.retry_after, sizeof(r.retry_after));
	rfx_copy_header(&resp, "X-Auth-Token", r.token, sizeof(r.token));
	http_response_release(&resp);
	return r;
}

static inline struct rfx_reply rfx_get(struct rfx *f, const char *path, const char *auth)
{
	return rfx_send(f, HTTP_GET, path, auth, NULL, NULL);
}

static inline void rfx_free(struct rfx_reply *r)
{
	json_decref(r->body);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* A task of the agent's once it is no longer running, waiting up to 5 s
 * (its watcher records the outcome before it says so). 0, or the error of
 * tasks_get. */
static inline int rfx_task_ended(struct rfx *f, unsigned id, struct task_info *out)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int rc = 0;

	for (int i = 0; i < 500; i++) {
		if ((rc = tasks_get(f->ag.tasks, id, out)) || out->state != TASK_RUNNING)
			break;
		nanosleep(&tick, NULL);
	}
	return rc;
}

/* The Base message id of an error reply's first message ("" if none). */
static inline const char *rfx_message_id(const struct rfx_reply *r)
{
	json_t *info = json_object_get(json_object_get(r->body, "error"), "@Message.ExtendedInfo");
	const char *id = json_string_value(json_object_get(json_array_get(info, 0), "MessageId"));
	const char *dot = id ? strrchr(id, '.') : NULL;
	return dot ? dot + 1 : "";
}

/* The string at a slash-separated path of object keys and array indexes
 * ("Members/0/@odata.id"), or NULL. */
static inline json_t *rfx_at(json_t *j, const char *path)
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

static inline const char *rfx_str(json_t *j, const char *path)
{
	return json_string_value(rfx_at(j, path));
}

static inline long long rfx_int(json_t *j, const char *path)
{
	return (long long)json_integer_value(rfx_at(j, path));
}

#endif
