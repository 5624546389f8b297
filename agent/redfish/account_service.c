/* AccountService: local accounts (ManagerAccount), roles (Role) and the
 * lockout settings. The store and its rules live in auth/accounts.c; this
 * file maps requests onto it and its errno results onto Base messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "core/agent.h"
#include "redfish/error.h"
#include "redfish/handlers.h"
#include "redfish/resource.h"
#include "util/log.h"

#define SERVICE_URI "/redfish/v1/AccountService"
#define ACCOUNTS_URI SERVICE_URI "/Accounts"
#define ROLES_URI SERVICE_URI "/Roles"
#define LOCKOUT_MAX_S (86400 * 365)

/* The request body as a JSON object, or NULL with resp filled. An empty
 * object is refused as well: a PATCH or POST with nothing in it is a
 * client mistake worth telling. */
static json_t *body_object(const struct http_request *req, struct http_response *resp)
{
	json_error_t jerr;
	json_t *body;

	if (!req->body || !req->body_len) {
		rf_error0(resp, 400, "MalformedJSON");
		return NULL;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		rf_error0(resp, 400, "MalformedJSON");
		return NULL;
	}
	if (json_object_size(body) == 0) {
		json_decref(body);
		rf_error0(resp, 400, "EmptyJSON");
		return NULL;
	}
	return body;
}

static bool in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

/* Add one 400 message to resp (the first makes the error, later ones are
 * appended so the client sees every problem at once). */
static void add_error(struct http_response *resp, const char *id, const char *const *args,
		      size_t nargs)
{
	if (resp->status == 400 && resp->json) {
		rf_error_append(resp, rf_message(id, args, nargs));
		return;
	}
	rf_error(resp, 400, id, args, nargs);
}

/* Every key of body must be writable; known read-only ones and unknown ones
 * are reported. Returns 0 or -EINVAL with resp filled. */
static int check_keys(json_t *body, const char *const *writable, const char *const *readonly,
		      struct http_response *resp)
{
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(body, key, v) {
		if (in_list(key, writable) || strcmp(key, "@odata.etag") == 0)
			continue;
		add_error(resp, in_list(key, readonly) || strncmp(key, "@odata.", 7) == 0
					? "PropertyNotWritable"
					: "PropertyUnknown",
			  &key, 1);
		rc = -EINVAL;
	}
	return rc;
}

/* A value as text for a message argument. Never used for passwords. */
static void value_text(json_t *v, char *buf, size_t len)
{
	char *s;
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(buf, len, "%s", s ? s : "null");
	free(s);
}

static void type_error(struct http_response *resp, const char *prop, json_t *v)
{
	char text[128];
	const char *args[2] = { text, prop };
	if (strcmp(prop, "Password") == 0)
		snprintf(text, sizeof(text), "(hidden)");
	else
		value_text(v, text, sizeof(text));
	add_error(resp, "PropertyValueTypeError", args, 2);
}

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

static int reply_with_etag(struct http_response *resp, int status, json_t *body,
			   const char *etag)
{
	if (!body)
		return -ENOMEM;
	http_response_json(resp, status, body);
	http_response_header(resp, "ETag", etag);
	return 0;
}

int h_account_service(const struct route_ctx *ctx, struct http_response *resp)
{
	char etag[ACCOUNT_ETAG_MAX];
	json_t *o = account_service_json(ctx->agent, etag);
	return reply_with_etag(resp, 200, o, etag);
}

int h_account_service_patch(const struct route_ctx *ctx, struct http_response *resp)
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
	json_t *body = body_object(ctx->req, resp);
	int rc;

	if (!body)
		return 0;
	if (check_keys(body, writable, readonly, resp))
		goto out;
	accounts_settings_get(ctx->agent->accounts, &s, NULL);
	for (size_t i = 0; writable[i]; i++) {
		json_t *v = json_object_get(body, writable[i]);
		if (!v)
			continue;
		if (!json_is_integer(v)) {
			type_error(resp, writable[i], v);
			continue;
		}
		if (json_integer_value(v) < 0 || json_integer_value(v) > LOCKOUT_MAX_S) {
			char text[32];
			const char *args[2] = { text, writable[i] };
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
			add_error(resp, "PropertyValueOutOfRange", args, 2);
			continue;
		}
		*slots[i] = (unsigned)json_integer_value(v);
	}
	if (resp->status == 400)
		goto out;
	rc = accounts_settings_set(ctx->agent->accounts, &s,
				   http_request_header(ctx->req, "If-Match"));
	if (rc == -ESTALE) {
		rf_error0(resp, 412, "PreconditionFailed");
	} else if (rc == -EINVAL) {
		rf_error2(resp, 400, "PropertyValueConflict", "AccountLockoutCounterResetAfter",
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
		return reply_with_etag(resp, 200, account_service_json(ctx->agent, etag), etag);
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
	rf_error2(resp, 404, "ResourceNotFound", "ManagerAccount", id);
}

int h_account_collection(const struct route_ctx *ctx, struct http_response *resp)
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
	if (ctx->admitted_by == PRIV_CONFIGURE_SELF && strcmp(ai->user, ctx->who->user) != 0) {
		rf_error0(resp, 403, "InsufficientPrivilege");
		return 1;
	}
	return 0;
}

int h_account(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_info ai;

	if (target_account(ctx, &ai, resp))
		return 0;
	return reply_with_etag(resp, 200, account_json(&ai), ai.etag);
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
		rf_error0(resp, 412, "PreconditionFailed");
		return 0;
	case -EEXIST:
		rf_error3(resp, 409, "ResourceAlreadyExists", "ManagerAccount", "UserName",
			  c->user ? c->user : "");
		return 0;
	case -ERANGE:
		rf_error0(resp, 400, "PasswordIncorrectLength");
		return 0;
	case -EINVAL:
		if (c->user && !accounts_valid_user_name(c->user))
			rf_error2(resp, 400, "PropertyValueFormatError", c->user, "UserName");
		else
			rf_error2(resp, 400, "PropertyValueNotInList", c->role ? c->role : "",
				  "RoleId");
		return 0;
	case -EBUSY:
		/* Removing the last enabled Administrator would lock everyone out
		 * of account management for good. */
		if (c->role)
			rf_error3(resp, 409, "PropertyValueResourceConflict", "RoleId", c->role, uri);
		else
			rf_error3(resp, 409, "PropertyValueResourceConflict", "Enabled", "false", uri);
		return 0;
	case -ENOSPC:
		rf_error0(resp, 409, "CreateLimitReachedForResource");
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
			type_error(resp, props[i].name, v);
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
			const char *args[2] = { text, "AccountTypes" };
			value_text(v, text, sizeof(text));
			add_error(resp, "PropertyValueNotInList", args, 2);
		}
	}
	if (*locked == 1) {
		/* Only the service locks an account; a client may only unlock. */
		const char *args[2] = { "Locked", "true" };
		add_error(resp, "PropertyValueIncorrect", args, 2);
	}
	return resp->status == 400 ? -EINVAL : 0;
}

static const char *const account_writable[] = { "UserName", "Password", "RoleId", "Enabled",
						"Locked", "AccountTypes", NULL };
static const char *const account_readonly[] = { "Id", "Name", "Description", "Links", NULL };

int h_account_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_change c = { .enabled = -1 };
	struct account_info ai;
	char loc[96];
	json_t *body = body_object(ctx->req, resp);
	int locked, rc = 0;

	if (!body)
		return 0;
	if (check_keys(body, account_writable, account_readonly, resp) ||
	    parse_account_body(body, &c, &locked, resp))
		goto out;
	if (!c.user || !c.password || !c.role) {
		const char *missing = !c.user ? "UserName" : !c.password ? "Password" : "RoleId";
		rf_error1(resp, 400, "CreateFailedMissingReqProperties", missing);
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
	rc = reply_with_etag(resp, 201, account_json(&ai), ai.etag);
	http_response_header(resp, "Location", loc);
out:
	json_decref(body);
	return rc;
}

int h_account_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	struct account_change c = { .enabled = -1 };
	struct account_info ai, old;
	json_t *body;
	int locked, rc = 0;

	if (target_account(ctx, &ai, resp))
		return 0;
	if (!(body = body_object(ctx->req, resp)))
		return 0;
	if (check_keys(body, account_writable, account_readonly, resp) ||
	    parse_account_body(body, &c, &locked, resp))
		goto out;
	/* ConfigureSelf lets a user change their own password and nothing
	 * else (PrivilegeRegistry's ManagerAccount property override). */
	if (ctx->admitted_by == PRIV_CONFIGURE_SELF &&
	    (c.user || c.role || c.enabled >= 0 || locked >= 0 ||
	     json_object_get(body, "AccountTypes"))) {
		rf_error0(resp, 403, "InsufficientPrivilege");
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
	rc = reply_with_etag(resp, 200, account_json(&ai), ai.etag);
out:
	json_decref(body);
	return rc;
}

int h_account_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "account");
	struct account_change none = { .enabled = -1 };
	struct account_info ai;
	int rc = accounts_delete(ctx->agent->accounts, id ? id : "", &ai);

	if (rc == -EBUSY) {
		rf_error0(resp, 409, "ResourceCannotBeDeleted");
		return 0;
	}
	if (rc)
		return account_error(rc, id, &none, resp);
	if (ctx->agent->sessions)
		sessions_delete_user(ctx->agent->sessions, ai.user, NULL);
	log_info("account \"%s\" (%s) deleted by \"%s\"", ai.user, ai.id, ctx->who->user);
	resp->status = 204;
	return 0;
}

/* ---- Roles ------------------------------------------------------------- */

static json_t *role_json(const struct role_info *ri)
{
	json_t *std = json_array(), *oem = json_array();
	for (unsigned b = 0; std && oem && b < 31; b++) {
		privset_t bit = 1u << b;
		if (!(ri->privileges & bit) || !privilege_name(bit))
			continue;
		json_array_append_new(privilege_is_oem(bit) ? oem : std,
				      json_string(privilege_name(bit)));
	}
	return json_pack("{s:s+, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "@odata.id",
			 ROLES_URI "/", ri->id, "@odata.type", "#Role.v1_3_3.Role", "Id", ri->id,
			 "Name", ri->id, "Description",
			 ri->predefined ? "A predefined role" : "A role defined by an administrator",
			 "RoleId", ri->id, "IsPredefined", ri->predefined, "AssignedPrivileges",
			 std ? std : json_array(), "OemPrivileges", oem ? oem : json_array());
}

int h_role_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct role_info *list;
	size_t n;
	json_t *members = json_array();
	int rc;

	if (!members)
		return -ENOMEM;
	if ((rc = accounts_roles_list(ctx->agent->accounts, &list, &n))) {
		json_decref(members);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(members, rf_link(ROLES_URI "/%s", list[i].id));
	free(list);
	http_response_json(resp, 200, rf_collection(ROLES_URI, "RoleCollection", "Roles", members));
	return resp->json ? 0 : -ENOMEM;
}

int h_role(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "role");
	struct role_info ri;

	if (!id || accounts_role_get(ctx->agent->accounts, id, &ri)) {
		rf_error2(resp, 404, "ResourceNotFound", "Role", id ? id : "");
		return 0;
	}
	return reply_with_etag(resp, 200, role_json(&ri), ri.etag);
}

/* Privileges named in AssignedPrivileges (standard) and OemPrivileges (the
 * agent's CxlCommand* ones). *mask says which of the two were present. */
static int parse_privileges(json_t *body, privset_t *out, privset_t *mask,
			    struct http_response *resp)
{
	static const struct {
		const char *prop;
		int oem;
	} lists[] = { { "AssignedPrivileges", 0 }, { "OemPrivileges", 1 } };

	*out = 0;
	*mask = 0;
	for (size_t l = 0; l < 2; l++) {
		json_t *arr = json_object_get(body, lists[l].prop), *v;
		size_t i;
		if (!arr)
			continue;
		if (!json_is_array(arr)) {
			type_error(resp, lists[l].prop, arr);
			continue;
		}
		*mask |= lists[l].oem ? PRIV_OEM_MASK : PRIV_STANDARD_MASK;
		json_array_foreach(arr, i, v) {
			privset_t bit = json_is_string(v) ? privilege_from_name(json_string_value(v))
							  : 0;
			if (!bit || privilege_is_oem(bit) != lists[l].oem) {
				char text[128];
				const char *args[2] = { text, lists[l].prop };
				value_text(v, text, sizeof(text));
				add_error(resp, "PropertyValueNotInList", args, 2);
				continue;
			}
			*out |= bit;
		}
	}
	return resp->status == 400 ? -EINVAL : 0;
}

static const char *const role_readonly[] = { "Id", "Name", "Description", "IsPredefined",
					     "AlternateRoleId", "Restricted", NULL };

int h_role_create(const struct route_ctx *ctx, struct http_response *resp)
{
	static const char *const writable[] = { "RoleId", "AssignedPrivileges", "OemPrivileges",
						NULL };
	struct role_info ri;
	privset_t privs, mask;
	const char *id;
	char loc[128];
	json_t *body = body_object(ctx->req, resp);
	int rc = 0;

	if (!body)
		return 0;
	if (check_keys(body, writable, role_readonly, resp) ||
	    parse_privileges(body, &privs, &mask, resp))
		goto out;
	if (!json_is_string(json_object_get(body, "RoleId"))) {
		if (json_object_get(body, "RoleId"))
			type_error(resp, "RoleId", json_object_get(body, "RoleId"));
		else
			rf_error1(resp, 400, "CreateFailedMissingReqProperties", "RoleId");
		goto out;
	}
	id = json_string_value(json_object_get(body, "RoleId"));
	if (!privs) {
		rf_error1(resp, 400, "CreateFailedMissingReqProperties", "AssignedPrivileges");
		goto out;
	}
	rc = accounts_role_create(ctx->agent->accounts, id, privs, &ri);
	if (rc == -EEXIST) {
		rf_error3(resp, 409, "ResourceAlreadyExists", "Role", "RoleId", id);
		rc = 0;
	} else if (rc == -EINVAL) {
		rf_error2(resp, 400, "PropertyValueFormatError", id, "RoleId");
		rc = 0;
	} else if (rc == -ENOSPC) {
		rf_error0(resp, 409, "CreateLimitReachedForResource");
		rc = 0;
	} else if (!rc) {
		log_info("role \"%s\" created by \"%s\" (privileges 0x%x)", ri.id, ctx->who->user,
			 ri.privileges);
		snprintf(loc, sizeof(loc), ROLES_URI "/%s", ri.id);
		rc = reply_with_etag(resp, 201, role_json(&ri), ri.etag);
		http_response_header(resp, "Location", loc);
	}
out:
	json_decref(body);
	return rc;
}

int h_role_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	static const char *const writable[] = { "AssignedPrivileges", "OemPrivileges", NULL };
	static const char *const readonly[] = { "Id", "Name", "Description", "IsPredefined",
						"AlternateRoleId", "Restricted", "RoleId", NULL };
	const char *id = route_param(ctx->params, "role");
	struct role_info ri;
	privset_t privs, mask;
	json_t *body;
	int rc = 0;

	if (!id || accounts_role_get(ctx->agent->accounts, id, &ri)) {
		rf_error2(resp, 404, "ResourceNotFound", "Role", id ? id : "");
		return 0;
	}
	if (!(body = body_object(ctx->req, resp)))
		return 0;
	if (check_keys(body, writable, readonly, resp) ||
	    parse_privileges(body, &privs, &mask, resp))
		goto out;
	if (ri.predefined) {
		const char *key;
		json_t *v;
		json_object_foreach(body, key, v)
			add_error(resp, "PropertyNotWritable", &key, 1);
		goto out;
	}
	privs |= ri.privileges & ~mask;
	rc = accounts_role_update(ctx->agent->accounts, id, privs,
				  http_request_header(ctx->req, "If-Match"), &ri);
	if (rc == -ESTALE) {
		rf_error0(resp, 412, "PreconditionFailed");
		rc = 0;
	} else if (rc == -EINVAL) {
		rf_error2(resp, 400, "PropertyValueIncorrect", "AssignedPrivileges", "[]");
		rc = 0;
	} else if (rc == -ENOENT) {
		rf_error2(resp, 404, "ResourceNotFound", "Role", id);
		rc = 0;
	} else if (!rc) {
		log_info("role \"%s\" changed by \"%s\" (privileges 0x%x)", ri.id, ctx->who->user,
			 ri.privileges);
		rc = reply_with_etag(resp, 200, role_json(&ri), ri.etag);
	}
out:
	json_decref(body);
	return rc;
}

int h_role_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "role");
	int rc = accounts_role_delete(ctx->agent->accounts, id ? id : "");

	switch (rc) {
	case 0:
		log_info("role \"%s\" deleted by \"%s\"", id, ctx->who->user);
		resp->status = 204;
		return 0;
	case -ENOENT:
		rf_error2(resp, 404, "ResourceNotFound", "Role", id ? id : "");
		return 0;
	case -EPERM:
		rf_error0(resp, 409, "ResourceCannotBeDeleted");
		return 0;
	case -EBUSY:
		rf_error0(resp, 409, "ResourceInUse");
		return 0;
	default:
		return rc;
	}
}
