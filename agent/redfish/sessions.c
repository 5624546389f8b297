/* SessionService: login (POST to the Sessions collection, no prior
 * authentication), the sessions one may see, and logout. The table itself
 * is auth/sessions.c; the password check and its rate limit are authn's. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "auth/sessions.h"
#include "core/agent.h"
#include "events/messages.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "util/log.h"

#define SERVICE_URI "/redfish/v1/SessionService"
#define SESSIONS_URI SERVICE_URI "/Sessions"

static json_t *session_json(const struct session_info *si)
{
	char created[32];
	json_t *o;

	rf_datetime((struct timespec){ .tv_sec = si->created }, created, sizeof(created));
	o = json_pack("{s:s+, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "@odata.id",
		      SESSIONS_URI "/", si->id, "@odata.type", "#Session.v1_8_0.Session", "Id",
		      si->id, "Name", "User Session", "Description", "A Redfish session",
		      "UserName", si->user, "SessionType", "Redfish", "ClientOriginIPAddress",
		      si->peer, "CreatedTime", created);
	if (o && si->context[0])
		json_object_set_new(o, "Context", json_string(si->context));
	return o;
}

static int h_session_service(const struct route_ctx *ctx, struct http_response *resp)
{
	struct sessions *s = ctx->agent->sessions;
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b, s:o}", "@odata.id", SERVICE_URI,
			  "@odata.type", "#SessionService.v1_2_0.SessionService", "Id",
			  "SessionService", "Name", "Session Service", "Description",
			  "Redfish sessions of the agent (idle timeout, sessions in memory only)",
			  "ServiceEnabled", 1, "SessionTimeout",
			  (json_int_t)(s ? sessions_timeout(s) : 0), "AbsoluteSessionTimeoutEnabled", 0,
			  "Sessions", rf_link(SESSIONS_URI)));
	return resp->json ? 0 : -ENOMEM;
}

enum { SS_TIMEOUT, SS_ETAG, SS__N };
static const struct jm_member service_members[SS__N] = {
	[SS_TIMEOUT] = { "SessionTimeout", JM_INTEGER, 0, SESSIONS_TIMEOUT_MIN, SESSIONS_TIMEOUT_MAX,
			 NULL, NULL },
	[SS_ETAG] = { "@odata.etag", JM_ANY, 0, 0, 0, NULL, NULL },
};
static const char *const service_readonly[] = { "Id", "Name", "Description", "ServiceEnabled",
						 "AbsoluteSessionTimeoutEnabled", "Sessions",
						 "Status", NULL };
static const struct rf_body service_body = { service_members, SS__N, service_readonly, NULL };

/* PATCH SessionService: SessionTimeout only; persisted before it applies. */
static int h_session_service_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	struct jm_value v[SS__N];
	json_t *body = rf_body_object(ctx->req, resp), *ignored = NULL;
	int rc;

	if (!body)
		return 0;
	rc = rf_body_read_patch(body, &service_body, v, resp, &ignored);
	if (rc) {
		/* a refused body is answered in resp */
		rc = rc == -ENOMEM ? rc : 0;
	} else if (!v[SS_TIMEOUT].json) {
		rf_no_operation(resp); /* annotations only */
	} else if (!ctx->agent->sessions) {
		rf_service_temporarily_unavailable(resp, 60);
	} else if (!(rc = sessions_set_timeout(ctx->agent->sessions,
					       (unsigned)v[SS_TIMEOUT].num))) {
		log_info("session timeout set to %lld s by \"%s\"", v[SS_TIMEOUT].num,
			 ctx->who->user);
		rc = h_session_service(ctx, resp);
	} else if (rc == -ENOSPC || rc == -EDQUOT) {
		rf_storage_full(resp); /* the file could not be written: nothing changed */
		rc = 0;
	}
	rf_annotate_ignored(resp, ignored);
	json_decref(body);
	return rc;
}

static int h_session_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct session_info *list = NULL;
	size_t n = 0;
	json_t *members = json_array();
	bool all = (ctx->who->privileges & PRIV_CONFIGURE_MANAGER) != 0;
	int rc;

	if (!members)
		return -ENOMEM;
	if (ctx->agent->sessions && (rc = sessions_list(ctx->agent->sessions, &list, &n))) {
		json_decref(members);
		return rc;
	}
	/* Without ConfigureManager one sees one's own sessions only. */
	for (size_t i = 0; i < n; i++)
		if (all || strcmp(list[i].user, ctx->who->user) == 0)
			json_array_append_new(members, rf_link(SESSIONS_URI "/%s", list[i].id));
	free(list);
	http_response_json(resp, 200,
			   rf_collection(SESSIONS_URI, "SessionCollection", "Sessions", members));
	return resp->json ? 0 : -ENOMEM;
}

enum { L_USER, L_PASSWORD, L_CONTEXT, L__N };
static const struct jm_member login_members[L__N] = {
	[L_USER] = { "UserName", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[L_PASSWORD] = { "Password", JM_STRING, JM_REQUIRED | JM_SECRET, 0, 0, NULL, NULL },
	[L_CONTEXT] = { "Context", JM_STRING, 0, 0, SESSION_CONTEXT_MAX - 1, NULL, NULL },
};
static const struct rf_body login_body = { login_members, L__N, NULL, NULL };

/* {"UserName", "Password", "Context"?}, values borrowed from *body; 0, or
 * -EINVAL with resp filled, or -ENOMEM. An empty object is a login with
 * nothing in it (CreateFailedMissingReqProperties), not EmptyJSON. */
static int parse_login(const struct http_request *req, json_t **body, const char **user,
		       const char **password, const char **context, struct http_response *resp)
{
	json_error_t jerr;
	struct jm_value v[L__N];
	int rc;

	*body = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr)
			  : NULL;
	if (!*body || !json_is_object(*body)) {
		rf_malformed_json(resp);
		return -EINVAL;
	}
	if ((rc = rf_body_read(*body, &login_body, v, resp)))
		return rc == -ENOMEM ? rc : -EINVAL;
	*user = v[L_USER].str;
	*password = v[L_PASSWORD].str;
	*context = v[L_CONTEXT].str;
	return 0;
}

/* A login, finished on the password pool: the KDF never runs on an HTTP
 * thread, so a flood of logins does not slow other callers' requests. */
struct login_job {
	struct agent *agent;
	json_t *body; /* owns user, password and context */
	const char *user, *password, *context;
	char peer[64];
};

static int login_finish(struct login_job *j, struct http_response *resp)
{
	struct agent *ag = j->agent;
	char token[SESSION_TOKEN_MAX], loc[96];
	struct session_info si;
	struct identity who;
	int rc;

	switch (authn_password(ag->authn, j->user, j->password, j->peer, &who)) {
	case AUTHN_OK:
		break;
	case AUTHN_RATE_LIMITED:
		rf_too_many_requests(resp, authn_retry_after(ag->authn, j->peer, j->user));
		return 0;
	default:
		rf_no_valid_session(resp);
		return 0;
	}
	/* Administrators may take the reserved places of the table. */
	if (who.privileges & (PRIV_CONFIGURE_MANAGER | PRIV_CONFIGURE_USERS))
		rc = sessions_create_privileged(ag->sessions, who.user, j->peer, j->context, token,
						sizeof(token), &si);
	else
		rc = sessions_create(ag->sessions, who.user, j->peer, j->context, token,
				     sizeof(token), &si);
	if (rc == -EUSERS || rc == -ENOSPC) {
		log_warn("session for \"%s\" from %s refused: %s session limit reached", who.user,
			 j->peer, rc == -EUSERS ? "per-user" : "total");
		rf_session_limit_exceeded(resp);
		return 0;
	}
	if (rc)
		return rc;
	log_info("session %s created for \"%s\" from %s", si.id, si.user, si.peer);
	snprintf(loc, sizeof(loc), SESSIONS_URI "/%s", si.id);
	event_emit(ag->events, EVM_RESOURCE_CREATED, NULL, loc, "Session", NULL, NULL);
	http_response_json(resp, 201, session_json(&si));
	http_response_header(resp, "Location", loc);
	http_response_header(resp, "X-Auth-Token", token);
	OPENSSL_cleanse(token, sizeof(token));
	return resp->json ? 0 : -ENOMEM;
}

static void login_run(void *arg, struct http_response *resp)
{
	if (login_finish(arg, resp)) {
		http_response_release(resp);
		http_response_init(resp);
		rf_internal_error(resp);
	}
}

static void login_release(void *arg)
{
	struct login_job *j = arg;

	authn_kdf_done(j->agent->authn);
	OPENSSL_cleanse((char *)j->password, strlen(j->password));
	json_decref(j->body);
	free(j);
}

/* Any Authorization header on this request is ignored, not refused: some
 * clients send Basic credentials with the login (see REDFISH-NOTES). */
static int h_session_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	const char *user = NULL, *password = NULL, *context = NULL;
	struct login_job *j;
	json_t *body = NULL;
	int rc = 0;

	if ((rc = parse_login(ctx->req, &body, &user, &password, &context, resp))) {
		rc = rc == -ENOMEM ? rc : 0;
		goto fail;
	}
	if (!ag->sessions) {
		rf_service_temporarily_unavailable(resp, 60);
		goto fail;
	}
	if (authn_kdf_admit(ag->authn)) {
		log_warn_limited("request refused (password checks busy)", ctx->req->peer,
				 "login from %s refused: too many password checks waiting",
			 ctx->req->peer ? ctx->req->peer : "unknown");
		rf_service_temporarily_unavailable(resp, 1);
		goto fail;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		authn_kdf_done(ag->authn);
		rc = -ENOMEM;
		goto fail;
	}
	*j = (struct login_job){ ag, body, user, password, context, "" };
	snprintf(j->peer, sizeof(j->peer), "%s", ctx->req->peer ? ctx->req->peer : "unknown");
	resp->defer = (struct http_deferred){ login_run, login_release, j,
					      authn_kdf_pool(ag->authn), NULL };
	return 0;
fail:
	if (body && password)
		OPENSSL_cleanse((char *)password, strlen(password));
	json_decref(body);
	return rc;
}

/* The session named in the URI, applying "own sessions only" when
 * ConfigureSelf is what admitted the caller. 0, or 1 with resp filled. */
static int target_session(const struct route_ctx *ctx, struct session_info *si,
			  struct http_response *resp)
{
	const char *id = route_param(ctx->params, "session");

	if (!id || !ctx->agent->sessions || sessions_get(ctx->agent->sessions, id, si)) {
		rf_resource_not_found(resp, "Session", id ? id : "");
		return 1;
	}
	return rf_check_self(ctx, si->user, resp) ? 1 : 0;
}

static int h_session(const struct route_ctx *ctx, struct http_response *resp)
{
	struct session_info si;

	if (target_session(ctx, &si, resp))
		return 0;
	http_response_json(resp, 200, session_json(&si));
	return resp->json ? 0 : -ENOMEM;
}

static int h_session_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	struct session_info si;

	if (target_session(ctx, &si, resp))
		return 0;
	if (sessions_delete(ctx->agent->sessions, si.id)) {
		rf_resource_not_found(resp, "Session", si.id);
		return 0;
	}
	log_info("session %s of \"%s\" ended by \"%s\"", si.id, si.user, ctx->who->user);
	{
		char uri[128];
		snprintf(uri, sizeof(uri), SESSIONS_URI "/%s", si.id);
		event_emit(ctx->agent->events, EVM_RESOURCE_REMOVED, NULL, uri, "Session", NULL,
			   NULL);
	}
	resp->status = 204;
	return 0;
}

/* PrivilegeRegistry 1.8.0 for SessionService, SessionCollection and
 * Session, except that login (POST to the collection) needs no prior
 * authentication: it is how a client gets one. With ConfigureSelf alone a
 * caller sees and ends only their own sessions (the handler checks). */
const struct route session_routes[] = {
	{ GET_HEAD, SERVICE_URI, LOGIN, h_session_service, UNCACHED },
	{ HTTP_PATCH, SERVICE_URI, MANAGE, h_session_service_patch, UNCACHED },
	{ GET_HEAD, SESSIONS_URI, LOGIN, h_session_collection, UNCACHED },
	{ HTTP_POST, SESSIONS_URI, NOAUTH, h_session_create, UNCACHED },
	{ GET_HEAD, SESSIONS_URI "/{session}", { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_SELF },
	  h_session, UNCACHED },
	{ HTTP_DELETE, SESSIONS_URI "/{session}", { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_SELF },
	  h_session_delete, UNCACHED },
	{ 0 },
};
