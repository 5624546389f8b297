#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/device.h"
#include "cxl/mctp/endpoint.h"
#include "util/jsonfile.h"
#include "util/jsonmembers.h"

#define CONFIG_MAX_FILE (1u << 20)
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

enum key_type { T_STR, T_INT, T_ENUM, T_STRS };

/* The names each ENUM key accepts and the value each one stands for. */
static const char *const tls_client_auth_names[] = { "off", "optional", "required", NULL };
static const int tls_client_auth_values[] = { HTTP_CLIENT_AUTH_OFF, HTTP_CLIENT_AUTH_OPTIONAL,
					      HTTP_CLIENT_AUTH_REQUIRED };
static const char *const tls_client_identity_names[] = { "cn", "san", NULL };
static const int tls_client_identity_values[] = { CERTMAP_CN, CERTMAP_SAN };
static const char *const log_level_names[] = { "error", "warning", "info", "debug", NULL };
static const int log_level_values[] = { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO,
					LOG_LVL_DEBUG };

static const char *const audit_forward_names[] = { "off", "syslog", NULL };
static const int audit_forward_values[] = { AUDIT_FORWARD_OFF, AUDIT_FORWARD_SYSLOG };

/* An ENUM field is written through an int: its type must be as wide. */
#define ENUM_WIDTH_STR(name)
#define ENUM_WIDTH_INT(name)
#define ENUM_WIDTH_STRS(name)
#define ENUM_WIDTH_ENUM(name)                                             \
	_Static_assert(sizeof(config_##name##_t) == sizeof(int) &&        \
			       sizeof(name##_values) / sizeof(int) + 1 ==     \
				       sizeof(name##_names) / sizeof(char *), \
		       #name ": enum width or name table");
#define ENUM_WIDTH(type, name, def, min, max, secret, help) ENUM_WIDTH_##type(name)
CONFIG_KEYS(ENUM_WIDTH)

struct key_desc {
	const char *name;
	enum key_type type;
	const char *def_str; /* STR, STRS; ENUM: the name of the default */
	long long def_int;
	bool secret;
	size_t offset;
	const int *values;   /* ENUM: values[i] is what the i-th name stands for */
};

#define DESC_STR(name, def, secret) \
	{ #name, T_STR, (const char *)(def), 0, secret, offsetof(struct config, name), NULL },
#define DESC_ENUM(name, def, secret)                                            \
	{ #name, T_ENUM, (const char *)(def), 0, secret, offsetof(struct config, name), \
	  name##_values },
#define DESC_STRS(name, def, secret) \
	{ #name, T_STRS, (const char *)(def), 0, secret, offsetof(struct config, name), NULL },
#define DESC_INT(name, def, secret) \
	{ #name, T_INT, NULL, (long long)(def), secret, offsetof(struct config, name), NULL },
#define DESC(type, name, def, min, max, secret, help) DESC_##type(name, def, secret)

/* What the file may hold for each key, in the same order as keys[]. */
#define MEMBER_STR(name, min, max) \
	{ #name, JM_STRING, JM_NULLABLE, 1, 0, NULL, "a non-empty string or null" },
#define MEMBER_ENUM(name, min, max) \
	{ #name, JM_STRING, 0, 1, 0, name##_names, "a non-empty string" },
/* For STRS keys, min is the fewest items the list may hold. */
#define MEMBER_STRS(name, min, max)                          \
	{ #name, JM_ARRAY, 0, min, CONFIG_MAX_LISTEN, NULL, \
	  "an array of " #min " to " STRINGIFY(CONFIG_MAX_LISTEN) " strings" },
#define MEMBER_INT(name, min, max) { #name, JM_INTEGER, 0, min, max, NULL, "an integer" },
#define MEMBER(type, name, def, min, max, secret, help) MEMBER_##type(name, min, max)

static const struct key_desc keys[] = { CONFIG_KEYS(DESC) };
static const struct jm_member members[] = { CONFIG_KEYS(MEMBER) };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS == sizeof(members) / sizeof(members[0]), "one member per key");

static char **str_slot(struct config *cfg, const struct key_desc *k)
{
	return (char **)((char *)cfg + k->offset);
}

static long long *int_slot(struct config *cfg, const struct key_desc *k)
{
	return (long long *)((char *)cfg + k->offset);
}

static int *enum_slot(struct config *cfg, const struct key_desc *k)
{
	return (int *)((char *)cfg + k->offset);
}

/* The array of a STRS key is followed by its count (see CONFIG_FIELD_STRS). */
static size_t *count_slot(struct config *cfg, const struct key_desc *k)
{
	return (size_t *)((char *)cfg + k->offset + sizeof(char *) * CONFIG_MAX_LISTEN);
}

static void clear_key(struct config *cfg, const struct key_desc *k)
{
	if (k->type == T_INT || k->type == T_ENUM)
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

static int set_enum_default(struct config *cfg, size_t i)
{
	const char *const *names = members[i].choices;

	for (size_t c = 0; names[c]; c++) {
		if (strcmp(names[c], keys[i].def_str) == 0) {
			*enum_slot(cfg, &keys[i]) = keys[i].values[c];
			return 0;
		}
	}
	return -EINVAL; /* a default that is not among the key's names */
}

int config_defaults(struct config *cfg)
{
	int rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS && !rc; i++) {
		const struct key_desc *k = &keys[i];
		switch (k->type) {
		case T_INT:
			*int_slot(cfg, k) = k->def_int;
			break;
		case T_ENUM:
			rc = set_enum_default(cfg, i);
			break;
		case T_STRS:
			rc = set_strs_default(cfg, k);
			break;
		case T_STR:
			if (k->def_str && !(*str_slot(cfg, k) = strdup(k->def_str)))
				rc = -ENOMEM;
			break;
		}
	}
	if (rc)
		config_release(cfg);
	return rc;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++)
		clear_key(cfg, &keys[i]);
	free(cfg->source);
	cfg->source = NULL;
}

/* Keys whose list items have a syntax of their own. */
static int check_item(const struct key_desc *k, const char *item, char *why, size_t whylen)
{
	struct cxl_mctp_endpoint_spec spec;
	if (strcmp(k->name, "mctp_endpoints") == 0)
		return cxl_mctp_endpoint_parse(item, &spec, why, whylen);
	return 0;
}

/* Items of a STRS key: checked before anything is replaced. */
static int check_strs_items(const struct key_desc *k, json_t *arr, const struct jsonfile *jf,
			    char *err, size_t errlen)
{
	size_t i;
	json_t *item;
	char seg[24];

	json_array_foreach(arr, i, item) {
		const char *ipath[] = { k->name, seg, NULL };
		char why[128];
		snprintf(seg, sizeof(seg), "[%zu]", i);
		if (!json_is_string(item))
			return jsonfile_error(jf, ipath, 0, err, errlen,
					      "\"%s\" items must be strings", k->name);
		if (check_item(k, json_string_value(item), why, sizeof(why)))
			return jsonfile_error(jf, ipath, 0, err, errlen, "\"%s\"%s: %s", k->name,
					      seg, why);
	}
	return 0;
}

/* Store one value the reader has already checked against its member. */
static int apply_key(struct config *cfg, const struct key_desc *k, const struct jm_value *v)
{
	switch (k->type) {
	case T_INT:
		*int_slot(cfg, k) = v->num;
		return 0;
	case T_ENUM:
		*enum_slot(cfg, k) = k->values[v->choice];
		return 0;
	case T_STR: {
		char *copy = v->is_null ? NULL : strdup(v->str);
		if (!v->is_null && !copy)
			return -ENOMEM;
		clear_key(cfg, k);
		*str_slot(cfg, k) = copy;
		return 0;
	}
	case T_STRS: {
		size_t i;
		json_t *item;
		clear_key(cfg, k);
		json_array_foreach(v->json, i, item) {
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

static const char *enum_name(size_t key, int value)
{
	for (size_t c = 0; members[key].choices[c]; c++)
		if (keys[key].values[c] == value)
			return members[key].choices[c];
	return "?";
}

static size_t key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return 0; /* only called with names from CONFIG_KEYS */
}

#define NAME_FN_STR(name)
#define NAME_FN_INT(name)
#define NAME_FN_STRS(name)
#define NAME_FN_ENUM(name)                                                \
	const char *config_##name##_name(const struct config *cfg)          \
	{                                                                   \
		return enum_name(key_index(#name), (int)cfg->name);         \
	}
#define NAME_FN(type, name, def, min, max, secret, help) NAME_FN_##type(name)
CONFIG_KEYS(NAME_FN)

/* The rules between keys, all of them here: a configuration that passes
 * them is one the daemon can start with as far as the text goes (what the
 * files and names it points to hold is config_check's business). */
static int check_rules(const struct config *cfg, const struct jsonfile *jf, char *err,
		       size_t errlen)
{
	if (!cfg->state_dir) {
		const char *path[] = { "state_dir", NULL };
		return jsonfile_error(jf, path, 0, err, errlen, "\"state_dir\" must be a directory path");
	}
	if ((cfg->tls_certificate == NULL) != (cfg->tls_key == NULL)) {
		const char *path[] = { cfg->tls_key ? "tls_key" : "tls_certificate", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "tls_certificate and tls_key must be given together");
	}
	if (cfg->backend && !cxl_backend_known(cfg->backend)) {
		const char *path[] = { "backend", NULL };
		char names[256];
		cxl_backend_names(names, sizeof(names));
		return jsonfile_error(jf, path, 0, err, errlen, "\"backend\" must be one of %s",
				      names);
	}
	if (cfg->tls_client_auth != HTTP_CLIENT_AUTH_OFF && !cfg->tls_client_ca) {
		const char *path[] = { "tls_client_auth", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "tls_client_auth \"%s\" needs tls_client_ca",
				      config_tls_client_auth_name(cfg));
	}
	/* "backend": null means auto */
	if (cfg->backend && strcmp(cfg->backend, "mctp") == 0 && cfg->mctp_endpoints_count == 0) {
		const char *path[] = { "backend", NULL };
		return jsonfile_error(jf, path, 1, err, errlen,
				      "backend \"mctp\" needs mctp_endpoints");
	}
	return 0;
}

static int apply_file(struct config *cfg, const struct jsonfile *jf, char *err, size_t errlen)
{
	const char *root_path[] = { NULL };
	struct jm_value v[NKEYS];
	int rc;

	if (!json_is_object(jf->root))
		return jsonfile_error(jf, root_path, 0, err, errlen,
				      "configuration must be a JSON object");
	rc = jm_read_file(jf, root_path, jf->root, members, NKEYS, v, err, errlen);
	for (size_t i = 0; !rc && i < NKEYS; i++)
		if (v[i].json && keys[i].type == T_STRS)
			rc = check_strs_items(&keys[i], v[i].json, jf, err, errlen);
	for (size_t i = 0; !rc && i < NKEYS; i++)
		if (v[i].json)
			rc = apply_key(cfg, &keys[i], &v[i]);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", jf->path);
	return rc ? rc : check_rules(cfg, jf, err, errlen);
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

static json_t *dump_key(const struct config *cfg, size_t i)
{
	const struct key_desc *k = &keys[i];
	struct config *c = (struct config *)cfg;
	json_t *v;

	switch (k->type) {
	case T_INT:
		return json_integer(*int_slot(c, k));
	case T_ENUM:
		return json_string(enum_name(i, *enum_slot(c, k)));
	case T_STRS:
		v = json_array();
		for (size_t j = 0; v && j < *count_slot(c, k); j++) {
			if (json_array_append_new(v, json_string(str_slot(c, k)[j])) < 0) {
				json_decref(v);
				v = NULL;
			}
		}
		return v;
	case T_STR: {
		const char *s = *str_slot(c, k);
		return !s ? json_null() : k->secret ? json_string("(redacted)") : json_string(s);
	}
	}
	return NULL;
}

char *config_dump(const struct config *cfg)
{
	json_t *root = json_object();
	char *out;

	if (!root)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		/* A dump missing a key would misstate what is in force. */
		if (json_object_set_new(root, keys[i].name, dump_key(cfg, i)) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}

int config_audit_dir(const struct config *cfg, char *buf, size_t len)
{
	int n = cfg->audit_dir ? snprintf(buf, len, "%s", cfg->audit_dir)
			       : snprintf(buf, len, "%s/audit", cfg->state_dir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int config_state_path(const struct config *cfg, const char *leaf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", cfg->state_dir, leaf);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int config_tls_paths(const struct config *cfg, char *cert, size_t certlen, char *key,
		     size_t keylen, bool *generated)
{
	int n, m, rc;

	if (!cfg->tls_certificate != !cfg->tls_key)
		return -EINVAL;
	*generated = !cfg->tls_certificate;
	if (*generated) {
		rc = config_state_path(cfg, CONFIG_TLS_GENERATED_CERT, cert, certlen);
		return rc ? rc : config_state_path(cfg, CONFIG_TLS_GENERATED_KEY, key, keylen);
	}
	n = snprintf(cert, certlen, "%s", cfg->tls_certificate);
	m = snprintf(key, keylen, "%s", cfg->tls_key);
	return n < 0 || (size_t)n >= certlen || m < 0 || (size_t)m >= keylen ? -ENAMETOOLONG : 0;
}
