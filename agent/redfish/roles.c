/* Roles of the AccountService: the predefined ones (read-only) and those an
 * administrator defines, the only way to grant CxlCommandWriteFull. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "core/agent.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "util/log.h"

#define ROLES_URI "/redfish/v1/AccountService/Roles"

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

static int h_role_collection(const struct route_ctx *ctx, struct http_response *resp)
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

static int h_role(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "role");
	struct role_info ri;

	if (!id || accounts_role_get(ctx->agent->accounts, id, &ri)) {
		rf_resource_not_found(resp, "Role", id ? id : "");
		return 0;
	}
	return rf_reply_with_etag(resp, 200, role_json(&ri), ri.etag);
}

enum { R_ROLE_ID, R_ASSIGNED, R_OEM, R_ETAG, R__N };
static const struct jm_member role_create_members[R__N] = {
	[R_ROLE_ID] = { "RoleId", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[R_ASSIGNED] = { "AssignedPrivileges", JM_ARRAY, 0, 0, 0, NULL, NULL },
	[R_OEM] = { "OemPrivileges", JM_ARRAY, 0, 0, 0, NULL, NULL },
	[R_ETAG] = { "@odata.etag", JM_ANY, 0, 0, 0, NULL, NULL },
};
/* A role's id is fixed once created: PATCH reads the same members but the
 * first, which is then read-only. */
static const char *const role_readonly[] = { "Id", "Name", "Description", "IsPredefined",
					     "AlternateRoleId", "Restricted", "RoleId", NULL };
static const struct rf_body role_create_body = { role_create_members, R__N, role_readonly, NULL };
static const struct rf_body role_patch_body = { role_create_members + 1, R__N - 1,
						role_readonly, NULL };

/* Privileges named in AssignedPrivileges (standard) and OemPrivileges (the
 * agent's CxlCommand* ones), both already known to be arrays when present.
 * *mask says which of the two were present. */
static int parse_privileges(const json_t *assigned, const json_t *oem, privset_t *out,
			    privset_t *mask, struct http_response *resp)
{
	const struct {
		const char *prop;
		const json_t *arr;
		int oem;
	} lists[] = { { "AssignedPrivileges", assigned, 0 }, { "OemPrivileges", oem, 1 } };

	*out = 0;
	*mask = 0;
	for (size_t l = 0; l < 2; l++) {
		json_t *v;
		size_t i;
		if (!lists[l].arr)
			continue;
		*mask |= lists[l].oem ? PRIV_OEM_MASK : PRIV_STANDARD_MASK;
		json_array_foreach(lists[l].arr, i, v) {
			privset_t bit = json_is_string(v) ? privilege_from_name(json_string_value(v))
							  : 0;
			if (!bit || privilege_is_oem(bit) != lists[l].oem) {
				char text[128];
				rf_value_text(v, text, sizeof(text));
				rf_property_value_not_in_list(resp, text, lists[l].prop);
				continue;
			}
			*out |= bit;
		}
	}
	return resp->status == 400 ? -EINVAL : 0;
}

static int h_role_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct jm_value v[R__N];
	struct role_info ri;
	privset_t privs, mask;
	const char *id;
	char loc[128];
	json_t *body = rf_body_object(ctx->req, resp);
	int rc = 0;

	if (!body)
		return 0;
	if ((rc = rf_body_read(body, &role_create_body, v, resp)) ||
	    (rc = parse_privileges(v[R_ASSIGNED].json, v[R_OEM].json, &privs, &mask, resp))) {
		rc = rc == -ENOMEM ? rc : 0;
		goto out;
	}
	id = v[R_ROLE_ID].str;
	if (!privs) {
		rf_create_failed_missing_req_properties(resp, "AssignedPrivileges");
		goto out;
	}
	rc = accounts_role_create(ctx->agent->accounts, id, privs, &ri);
	if (rc == -EEXIST) {
		rf_resource_already_exists(resp, "Role", "RoleId", id);
		rc = 0;
	} else if (rc == -EINVAL) {
		rf_property_value_format_error(resp, id, "RoleId");
		rc = 0;
	} else if (rc == -ENOSPC) {
		rf_create_limit_reached_for_resource(resp);
		rc = 0;
	} else if (rc == -EDQUOT) {
		rf_storage_full(resp);
		rc = 0;
	} else if (!rc) {
		log_info("role \"%s\" created by \"%s\" (privileges 0x%x)", ri.id, ctx->who->user,
			 ri.privileges);
		snprintf(loc, sizeof(loc), ROLES_URI "/%s", ri.id);
		rc = rf_reply_with_etag(resp, 201, role_json(&ri), ri.etag);
		http_response_header(resp, "Location", loc);
	}
out:
	json_decref(body);
	return rc;
}

static int h_role_patch(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "role");
	struct jm_value v[R__N - 1];
	struct role_info ri;
	privset_t privs, mask;
	json_t *body, *ignored = NULL;
	int rc = 0;

	if (!id || accounts_role_get(ctx->agent->accounts, id, &ri)) {
		rf_resource_not_found(resp, "Role", id ? id : "");
		return 0;
	}
	if (!(body = rf_body_object(ctx->req, resp)))
		return 0;
	if ((rc = rf_body_read_patch(body, &role_patch_body, v, resp, &ignored)) ||
	    (rc = parse_privileges(v[0].json, v[1].json, &privs, &mask, resp))) {
		rc = rc == -ENOMEM ? rc : 0;
		goto out;
	}
	if (ri.predefined) {
		const char *key;
		json_t *val;
		json_object_foreach(body, key, val)
			rf_property_not_writable(resp, key);
		goto out;
	}
	privs |= ri.privileges & ~mask;
	rc = accounts_role_update(ctx->agent->accounts, id, privs,
				  http_request_header(ctx->req, "If-Match"), &ri);
	if (rc == -ESTALE) {
		rf_precondition_failed(resp);
		rc = 0;
	} else if (rc == -EINVAL) {
		rf_property_value_incorrect(resp, "AssignedPrivileges", "[]");
		rc = 0;
	} else if (rc == -EDQUOT) {
		rf_storage_full(resp);
		rc = 0;
	} else if (rc == -ENOENT) {
		rf_resource_not_found(resp, "Role", id);
		rc = 0;
	} else if (!rc) {
		log_info("role \"%s\" changed by \"%s\" (privileges 0x%x)", ri.id, ctx->who->user,
			 ri.privileges);
		rc = rf_reply_with_etag(resp, 200, role_json(&ri), ri.etag);
	}
out:
	rf_annotate_ignored(resp, ignored);
	json_decref(body);
	return rc;
}

static int h_role_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "role");
	int rc = accounts_role_delete(ctx->agent->accounts, id ? id : "");

	switch (rc) {
	case 0:
		log_info("role \"%s\" deleted by \"%s\"", id, ctx->who->user);
		resp->status = 204;
		return 0;
	case -ENOENT:
		rf_resource_not_found(resp, "Role", id ? id : "");
		return 0;
	case -EPERM:
		rf_resource_cannot_be_deleted(resp);
		return 0;
	case -EBUSY:
		rf_resource_in_use(resp);
		return 0;
	case -EDQUOT:
		rf_storage_full(resp);
		return 0;
	default:
		return rc;
	}
}

/* Roles are managed with ConfigureUsers, like accounts, where
 * PrivilegeRegistry 1.8.0 says ConfigureManager: whoever may give an
 * account a role may also define what the role holds, and nobody else. */
const struct route role_routes[] = {
	{ GET_HEAD, ROLES_URI, LOGIN, h_role_collection, UNCACHED },
	{ HTTP_POST, ROLES_URI, USERS, h_role_create, UNCACHED },
	{ GET_HEAD, ROLES_URI "/{role}", LOGIN, h_role, UNCACHED },
	{ HTTP_PATCH, ROLES_URI "/{role}", USERS, h_role_patch, UNCACHED },
	{ HTTP_DELETE, ROLES_URI "/{role}", USERS, h_role_delete, UNCACHED },
	{ 0 },
};
