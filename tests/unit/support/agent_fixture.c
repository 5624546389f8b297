#include "support/agent_fixture.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/open.h"
#include "redfish/service.h"
#include "support/tmpdir.h"
#include "util/base64.h"

void test_basic_auth(char *out, size_t len, const char *user, const char *password)
{
	char raw[256];
	int n = snprintf(raw, sizeof(raw), "%s:%s", user, password);
	char *b64 = n > 0 ? base64_encode((const uint8_t *)raw, (size_t)n) : NULL;

	snprintf(out, len, "Basic %s", b64 ? b64 : "");
	free(b64);
}

/* The caller's keys, then the fixture's where the caller named none. */
static char *config_text(const char *config_json, const char *dir)
{
	json_error_t jerr;
	json_t *o = config_json ? json_loads(config_json, 0, &jerr) : json_object();
	char *text;

	if (!json_is_object(o)) {
		fprintf(stderr, "test_agent_open: configuration is not a JSON object: %s\n",
			config_json);
		json_decref(o);
		return NULL;
	}
	if (!json_object_get(o, "state_dir"))
		json_object_set_new(o, "state_dir", json_string(dir));
	if (!json_object_get(o, "backend"))
		json_object_set_new(o, "backend", json_string("emulated"));
	text = json_dumps(o, 0);
	json_decref(o);
	return text;
}

int test_agent_prepare(struct test_agent **out)
{
	struct test_agent *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	fake_clock_init(&t->clock);
	if ((rc = tmpdir_make(t->dir, sizeof(t->dir), "test"))) {
		test_agent_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int test_agent_start(struct test_agent *t, const char *config_json)
{
	char err[4096] = "";
	char *text;
	struct agent_open_options opt = {
		.initial_admin_password = TEST_ADMIN_PASSWORD,
		.password_iterations = TEST_PASSWORD_ITERATIONS,
		.clock = &t->clock.source,
	};
	int rc = -ENOMEM;

	if (config_defaults(&t->cfg) || !(text = config_text(config_json, t->dir)))
		goto fail;
	rc = config_load_string(&t->cfg, "test configuration", text, err, sizeof(err));
	free(text);
	if (rc || (rc = agent_open(&t->cfg, &opt, &t->ag, err, sizeof(err))))
		goto fail;
	test_basic_auth(t->admin_auth, sizeof(t->admin_auth), "admin", TEST_ADMIN_PASSWORD);
	return 0;
fail:
	fprintf(stderr, "test_agent_start: %s\n", err[0] ? err : strerror(-rc));
	return rc;
}

int test_agent_open(const char *config_json, struct test_agent **out)
{
	struct test_agent *t;
	int rc = test_agent_prepare(&t);

	if (rc)
		return rc;
	if ((rc = test_agent_start(t, config_json))) {
		test_agent_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

void test_agent_close(struct test_agent *t)
{
	if (!t)
		return;
	agent_close(t->ag);
	config_release(&t->cfg);
	tmpdir_remove(t->dir);
	fake_clock_destroy(&t->clock);
	free(t);
}

void test_service_handle(struct agent *ag, const struct http_request *req,
			 struct http_response *resp)
{
	service_handle(ag, req, resp);
	if (resp->defer.run) {
		struct http_deferred d = resp->defer;
		memset(&resp->defer, 0, sizeof(resp->defer)); /* d owns it now */
		http_response_release(resp);
		http_response_init(resp);
		d.run(d.arg, resp);
		if (d.release)
			d.release(d.arg);
	}
}

void test_agent_call(struct test_agent *t, const struct test_request *rq,
		     struct http_response *resp)
{
	struct http_header h[5];
	struct http_request req;
	size_t n = 0;

	memset(&req, 0, sizeof(req));
	req.method = http_method_parse(rq->method);
	req.method_token = rq->method;
	req.path = rq->path;
	req.peer = rq->peer ? rq->peer : "127.0.0.1";
	h[n++] = (struct http_header){ "Accept", "application/json" };
	if (rq->auth)
		h[n++] = (struct http_header){ "Authorization", rq->auth };
	if (rq->token)
		h[n++] = (struct http_header){ "X-Auth-Token", rq->token };
	if (rq->if_match)
		h[n++] = (struct http_header){ "If-Match", rq->if_match };
	if (rq->body) {
		h[n++] = (struct http_header){ "Content-Type", "application/json" };
		req.body = rq->body;
		req.body_len = strlen(rq->body);
	}
	req.headers = h;
	req.nheaders = n;
	http_response_init(resp);
	test_service_handle(t->ag, &req, resp);
}

int test_agent_status(struct test_agent *t, const struct test_request *rq, json_t **body)
{
	struct http_response resp;
	int status;

	test_agent_call(t, rq, &resp);
	status = resp.status;
	if (body) {
		json_error_t jerr;
		*body = resp.text && resp.text_len ? json_loadb(resp.text, resp.text_len, 0, &jerr)
						   : NULL;
	}
	http_response_release(&resp);
	return status;
}

const char *test_error_message_id(json_t *body)
{
	json_t *info = json_object_get(json_object_get(body, "error"), "@Message.ExtendedInfo");
	const char *id = json_string_value(json_object_get(json_array_get(info, 0), "MessageId"));
	return id ? id : "";
}
