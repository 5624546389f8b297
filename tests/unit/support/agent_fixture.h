/* An agent opened for a unit test the way the daemon opens one
 * (agent_open()), over a temporary state directory, the emulated backend
 * and a fake clock, with requests handed straight to the service edge
 * (no sockets, no TLS). */
#ifndef CXLA_TEST_AGENT_FIXTURE_H
#define CXLA_TEST_AGENT_FIXTURE_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "core/agent.h"
#include "http/message.h"
#include "support/fake_clock.h"

#define TEST_ADMIN_PASSWORD "fixture-admin-password-1"
/* The cheapest PBKDF2 cost the verifier accepts: the tests are about the
 * protocol, not the hash. */
#define TEST_PASSWORD_ITERATIONS 1000

struct test_agent {
	char dir[256];           /* temporary state directory, removed on close */
	struct config cfg;
	struct fake_clock clock; /* the agent's only time source */
	struct agent *ag;
	char admin_auth[256];    /* Authorization value of the bootstrap admin */
};

/* config_json: configuration keys on top of the defaults, as the text of a
 * JSON object (NULL: none). state_dir (the temporary directory) and backend
 * "emulated" are added unless given. The poller stays off. Returns 0 or
 * -errno with the reason printed. *out is new (test_agent_close()). */
int test_agent_open(const char *config_json, struct test_agent **out);

/* The same in two steps, for a test that writes files the configuration
 * names (an emulated profile, a catalogue) into t->dir first: prepare makes
 * the directory and the clock, start opens the agent. */
int test_agent_prepare(struct test_agent **out);
int test_agent_start(struct test_agent *t, const char *config_json);
void test_agent_close(struct test_agent *t);

/* "Basic <base64(user:password)>" into out. */
void test_basic_auth(char *out, size_t len, const char *user, const char *password);

struct test_request {
	const char *method;  /* "GET", "POST", ... */
	const char *path;
	const char *auth;    /* Authorization value, or NULL */
	const char *token;   /* X-Auth-Token value, or NULL */
	const char *body;    /* JSON text, sent as application/json; NULL: none */
	const char *peer;    /* source address; NULL: 127.0.0.1 */
	const char *if_match;
};

/* service_handle(ag, req, resp), then any work it deferred (a device
 * command, a password check) run at once, as the server's worker would;
 * resp is initialised by the caller and holds the final answer. */
void test_service_handle(struct agent *ag, const struct http_request *req,
			 struct http_response *resp);

/* Hand rq to the service edge, running deferred work in place as the
 * server would; resp is initialised here and released by the caller
 * (http_response_release()). */
void test_agent_call(struct test_agent *t, const struct test_request *rq,
		     struct http_response *resp);

/* The same, keeping only the status and the body as JSON (new reference,
 * NULL when empty or not JSON) in *body when body is not NULL. */
int test_agent_status(struct test_agent *t, const struct test_request *rq, json_t **body);

/* The MessageId of an error body's first extended message ("Base.1.22.1.X")
 * or "" when there is none; borrowed from body. */
const char *test_error_message_id(json_t *body);

#endif
