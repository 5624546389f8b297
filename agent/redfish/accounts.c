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
	bool certs = cfg && cfg->tls_client_auth != HTTP_CLIENT_AUTH_OFF && cfg->tls_client_ca;
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
					    cfg->tls_client_identity == CERTMAP_CN
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
	static const struct jm_member members[] = {
		{ "AccountLockoutThreshold", JM_INTEGER, 0, 0, LOCKOUT_MAX_S, NULL, NULL },
		{ "AccountLockoutDuration", JM_INTEGER, 0, 0, LOCKOUT_MAX_S, NULL, NULL },
		{ "AccountLockoutCounterResetAfter", JM_INTEGER, 0, 0, LOCKOUT_MAX_S, NULL, NULL },
		{ "@odata.etag", JM_ANY, 0, 0, 0, NULL, NULL },
	};
	static const char *const readonly[] = { "Id", "Name", "Description", "ServiceEnabled",
						"AuthFailureLoggingThreshold", "MinPasswordLength",
						"MaxPasswordLength", "AccountLockoutCounterResetEnabled",
						"LocalAccountAuth", "Accounts", "Roles",
						"MultiFactorAuth", NULL };
	static const struct rf_body decl = { members, 4, readonly, NULL };
	struct account_settings s = { 0 };
	unsigned *slots[] = { &s.lockout_threshold, &s.lockout_duration_s,
			      &s.lockout_reset_after_s };
	struct jm_value v[4];
	char etag[ACCOUNT_ETAG_MAX];
	json_t *body = rf_body_object(ctx->req, resp), *ignored = NULL;
	int rc;

	if (!body)
		return 0;
	if ((rc = rf_body_read_patch(body, &decl, v, resp, &ignored)) == -ENOMEM) {
		json_decref(body);
		return rc;
	}
	if (rc)
		goto out;
	accounts_settings_get(ctx->agent->accounts, &s, NULL);
	for (size_t i = 0; i < 3; i++)
		if (v[i].json)
			*slots[i] = (unsigned)v[i].num;
	rc = accounts_settings_set(ctx->agent->accounts, &s,
				   http_request_header(ctx->req, "If-Match"));
	if (rc == -ESTALE) {
		rf_precondition_failed(resp);
	} else if (rc == -EINVAL) {
		rf_property_value_conflict(resp, "AccountLockoutCounterResetAfter",
			  "AccountLockoutDuration");
	} else if (rc == -EDQUOT) {
		rf_storage_full(resp);
	} else if (rc) {
		json_decref(ignored);
		json_decref(body);
		return rc;
	} else {
		log_info("account lockout settings changed by \"%s\": threshold %u, duration %u s, "
			 "counter reset after %u s",
			 ctx->who->user, s.lockout_threshold, s.lockout_duration_s,
			 s.lockout_reset_after_s);
		json_decref(body);
		rc = rf_reply_with_etag(resp, 200, account_service_json(ctx->agent, etag), etag);
		rf_annotate_ignored(resp, ignored);
		return rc;
	}
out:
	rf_annotate_ignored(resp, ignored);
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
	case -EDQUOT:
		rf_storage_full(resp);
		return 0;
	default:
		return rc;
	}
}

enum { A_USER, A_PASSWORD, A_ROLE, A_ENABLED, A_LOCKED, A_TYPES, A_ETAG, A__N };
static const struct jm_member account_members[A__N] = {
	[A_USER] = { "UserName", JM_STRING, 0, 0, 0, NULL, NULL },
	[A_PASSWORD] = { "Password", JM_STRING, JM_SECRET, 0, 0, NULL, NULL },
	[A_ROLE] = { "RoleId", JM_STRING, 0, 0, 0, NULL, NULL },
	[A_ENABLED] = { "Enabled", JM_BOOLEAN, 0, 0, 0, NULL, NULL },
	[A_LOCKED] = { "Locked", JM_BOOLEAN, 0, 0, 0, NULL, NULL },
	[A_TYPES] = { "AccountTypes", JM_ARRAY, 0, 0, 0, NULL, NULL },
	[A_ETAG] = { "@odata.etag", JM_ANY, 0, 0, 0, NULL, NULL },
};
static const char *const account_readonly[] = { "Id", "Name", "Description", "Links", NULL };
static const struct rf_body account_body = { account_members, A__N, account_readonly, NULL };

/* Read the writable ManagerAccount properties of body into c (borrowing
 * from body). ignored: NULL for a create, where every member must be
 * writable; for a PATCH, gets what was left out (rf_body_read_patch).
 * Returns 0, -EINVAL with resp filled, or -ENOMEM. */
static int parse_account_body(json_t *body, struct account_change *c, int *locked,
			      struct http_response *resp, json_t **ignored)
{
	struct jm_value v[A__N];
	json_t *types;
	int rc = ignored ? rf_body_read_patch(body, &account_body, v, resp, ignored)
			 : rf_body_read(body, &account_body, v, resp);

	*locked = -1;
	if (rc == -EINVAL || rc == -ENOMEM)
		return rc;
	c->user = v[A_USER].str;
	c->password = v[A_PASSWORD].str;
	c->role = v[A_ROLE].str;
	if (v[A_ENABLED].json)
		c->enabled = v[A_ENABLED].flag;
	if (v[A_LOCKED].json)
		*locked = v[A_LOCKED].flag;
	types = v[A_TYPES].json;
	if (types && (json_array_size(types) != 1 || !json_is_string(json_array_get(types, 0)) ||
		      strcmp(json_string_value(json_array_get(types, 0)), "Redfish") != 0)) {
		char text[128];
		rf_value_text(types, text, sizeof(text));
		rf_property_value_not_in_list(resp, text, "AccountTypes");
	}
	if (*locked == 1) {
		/* Only the service locks an account; a client may only unlock. */
		rf_property_value_incorrect(resp, "Locked", "true");
	}
	return resp->status == 400 ? -EINVAL : 0;
}

static int h_account_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_change c = { .enabled = -1 };
	struct account_info ai;
	char loc[96];
	json_t *body = rf_body_object(ctx->req, resp);
	int locked, rc = 0;

	if (!body)
		return 0;
	if ((rc = parse_account_body(body, &c, &locked, resp, NULL))) {
		rc = rc == -ENOMEM ? rc : 0;
		goto out;
	}
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
	json_t *body, *ignored = NULL;
	int locked, rc = 0;

	if (target_account(ctx, &ai, resp))
		return 0;
	if (!(body = rf_body_object(ctx->req, resp)))
		return 0;
	if ((rc = parse_account_body(body, &c, &locked, resp, &ignored))) {
		rc = rc == -ENOMEM ? rc : 0;
		goto out;
	}
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
	rf_annotate_ignored(resp, ignored);
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
