/* AccountService: the lockout settings and the local accounts
 * (ManagerAccount). The store and its rules live in auth/accounts.c; this
 * file maps requests onto it and its errno results onto Base messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "core/agent.h"
#include "events/messages.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "util/log.h"

#define SERVICE_URI "/redfish/v1/AccountService"
#define ACCOUNTS_URI SERVICE_URI "/Accounts"
#define ROLES_URI SERVICE_URI "/Roles"
#define LOCKOUT_MAX_S (86400 * 365)

static bool caller_manages_users(const struct identity *who)
{
	return (who->privileges & (PRIV_CONFIGURE_USERS | PRIV_CONFIGURE_MANAGER)) != 0;
}

/* ---- AccountService ---------------------------------------------------- */

static json_t *account_service_json(struct agent *ag, char *etag)
{
	struct account_settings s;
	const struct config *cfg = ag->cfg;
	bool certs = cfg && strcmp(cfg->tls_client_auth, "off") != 0 && cfg->tls_client_ca;
	json_t *o;

	accounts_settings_get(ag->accounts, &s, etag);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:I, s:I, s:I, s:b, s:s,"
		      " s:o, s:o}",
		      "@odata.id", SERVICE_URI, "@odata.type", "#AccountService.v1_18_1.AccountService",
		      "Id", "AccountService", "Name", "Account Service", "Description",
		      "Local accounts and roles of the agent", "ServiceEnabled", 1,
		      "AuthFailureLoggingThreshold", 1, "MinPasswordLength", ACCOUNT_PASSWORD_MIN,
		      "MaxPasswordLength", ACCOUNT_PASSWORD_MAX, "AccountLockoutThreshold",
		      (json_int_t)s.lockout_threshold, "AccountLockoutDuration",
		      (json_int_t)s.lockout_duration_s, "AccountLockoutCounterResetAfter",
		      (json_int_t)s.lockout_reset_after_s, "AccountLockoutCounterResetEnabled", 1,
		      "LocalAccountAuth", "Enabled", "Accounts", rf_link(ACCOUNTS_URI), "Roles",
		      rf_link(ROLES_URI));
	if (o) {
		json_t *cc = json_pack("{s:b}", "Enabled", certs);
		if (cc && cfg)
			json_object_set_new(cc, "CertificateMappingAttribute",
					    strcmp(cfg->tls_client_identity, "cn") == 0
						    ? json_string("CommonName")
						    : json_null());
		json_object_set_new(o, "MultiFactorAuth", json_pack("{s:o}", "ClientCertificate", cc));
	}
	return o;
}

static int h_account_service(const struct route_ctx *ctx, struct http_response *resp)
{
	char etag[ACCOUNT_ETAG_MAX];
	json_t *o = account_service_json(ctx->agent, etag);
	return rf_reply_with_etag(resp, 200, o, etag);
}

static int h_account_service_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	static const char *const writable[] = { "AccountLockoutThreshold", "AccountLockoutDuration",
						"AccountLockoutCounterResetAfter", NULL };
	static const char *const readonly[] = { "Id", "Name", "Description", "ServiceEnabled",
						"AuthFailureLoggingThreshold", "MinPasswordLength",
						"MaxPasswordLength", "AccountLockoutCounterResetEnabled",
						"LocalAccountAuth", "Accounts", "Roles",
						"MultiFactorAuth", NULL };
	struct account_settings s = { 0 };
	unsigned *slots[] = { &s.lockout_threshold, &s.lockout_duration_s,
			      &s.lockout_reset_after_s };
	char etag[ACCOUNT_ETAG_MAX];
	json_t *body = rf_body_object(ctx->req, resp);
	int rc;

	if (!body)
		return 0;
	if (rf_check_keys(body, writable, readonly, resp))
		goto out;
	accounts_settings_get(ctx->agent->accounts, &s, NULL);
	for (size_t i = 0; writable[i]; i++) {
		json_t *v = json_object_get(body, writable[i]);
		if (!v)
			continue;
		if (!json_is_integer(v)) {
			rf_type_error(resp, writable[i], v);
			continue;
		}
		if (json_integer_value(v) < 0 || json_integer_value(v) > LOCKOUT_MAX_S) {
			char text[32];
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
			rf_property_value_out_of_range(resp, text, writable[i]);
			continue;
		}
		*slots[i] = (unsigned)json_integer_value(v);
	}
	if (resp->status == 400)
		goto out;
	rc = accounts_settings_set(ctx->agent->accounts, &s,
				   http_request_header(ctx->req, "If-Match"));
	if (rc == -ESTALE) {
		rf_precondition_failed(resp);
	} else if (rc == -EINVAL) {
		rf_property_value_conflict(resp, "AccountLockoutCounterResetAfter",
			  "AccountLockoutDuration");
	} else if (rc) {
		json_decref(body);
		return rc;
	} else {
		log_info("account lockout settings changed by \"%s\": threshold %u, duration %u s, "
			 "counter reset after %u s",
			 ctx->who->user, s.lockout_threshold, s.lockout_duration_s,
			 s.lockout_reset_after_s);
		json_decref(body);
		return rf_reply_with_etag(resp, 200, account_service_json(ctx->agent, etag), etag);
	}
out:
	json_decref(body);
	return 0;
}

/* ---- Accounts ---------------------------------------------------------- */

static json_t *account_json(const struct account_info *ai)
{
	return json_pack("{s:s+, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:[s], s:{s:o}}",
			 "@odata.id", ACCOUNTS_URI "/", ai->id, "@odata.type",
			 "#ManagerAccount.v1_14_1.ManagerAccount", "Id", ai->id, "Name",
			 "User Account", "Description", "A local account of the agent", "UserName",
			 ai->user, "RoleId", ai->role, "Enabled", ai->enabled, "Locked", ai->locked,
			 "AccountTypes", "Redfish", "Links", "Role",
			 rf_link(ROLES_URI "/%s", ai->role));
}

static void account_not_found(struct http_response *resp, const char *id)
{
	rf_resource_not_found(resp, "ManagerAccount", id);
}

static int h_account_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_info *list;
	size_t n;
	json_t *members = json_array();
	int rc;

	if (!members)
		return -ENOMEM;
	if ((rc = accounts_list(ctx->agent->accounts, &list, &n))) {
		json_decref(members);
		return rc;
	}
	/* Callers who may only see themselves get a collection of one. */
	for (size_t i = 0; i < n; i++)
		if (caller_manages_users(ctx->who) || strcmp(list[i].user, ctx->who->user) == 0)
			json_array_append_new(members, rf_link(ACCOUNTS_URI "/%s", list[i].id));
	free(list);
	http_response_json(resp, 200,
			   rf_collection(ACCOUNTS_URI, "ManagerAccountCollection", "Accounts",
					 members));
	return resp->json ? 0 : -ENOMEM;
}

/* The target account of a single-account route, applying "self only" when
 * ConfigureSelf is all that admitted the caller. 0, or 1 with resp filled. */
static int target_account(const struct route_ctx *ctx, struct account_info *ai,
			  struct http_response *resp)
{
	const char *id = route_param(ctx->params, "account");

	if (!id || accounts_get(ctx->agent->accounts, id, ai)) {
		account_not_found(resp, id ? id : "");
		return 1;
	}
	return rf_check_self(ctx, ai->user, resp) ? 1 : 0;
}

static int h_account(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_info ai;

	if (target_account(ctx, &ai, resp))
		return 0;
	return rf_reply_with_etag(resp, 200, account_json(&ai), ai.etag);
}

/* Map the store's errors on an account change to the Redfish answer. */
static int account_error(int rc, const char *id, const struct account_change *c,
			 struct http_response *resp)
{
	char uri[96];

	snprintf(uri, sizeof(uri), ACCOUNTS_URI "/%s", id ? id : "");
	switch (rc) {
	case -ENOENT:
		account_not_found(resp, id ? id : "");
		return 0;
	case -ESTALE:
		rf_precondition_failed(resp);
		return 0;
	case -EEXIST:
		rf_resource_already_exists(resp, "ManagerAccount", "UserName",
			  c->user ? c->user : "");
		return 0;
	case -ERANGE:
		rf_password_incorrect_length(resp);
		return 0;
	case -EINVAL:
		if (c->user && !accounts_valid_user_name(c->user))
			rf_property_value_format_error(resp, c->user, "UserName");
		else
			rf_property_value_not_in_list(resp, c->role ? c->role : "",
				  "RoleId");
		return 0;
	case -EBUSY:
		/* Removing the last enabled Administrator would lock everyone out
		 * of account management for good. */
		if (c->role)
			rf_property_value_resource_conflict(resp, "RoleId", c->role, uri);
		else
			rf_property_value_resource_conflict(resp, "Enabled", "false", uri);
		return 0;
	case -ENOSPC:
		rf_create_limit_reached_for_resource(resp);
		return 0;
	default:
		return rc;
	}
}

/* Read the writable ManagerAccount properties of body into c. Returns 0 or
 * -EINVAL with resp filled. */
static int parse_account_body(json_t *body, struct account_change *c, int *locked,
			      struct http_response *resp)
{
	static const struct {
		const char *name;
		int type;
	} props[] = { { "UserName", JSON_STRING }, { "Password", JSON_STRING },
		      { "RoleId", JSON_STRING },   { "Enabled", JSON_TRUE },
		      { "Locked", JSON_TRUE },     { "AccountTypes", JSON_ARRAY } };
	json_t *v;

	*locked = -1;
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		v = json_object_get(body, props[i].name);
		if (!v)
			continue;
		if (props[i].type == JSON_TRUE ? !json_is_boolean(v)
					       : json_typeof(v) != (json_type)props[i].type) {
			rf_type_error(resp, props[i].name, v);
			continue;
		}
		if (strcmp(props[i].name, "UserName") == 0)
			c->user = json_string_value(v);
		else if (strcmp(props[i].name, "Password") == 0)
			c->password = json_string_value(v);
		else if (strcmp(props[i].name, "RoleId") == 0)
			c->role = json_string_value(v);
		else if (strcmp(props[i].name, "Enabled") == 0)
			c->enabled = json_is_true(v);
		else if (strcmp(props[i].name, "Locked") == 0)
			*locked = json_is_true(v);
		else if (json_array_size(v) != 1 || !json_is_string(json_array_get(v, 0)) ||
			 strcmp(json_string_value(json_array_get(v, 0)), "Redfish") != 0) {
			char text[128];
			rf_value_text(v, text, sizeof(text));
			rf_property_value_not_in_list(resp, text, "AccountTypes");
		}
	}
	if (*locked == 1) {
		/* Only the service locks an account; a client may only unlock. */
		rf_property_value_incorrect(resp, "Locked", "true");
	}
	return resp->status == 400 ? -EINVAL : 0;
}

static const char *const account_writable[] = { "UserName", "Password", "RoleId", "Enabled",
						"Locked", "AccountTypes", NULL };
static const char *const account_readonly[] = { "Id", "Name", "Description", "Links", NULL };

static int h_account_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_change c = { .enabled = -1 };
	struct account_info ai;
	char loc[96];
	json_t *body = rf_body_object(ctx->req, resp);
	int locked, rc = 0;

	if (!body)
		return 0;
	if (rf_check_keys(body, account_writable, account_readonly, resp) ||
	    parse_account_body(body, &c, &locked, resp))
		goto out;
	if (!c.user || !c.password || !c.role) {
		const char *missing = !c.user ? "UserName" : !c.password ? "Password" : "RoleId";
		rf_create_failed_missing_req_properties(resp, missing);
		goto out;
	}
	rc = accounts_create(ctx->agent->accounts, c.user, c.password, c.role, c.enabled != 0,
			     &ai);
	if (rc) {
		rc = account_error(rc, NULL, &c, resp);
		goto out;
	}
	log_info("account \"%s\" (%s, role %s) created by \"%s\"", ai.user, ai.id, ai.role,
		 ctx->who->user);
	snprintf(loc, sizeof(loc), ACCOUNTS_URI "/%s", ai.id);
	event_emit(ctx->agent->events, EVM_RESOURCE_CREATED, NULL, loc, "ManagerAccount", NULL, NULL);
	rc = rf_reply_with_etag(resp, 201, account_json(&ai), ai.etag);
	http_response_header(resp, "Location", loc);
out:
	json_decref(body);
	return rc;
}

static void account_event(const struct route_ctx *ctx, enum event_msg msg, const char *id)
{
	char uri[128];
	snprintf(uri, sizeof(uri), ACCOUNTS_URI "/%s", id);
	event_emit(ctx->agent->events, msg, NULL, uri, "ManagerAccount", NULL, NULL);
}

static int h_account_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_change c = { .enabled = -1 };
	struct account_info ai, old;
	json_t *body;
	int locked, rc = 0;

	if (target_account(ctx, &ai, resp))
		return 0;
	if (!(body = rf_body_object(ctx->req, resp)))
		return 0;
	if (rf_check_keys(body, account_writable, account_readonly, resp) ||
	    parse_account_body(body, &c, &locked, resp))
		goto out;
	/* ConfigureSelf lets a user change their own password and nothing
	 * else (PrivilegeRegistry's ManagerAccount property override). */
	if (ctx->admitted_by == PRIV_CONFIGURE_SELF &&
	    (c.user || c.role || c.enabled >= 0 || locked >= 0 ||
	     json_object_get(body, "AccountTypes"))) {
		rf_insufficient_privilege(resp);
		goto out;
	}
	c.unlock = locked == 0;
	c.if_match = http_request_header(ctx->req, "If-Match");
	rc = accounts_update(ctx->agent->accounts, ai.id, &c, &old, &ai);
	if (rc) {
		rc = account_error(rc, ai.id, &c, resp);
		goto out;
	}
	/* Sessions follow the account: a new password ends the others (the
	 * caller's own session stays), a rename or disabling ends them all. */
	if (ctx->agent->sessions) {
		if (strcmp(old.user, ai.user) != 0 || !ai.enabled)
			sessions_delete_user(ctx->agent->sessions, old.user, NULL);
		else if (c.password)
			sessions_delete_user(ctx->agent->sessions, ai.user,
					     strcmp(ctx->who->user, ai.user) == 0 &&
							     ctx->who->session_id[0]
						     ? ctx->who->session_id
						     : NULL);
	}
	log_info("account \"%s\" (%s) changed by \"%s\":%s%s%s%s%s", old.user, ai.id,
		 ctx->who->user, c.user ? " user name" : "", c.password ? " password" : "",
		 c.role ? " role" : "", c.enabled >= 0 ? " enabled" : "", c.unlock ? " unlocked" : "");
	account_event(ctx, EVM_RESOURCE_CHANGED, ai.id);
	rc = rf_reply_with_etag(resp, 200, account_json(&ai), ai.etag);
out:
	json_decref(body);
	return rc;
}

static int h_account_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "account");
	struct account_change none = { .enabled = -1 };
	struct account_info ai;
	int rc = accounts_delete(ctx->agent->accounts, id ? id : "", &ai);

	if (rc == -EBUSY) {
		rf_resource_cannot_be_deleted(resp);
		return 0;
	}
	if (rc)
		return account_error(rc, id, &none, resp);
	if (ctx->agent->sessions)
		sessions_delete_user(ctx->agent->sessions, ai.user, NULL);
	log_info("account \"%s\" (%s) deleted by \"%s\"", ai.user, ai.id, ctx->who->user);
	account_event(ctx, EVM_RESOURCE_REMOVED, ai.id);
	resp->status = 204;
	return 0;
}

/* PrivilegeRegistry 1.8.0 for AccountService, ManagerAccountCollection and
 * ManagerAccount, with one deviation: HEAD of an account takes the same
 * alternatives as its GET (the registry says Login), so that HEAD never
 * shows what GET would hide. ConfigureSelf admits the caller's own account
 * only, and in a PATCH only its Password (the registry's property
 * override): the handlers enforce both. */
const struct route account_routes[] = {
	{ GET_HEAD, SERVICE_URI, LOGIN, h_account_service, UNCACHED },
	{ HTTP_PATCH, SERVICE_URI, USERS, h_account_service_patch, UNCACHED },
	{ GET_HEAD, ACCOUNTS_URI, LOGIN, h_account_collection, UNCACHED },
	{ HTTP_POST, ACCOUNTS_URI, USERS, h_account_create, UNCACHED },
	{ GET_HEAD, ACCOUNTS_URI "/{account}",
	  { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_USERS, PRIV_CONFIGURE_SELF }, h_account, UNCACHED },
	{ HTTP_PATCH, ACCOUNTS_URI "/{account}", { PRIV_CONFIGURE_USERS, PRIV_CONFIGURE_SELF },
	  h_account_patch, UNCACHED },
	{ HTTP_DELETE, ACCOUNTS_URI "/{account}", USERS, h_account_delete, UNCACHED },
	{ 0 },
};
