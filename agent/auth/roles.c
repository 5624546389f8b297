/* Roles: the predefined ones from privilege.c and the custom ones kept in
 * the accounts file. */
#include "auth/accounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts_internal.h"

privset_t acct_role_privileges(const struct accounts *a, const char *role)
{
	const struct role_def *def = role_predefined(role);
	if (def)
		return def->privileges;
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].id, role) == 0)
			return a->roles[i].privileges;
	return 0;
}

static void role_info_fill(const char *id, privset_t privileges, bool predefined,
			   struct role_info *out)
{
	char bits[16];
	const char *parts[2] = { id, bits };

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->privileges = privileges;
	out->predefined = predefined;
	snprintf(bits, sizeof(bits), "%08x", privileges);
	acct_etag_of(parts, 2, out->etag);
}

static struct custom_role *find_role_locked(struct accounts *a, const char *id)
{
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].id, id) == 0)
			return &a->roles[i];
	return NULL;
}

int accounts_roles_list(struct accounts *a, struct role_info **out, size_t *n)
{
	pthread_mutex_lock(&a->lock);
	*n = predefined_role_count + a->nroles;
	*out = calloc(*n, sizeof(**out));
	if (*out) {
		for (unsigned i = 0; i < predefined_role_count; i++)
			role_info_fill(predefined_roles[i].id, predefined_roles[i].privileges, true,
				       &(*out)[i]);
		for (size_t i = 0; i < a->nroles; i++)
			role_info_fill(a->roles[i].id, a->roles[i].privileges, false,
				       &(*out)[predefined_role_count + i]);
	}
	pthread_mutex_unlock(&a->lock);
	return *out ? 0 : -ENOMEM;
}

int accounts_role_get(struct accounts *a, const char *id, struct role_info *out)
{
	const struct role_def *def = role_predefined(id);
	struct custom_role *r;
	int rc = -ENOENT;

	if (def) {
		role_info_fill(def->id, def->privileges, true, out);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	if ((r = find_role_locked(a, id))) {
		role_info_fill(r->id, r->privileges, false, out);
		rc = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_create(struct accounts *a, const char *id, privset_t privileges,
			 struct role_info *out)
{
	int rc = 0;

	if (!accounts_valid_role_id(id) || !privileges ||
	    (privileges & ~(PRIV_STANDARD_MASK | PRIV_OEM_MASK)))
		return -EINVAL;
	if (role_predefined(id))
		return -EEXIST;
	pthread_mutex_lock(&a->lock);
	if (find_role_locked(a, id)) {
		rc = -EEXIST;
		goto out;
	}
	if (a->nroles >= ACCOUNTS_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	memset(&a->roles[a->nroles], 0, sizeof(a->roles[0]));
	snprintf(a->roles[a->nroles].id, sizeof(a->roles[0].id), "%s", id);
	a->roles[a->nroles].privileges = privileges;
	a->nroles++;
	if ((rc = acct_save_locked(a))) {
		a->nroles--;
		goto out;
	}
	a->generation++;
	if (out)
		role_info_fill(id, privileges, false, out);
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_update(struct accounts *a, const char *id, privset_t privileges,
			 const char *if_match, struct role_info *out)
{
	struct custom_role *r;
	struct role_info cur;
	privset_t before;
	int rc = 0;

	if (role_predefined(id))
		return -EPERM;
	if (!privileges || (privileges & ~(PRIV_STANDARD_MASK | PRIV_OEM_MASK)))
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	if (!(r = find_role_locked(a, id))) {
		rc = -ENOENT;
		goto out;
	}
	role_info_fill(r->id, r->privileges, false, &cur);
	if (if_match && !accounts_etag_match(if_match, cur.etag)) {
		rc = -ESTALE;
		goto out;
	}
	before = r->privileges;
	r->privileges = privileges;
	if ((rc = acct_save_locked(a))) {
		r->privileges = before;
		goto out;
	}
	a->generation++;
	if (out)
		role_info_fill(r->id, r->privileges, false, out);
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_delete(struct accounts *a, const char *id)
{
	struct custom_role *r, saved;
	size_t idx;
	int rc = 0;

	if (role_predefined(id))
		return -EPERM;
	pthread_mutex_lock(&a->lock);
	if (!(r = find_role_locked(a, id))) {
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->acct[i].role, id) == 0) {
			rc = -EBUSY;
			goto out;
		}
	}
	idx = (size_t)(r - a->roles);
	saved = *r;
	memmove(&a->roles[idx], &a->roles[idx + 1], (a->nroles - idx - 1) * sizeof(*r));
	a->nroles--;
	if ((rc = acct_save_locked(a))) {
		memmove(&a->roles[idx + 1], &a->roles[idx], (a->nroles - idx) * sizeof(*r));
		a->roles[idx] = saved;
		a->nroles++;
		goto out;
	}
	a->generation++;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}
