#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/mctp/endpoint.h"
#include "util/jsonfile.h"

#define CONFIG_MAX_FILE (1u << 20)

enum key_type { T_STR, T_INT, T_ENUM, T_STRS };

struct key_desc {
	const char *name;
	enum key_type type;
	const char *def_str;
	long long def_int;
	long long min, max;
	bool secret;
	const char *help;
	size_t offset;
};

#define DESC_STR(name, def, min, max, secret, help) \
	{ #name, T_STR, (const char *)(def), 0, min, max, secret, help, offsetof(struct config, name) },
#define DESC_ENUM(name, def, min, max, secret, help) \
	{ #name, T_ENUM, (const char *)(def), 0, min, max, secret, help, offsetof(struct config, name) },
#define DESC_STRS(name, def, min, max, secret, help) \
	{ #name, T_STRS, (const char *)(def), 0, min, max, secret, help, offsetof(struct config, name) },
#define DESC_INT(name, def, min, max, secret, help) \
	{ #name, T_INT, NULL, (long long)(def), min, max, secret, help, offsetof(struct config, name) },
#define DESC(type, name, def, min, max, secret, help) DESC_##type(name, def, min, max, secret, help)

static const struct key_desc keys[] = { CONFIG_KEYS(DESC) };
static const size_t nkeys = sizeof(keys) / sizeof(keys[0]);

static char **str_slot(struct config *cfg, const struct key_desc *k)
{
	return (char **)((char *)cfg + k->offset);
}

static long long *int_slot(struct config *cfg, const struct key_desc *k)
{
	return (long long *)((char *)cfg + k->offset);
}

/* The array of a STRS key is followed by its count (see CONFIG_FIELD_STRS). */
static size_t *count_slot(struct config *cfg, const struct key_desc *k)
{
	return (size_t *)((char *)cfg + k->offset + sizeof(char *) * CONFIG_MAX_LISTEN);
}

static void clear_key(struct config *cfg, const struct key_desc *k)
{
	if (k->type == T_INT)
		return;
	if (k->type == T_STRS) {
		char **arr = str_slot(cfg, k);
		for (size_t i = 0; i < *count_slot(cfg, k); i++) {
			free(arr[i]);
			arr[i] = NULL;
		}
		*count_slot(cfg, k) = 0;
		return;
	}
	free(*str_slot(cfg, k));
	*str_slot(cfg, k) = NULL;
}

static int set_strs_default(struct config *cfg, const struct key_desc *k)
{
	char copy[256];
	char *save = NULL;
	char **arr = str_slot(cfg, k);
	size_t *n = count_slot(cfg, k);

	snprintf(copy, sizeof(copy), "%s", k->def_str ? k->def_str : "");
	for (char *tok = strtok_r(copy, " ", &save); tok && *n < CONFIG_MAX_LISTEN;
	     tok = strtok_r(NULL, " ", &save)) {
		arr[*n] = strdup(tok);
		if (!arr[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

int config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < nkeys; i++) {
		const struct key_desc *k = &keys[i];
		switch (k->type) {
		case T_INT:
			*int_slot(cfg, k) = k->def_int;
			break;
		case T_STRS:
			if (set_strs_default(cfg, k))
				goto nomem;
			break;
		case T_STR:
		case T_ENUM:
			if (k->def_str && !(*str_slot(cfg, k) = strdup(k->def_str)))
				goto nomem;
			break;
		}
	}
	return 0;
nomem:
	config_release(cfg);
	return -ENOMEM;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < nkeys; i++)
		clear_key(cfg, &keys[i]);
	free(cfg->source);
	cfg->source = NULL;
}

/* An ENUM's allowed values are the '|'-separated words before ':' in help. */
static int enum_allows(const char *help, const char *value)
{
	size_t vlen = strlen(value);
	const char *end = strchr(help, ':');
	const char *p = help;

	while (p && p < end) {
		const char *bar = strchr(p, '|');
		const char *stop = bar && bar < end ? bar : end;
		if ((size_t)(stop - p) == vlen && strncmp(p, value, vlen) == 0)
			return 1;
		p = bar && bar < end ? bar + 1 : NULL;
	}
	return 0;
}

/* Keys whose list items have a syntax of their own. */
static int check_item(const struct key_desc *k, const char *item, char *why, size_t whylen)
{
	struct cxl_mctp_endpoint_spec spec;
	if (strcmp(k->name, "mctp_endpoints") == 0)
		return cxl_mctp_endpoint_parse(item, &spec, why, whylen);
	return 0;
}

static int apply_key(struct config *cfg, const struct key_desc *k, json_t *v,
		     const struct jsonfile *jf, char *err, size_t errlen)
{
	const char *path[] = { k->name, NULL };
	char seg[24];

	switch (k->type) {
	case T_INT: {
		if (!json_is_integer(v))
			return jsonfile_error(jf, path, 0, err, errlen,
					      "\"%s\" must be an integer", k->name);
		long long n = json_integer_value(v);
		if (n < k->min || n > k->max)
			return jsonfile_error(jf, path, 0, err, errlen,
					      "\"%s\" must be between %lld and %lld", k->name,
					      k->min, k->max);
		*int_slot(cfg, k) = n;
		return 0;
	}
	case T_STR:
	case T_ENUM: {
		if (k->type == T_STR && json_is_null(v)) {
			clear_key(cfg, k);
			return 0;
		}
		if (!json_is_string(v) || json_string_length(v) == 0)
			return jsonfile_error(jf, path, 0, err, errlen,
					      "\"%s\" must be a non-empty string%s", k->name,
					      k->type == T_STR ? " or null" : "");
		if (k->type == T_ENUM && !enum_allows(k->help, json_string_value(v))) {
			const char *colon = strchr(k->help, ':');
			return jsonfile_error(jf, path, 0, err, errlen,
					      "\"%s\" must be one of %.*s", k->name,
					      (int)(colon - k->help), k->help);
		}
		char *copy = strdup(json_string_value(v));
		if (!copy)
			return -ENOMEM;
		clear_key(cfg, k);
		*str_slot(cfg, k) = copy;
		return 0;
	}
	case T_STRS: {
		size_t i;
		json_t *item;
		/* a list empty by default may be emptied again */
		bool may_empty = k->def_str && !k->def_str[0];
		if (!json_is_array(v) || (json_array_size(v) == 0 && !may_empty) ||
		    json_array_size(v) > CONFIG_MAX_LISTEN)
			return jsonfile_error(jf, path, 0, err, errlen,
					      "\"%s\" must be an array of 1 to %d strings", k->name,
					      CONFIG_MAX_LISTEN);
		json_array_foreach(v, i, item) {
			const char *ipath[] = { k->name, seg, NULL };
			char why[128];
			snprintf(seg, sizeof(seg), "[%zu]", i);
			if (!json_is_string(item))
				return jsonfile_error(jf, ipath, 0, err, errlen,
						      "\"%s\" items must be strings", k->name);
			if (check_item(k, json_string_value(item), why, sizeof(why)))
				return jsonfile_error(jf, ipath, 0, err, errlen, "\"%s\"%s: %s",
						      k->name, seg, why);
		}
		clear_key(cfg, k);
		json_array_foreach(v, i, item) {
			char *copy = strdup(json_string_value(item));
			if (!copy)
				return -ENOMEM;
			str_slot(cfg, k)[i] = copy;
			*count_slot(cfg, k) = i + 1;
		}
		return 0;
	}
	}
	return -EINVAL;
}

static const struct key_desc *find_key(const char *name)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int apply_file(struct config *cfg, const struct jsonfile *jf, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	const char *root_path[] = { NULL };

	if (!json_is_object(jf->root))
		return jsonfile_error(jf, root_path, 0, err, errlen,
				      "configuration must be a JSON object");
	json_object_foreach(jf->root, key, v) {
		const struct key_desc *k = find_key(key);
		const char *path[] = { key, NULL };
		int rc;
		if (!k)
			return jsonfile_error(jf, path, 1, err, errlen, "unknown key \"%s\"", key);
		rc = apply_key(cfg, k, v, jf, err, errlen);
		if (rc)
			return rc;
	}
	if (!cfg->state_dir) {
		const char *path[] = { "state_dir", NULL };
		return jsonfile_error(jf, path, 0, err, errlen, "\"state_dir\" must be a directory path");
	}
	if ((cfg->tls_certificate == NULL) != (cfg->tls_key == NULL)) {
		const char *path[] = { cfg->tls_key ? "tls_key" : "tls_certificate", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "tls_certificate and tls_key must be given together");
	}
	if (strcmp(cfg->tls_client_auth, "off") != 0 && !cfg->tls_client_ca) {
		const char *path[] = { "tls_client_auth", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "tls_client_auth \"%s\" needs tls_client_ca",
				      cfg->tls_client_auth);
	}
	if (strcmp(cfg->backend, "mctp") == 0 && cfg->mctp_endpoints_count == 0) {
		const char *path[] = { "backend", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "backend \"mctp\" needs mctp_endpoints");
	}
	return 0;
}

int config_load_string(struct config *cfg, const char *name, const char *text, char *err,
		       size_t errlen)
{
	struct jsonfile jf;
	int rc = jsonfile_parse(name, text, strlen(text), &jf, err, errlen);
	if (rc)
		return rc;
	rc = apply_file(cfg, &jf, err, errlen);
	if (!rc) {
		free(cfg->source);
		cfg->source = strdup(name);
	}
	jsonfile_release(&jf);
	return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct jsonfile jf;
	int rc = jsonfile_load(path, CONFIG_MAX_FILE, &jf, err, errlen);
	if (rc)
		return rc;
	rc = apply_file(cfg, &jf, err, errlen);
	if (!rc) {
		free(cfg->source);
		cfg->source = strdup(path);
	}
	jsonfile_release(&jf);
	return rc;
}

char *config_dump(const struct config *cfg)
{
	json_t *root = json_object();
	char *out;

	if (!root)
		return NULL;
	for (size_t i = 0; i < nkeys; i++) {
		const struct key_desc *k = &keys[i];
		struct config *c = (struct config *)cfg;
		json_t *v;
		switch (k->type) {
		case T_INT:
			v = json_integer(*int_slot(c, k));
			break;
		case T_STRS:
			v = json_array();
			for (size_t j = 0; v && j < *count_slot(c, k); j++) {
				if (json_array_append_new(v, json_string(str_slot(c, k)[j])) < 0) {
					json_decref(v);
					v = NULL;
				}
			}
			break;
		default: {
			const char *s = *str_slot(c, k);
			v = !s ? json_null() : k->secret ? json_string("(redacted)") : json_string(s);
		}
		}
		/* A dump missing a key would misstate what is in force. */
		if (!v || json_object_set_new(root, k->name, v) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}

int config_state_path(const struct config *cfg, const char *leaf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", cfg->state_dir, leaf);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
