#include "policy/catalogue.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cxl/cel.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/jsonmembers.h"

#define NAME_MAX_LEN 256
#define DESCRIPTION_MAX_LEN 4096
#define FIRMWARE_PATTERN_MAX 128
#define SERIALS_MAX 4096
#define PATH_DEPTH 8
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct policy_catalogue {
	atomic_uint refs;
	char *source;
	char *text; /* the file's contents as parsed, so they can be handed on */
	size_t text_len;
	char digest[65];
	size_t count;
	struct policy_command *cmds;
};

/* Parsing context: the file (for positions) and the error buffer. */
struct pctx {
	const struct jsonfile *jf;
	char *err;
	size_t errlen;
};

/* A JSON path: object keys, or array indexes where key is NULL. Plain data,
 * safe to copy; jp_segs() turns it into what jsonfile_error wants. */
struct jpath {
	const char *key[PATH_DEPTH];
	size_t index[PATH_DEPTH];
	size_t n;
};

/* Segments for jsonfile_*: NULL-terminated, index segments formatted here. */
struct jsegs {
	const char *seg[PATH_DEPTH + 1];
	char idx[PATH_DEPTH][24];
};

static void jp_init(struct jpath *p)
{
	memset(p, 0, sizeof(*p));
}

static struct jpath jp_key(const struct jpath *parent, const char *key)
{
	struct jpath p = *parent;

	if (p.n < PATH_DEPTH) {
		p.key[p.n] = key;
		p.index[p.n] = 0;
		p.n++;
	}
	return p;
}

static struct jpath jp_index(const struct jpath *parent, size_t i)
{
	struct jpath p = *parent;

	if (p.n < PATH_DEPTH) {
		p.key[p.n] = NULL;
		p.index[p.n] = i;
		p.n++;
	}
	return p;
}

static const char *const *jp_segs(const struct jpath *p, struct jsegs *s)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->key[i]) {
			s->seg[i] = p->key[i];
		} else {
			snprintf(s->idx[i], sizeof(s->idx[i]), "[%zu]", p->index[i]);
			s->seg[i] = s->idx[i];
		}
	}
	s->seg[p->n] = NULL;
	return s->seg;
}

/* Read obj (found at p) against its declared members. */
static int read_members(const struct pctx *c, const struct jpath *p, const json_t *obj,
			const struct jm_member *m, size_t n, struct jm_value *v)
{
	struct jsegs s;

	return jm_read_file(c->jf, jp_segs(p, &s), obj, m, n, v, c->err, c->errlen);
}

static int perr(const struct pctx *c, const struct jpath *p, int key_pos, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
static int perr(const struct pctx *c, const struct jpath *p, int key_pos, const char *fmt, ...)
{
	char msg[480];
	struct jsegs s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return jsonfile_error(c->jf, jp_segs(p, &s), key_pos, c->err, c->errlen, "%s", msg);
}

static int parse_hex16(const char *s, uint16_t *out)
{
	unsigned v = 0;

	if (strncmp(s, "0x", 2) != 0 || strlen(s) != 6)
		return -EINVAL;
	for (const char *p = s + 2; *p; p++) {
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0'
								  : tolower((unsigned char)*p) - 'a' + 10);
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_serial(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n;

	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
								  : tolower((unsigned char)*p) - 'a' + 10);
	}
	*out = v;
	return 0;
}

static int id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_ID_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

static int hex_value(const struct pctx *c, const struct jpath *objpath, const char *key,
		     const struct jm_value *v, uint16_t *out)
{
	if (parse_hex16(v->str, out) < 0) {
		struct jpath p = jp_key(objpath, key);
		return perr(c, &p, 0, "%s \"%s\" must be \"0x\" followed by 4 hex digits", key,
			    v->str);
	}
	return 0;
}

/* A copy of a string member; an absent one becomes "". */
static int dup_text(const struct pctx *c, const struct jm_value *v, char **out)
{
	*out = strdup(v->json ? v->str : "");
	if (!*out) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->jf->path);
		return -ENOMEM;
	}
	return 0;
}

static const char *const known_effects_hint =
	"ConfigChangeAfterColdReset, ImmediateConfigChange, ImmediateDataChange, "
	"ImmediatePolicyChange, ImmediateLogChange, BackgroundOperation, "
	"SecondaryMailboxSupported, RequestAbortSupported, ExtendedEffectsValid, "
	"ConfigChangeAfterConventionalReset, ConfigChangeAfterCXLReset";

static int parse_effects(const struct pctx *c, json_t *arr, const struct jpath *path,
			 uint16_t *out)
{
	size_t i;
	json_t *v;
	uint16_t eff = 0;

	json_array_foreach(arr, i, v) {
		struct jpath p = jp_index(path, i);
		const char *name;
		const struct cxl_effect_name *e;

		if (!json_is_string(v))
			return perr(c, &p, 0, "effect names must be strings, not %s",
				    jm_kind(v));
		name = json_string_value(v);
		for (e = cxl_effect_names; e->name; e++)
			if (strcmp(e->name, name) == 0)
				break;
		if (!e->name || e->bit > 15)
			return perr(c, &p, 0, "unknown effect \"%s\" (known: %s)", name,
				    known_effects_hint);
		if (e->bit == 5)
			return perr(c, &p, 0,
				    "effect \"%s\" can never be approved: commands that change "
				    "the security state are refused",
				    name);
		if (eff & (1u << e->bit))
			return perr(c, &p, 0, "effect \"%s\" listed twice", name);
		eff |= (uint16_t)(1u << e->bit);
	}
	if (cxl_effects_reserved_bits(eff))
		return perr(c, path, 0,
			    "ConfigChangeAfterConventionalReset and ConfigChangeAfterCXLReset are "
			    "only valid with ExtendedEffectsValid (CEL bit 9)");
	*out = eff;
	return 0;
}

static const char *kernel_owned_why(uint16_t op)
{
	switch (op >> 8) {
	case 0x43: return "poison and scan media are managed by the kernel's media error handling";
	case 0x44: return "sanitize and secure erase run only through the kernel, which checks "
			  "the security state and committed decoders";
	case 0x45: return "persistent-memory security commands carry passphrases: kernel keys "
			  "ABI only";
	case 0x46: return "security passthrough carries plain-text secrets: kernel only";
	default: break;
	}
	switch (op) {
	case CXL_OP_TRANSFER_FW:
	case CXL_OP_ACTIVATE_FW:
		return "firmware transfer and firmware activation go through the kernel's "
		       "firmware upload path";
	case CXL_OP_SET_PARTITION_INFO:
		return "partition changes go through the kernel, which checks committed decoders";
	case CXL_OP_SET_LSA:
		return "label storage is owned by the kernel (cxl_pmem/libnvdimm labels)";
	case CXL_OP_SET_SHUTDOWN_STATE:
		return "shutdown state is tracked by the kernel (dirty shutdown accounting)";
	default: break;
	}
	return "the kernel owns this command";
}

enum { M_VENDOR, M_DEVICE, M_SERIALS, M_FIRMWARE, M__N };
static const struct jm_member match_members[M__N] = {
	[M_VENDOR] = { "vendor_id", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[M_DEVICE] = { "device_id", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[M_SERIALS] = { "serials", JM_ARRAY, 0, 1, SERIALS_MAX, NULL,
			"an array of 1 to " STRINGIFY(SERIALS_MAX)
			" serial numbers (omit it to match any serial)" },
	[M_FIRMWARE] = { "firmware", JM_STRING, 0, 1, FIRMWARE_PATTERN_MAX, NULL, NULL },
};

static int parse_serials(const struct pctx *c, json_t *serials, const struct jpath *path,
			 struct policy_match *m)
{
	struct jpath sp = jp_key(path, "serials");
	size_t i;
	json_t *v;

	m->serials = calloc(json_array_size(serials), sizeof(*m->serials));
	if (!m->serials) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->jf->path);
		return -ENOMEM;
	}
	json_array_foreach(serials, i, v) {
		struct jpath p = jp_index(&sp, i);

		if (!json_is_string(v) || parse_serial(json_string_value(v), &m->serials[i]) < 0)
			return perr(c, &p, 0, "a serial number must be a string of 1 to 16 hex digits");
		for (size_t k = 0; k < i; k++)
			if (m->serials[k] == m->serials[i])
				return perr(c, &p, 0, "serial number listed twice");
		m->n_serials++;
	}
	return 0;
}

static int parse_match(const struct pctx *c, json_t *obj, const struct jpath *path,
		       struct policy_match *m)
{
	struct jm_value v[M__N];
	int rc = read_members(c, path, obj, match_members, M__N, v);

	if (!rc)
		rc = hex_value(c, path, "vendor_id", &v[M_VENDOR], &m->vendor_id);
	if (!rc)
		rc = hex_value(c, path, "device_id", &v[M_DEVICE], &m->device_id);
	if (!rc && v[M_SERIALS].json)
		rc = parse_serials(c, v[M_SERIALS].json, path, m);
	if (!rc && v[M_FIRMWARE].json)
		rc = dup_text(c, &v[M_FIRMWARE], &m->firmware);
	return rc;
}

enum { I_MIN, I_MAX, I__N };
static const struct jm_member input_members[I__N] = {
	[I_MIN] = { "min_bytes", JM_INTEGER, JM_REQUIRED, 0, POLICY_MAX_INPUT_BYTES, NULL, NULL },
	[I_MAX] = { "max_bytes", JM_INTEGER, JM_REQUIRED, 0, POLICY_MAX_INPUT_BYTES, NULL, NULL },
};

static int parse_input(const struct pctx *c, json_t *obj, const struct jpath *path,
		       struct policy_command *cmd)
{
	struct jm_value v[I__N];
	int rc = read_members(c, path, obj, input_members, I__N, v);

	if (rc)
		return rc;
	cmd->min_bytes = (uint32_t)v[I_MIN].num;
	cmd->max_bytes = (uint32_t)v[I_MAX].num;
	if (cmd->min_bytes > cmd->max_bytes) {
		struct jpath p = jp_key(path, "min_bytes");
		return perr(c, &p, 0, "min_bytes (%u) is greater than max_bytes (%u)",
			    cmd->min_bytes, cmd->max_bytes);
	}
	return 0;
}

enum { C_ID, C_NAME, C_DESCRIPTION, C_OPCODE, C_MATCH, C_EFFECTS, C_INPUT, C_FLOOR, C__N };
static const struct jm_member command_members[C__N] = {
	[C_ID] = { "id", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[C_NAME] = { "name", JM_STRING, JM_REQUIRED, 1, NAME_MAX_LEN, NULL, NULL },
	[C_DESCRIPTION] = { "description", JM_STRING, 0, 1, DESCRIPTION_MAX_LEN, NULL, NULL },
	[C_OPCODE] = { "opcode", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
	[C_MATCH] = { "match", JM_OBJECT, JM_REQUIRED, 0, 0, NULL, NULL },
	[C_EFFECTS] = { "effects", JM_ARRAY, JM_REQUIRED, 0, 0, NULL, NULL },
	[C_INPUT] = { "input", JM_OBJECT, JM_REQUIRED, 0, 0, NULL, NULL },
	[C_FLOOR] = { "privilege_floor", JM_STRING, 0, 0, 0, NULL, NULL },
};

static int parse_opcode(const struct pctx *c, const struct jpath *path, const struct jm_value *v,
			struct policy_command *cmd)
{
	int rc = hex_value(c, path, "opcode", v, &cmd->opcode);

	if (!rc && cxl_opcode_kernel_owned(cmd->opcode)) {
		struct jpath p = jp_key(path, "opcode");
		const char *name = cxl_opcode_name(cmd->opcode);
		return perr(c, &p, 0, "opcode 0x%04X%s%s%s is kernel-owned and cannot be approved: %s",
			    cmd->opcode, name ? " (" : "", name ? name : "", name ? ")" : "",
			    kernel_owned_why(cmd->opcode));
	}
	return rc;
}

static int parse_floor(const struct pctx *c, const struct jpath *path, const struct jm_value *v,
		       struct policy_command *cmd)
{
	privset_t bit = privilege_from_name(v->str);

	if (bit != PRIV_CXL_COMMAND_READ && bit != PRIV_CXL_COMMAND_CONFIGURE &&
	    bit != PRIV_CXL_COMMAND_WRITE_FULL) {
		struct jpath p = jp_key(path, "privilege_floor");
		return perr(c, &p, 0,
			    "privilege_floor \"%s\" must be CxlCommandRead, CxlCommandConfigure or "
			    "CxlCommandWriteFull",
			    v->str);
	}
	cmd->privilege_floor = bit;
	return 0;
}

static int parse_command(const struct pctx *c, json_t *obj, const struct jpath *path,
			 struct policy_command *cmd)
{
	struct jm_value v[C__N];
	struct jpath p;
	int rc;

	if (!json_is_object(obj))
		return perr(c, path, 0, "a command must be an object, not %s", jm_kind(obj));
	if ((rc = read_members(c, path, obj, command_members, C__N, v)))
		return rc;
	if (!id_valid(v[C_ID].str)) {
		p = jp_key(path, "id");
		return perr(c, &p, 0, "id \"%s\" must be 1 to %d of [A-Za-z0-9_-]", v[C_ID].str,
			    POLICY_ID_MAX);
	}
	snprintf(cmd->id, sizeof(cmd->id), "%s", v[C_ID].str); /* id_valid bounds it */
	if ((rc = dup_text(c, &v[C_NAME], &cmd->name)) ||
	    (rc = dup_text(c, &v[C_DESCRIPTION], &cmd->description)) ||
	    (rc = parse_opcode(c, path, &v[C_OPCODE], cmd)))
		return rc;
	p = jp_key(path, "match");
	if ((rc = parse_match(c, v[C_MATCH].json, &p, &cmd->match)))
		return rc;
	p = jp_key(path, "effects");
	if ((rc = parse_effects(c, v[C_EFFECTS].json, &p, &cmd->effects)))
		return rc;
	p = jp_key(path, "input");
	if ((rc = parse_input(c, v[C_INPUT].json, &p, cmd)))
		return rc;
	return v[C_FLOOR].json ? parse_floor(c, path, &v[C_FLOOR], cmd) : 0;
}

static int firmware_overlap(const char *a, const char *b)
{
	if (!a || !b || strcmp(a, b) == 0)
		return 1;
	return fnmatch(a, b, 0) == 0 || fnmatch(b, a, 0) == 0;
}

static int matches_overlap(const struct policy_match *a, const struct policy_match *b)
{
	if (a->vendor_id != b->vendor_id || a->device_id != b->device_id)
		return 0;
	if (a->serials && b->serials) {
		int any = 0;
		for (size_t i = 0; i < a->n_serials && !any; i++)
			for (size_t k = 0; k < b->n_serials && !any; k++)
				any = a->serials[i] == b->serials[k];
		if (!any)
			return 0;
	}
	return firmware_overlap(a->firmware, b->firmware);
}

static void command_release(struct policy_command *cmd)
{
	free(cmd->name);
	free(cmd->description);
	free(cmd->match.serials);
	free(cmd->match.firmware);
}

static void catalogue_free(struct policy_catalogue *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->count; i++)
		command_release(&cat->cmds[i]);
	free(cat->cmds);
	free(cat->source);
	free(cat->text);
	free(cat);
}

static struct policy_catalogue *catalogue_alloc(const char *source)
{
	struct policy_catalogue *cat = calloc(1, sizeof(*cat));

	if (!cat)
		return NULL;
	atomic_init(&cat->refs, 1);
	cat->source = strdup(source);
	if (!cat->source) {
		free(cat);
		return NULL;
	}
	return cat;
}

struct policy_catalogue *catalogue_new_empty(void)
{
	return catalogue_alloc("");
}

static int digest_hex(const char *text, size_t len, char out[65])
{
	unsigned char md[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, md))
		return -EIO;
	for (unsigned i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

enum { R_SCHEMA, R_VERSION, R_COMMANDS, R__N };
static const struct jm_member root_members[R__N] = {
	[R_SCHEMA] = { "$schema", JM_STRING, 0, 0, 0, NULL, NULL },
	[R_VERSION] = { "version", JM_INTEGER, 0, 0, 0, NULL, NULL },
	[R_COMMANDS] = { "commands", JM_ARRAY, JM_REQUIRED, 0, 0, NULL, NULL },
};

static int parse_root(const struct pctx *c, struct policy_catalogue *cat)
{
	json_t *root = c->jf->root, *v, *cmds;
	struct jm_value rv[R__N];
	struct jpath rootp, cp;
	size_t i;
	int rc;

	jp_init(&rootp);
	if (!json_is_object(root))
		return perr(c, &rootp, 0, "the catalogue must be an object, not %s", jm_kind(root));
	if ((rc = read_members(c, &rootp, root, root_members, R__N, rv)))
		return rc;
	if (rv[R_VERSION].json && rv[R_VERSION].num != 1) {
		struct jpath p = jp_key(&rootp, "version");
		return perr(c, &p, 0, "unsupported catalogue version %lld (this agent reads version 1)",
			    rv[R_VERSION].num);
	}
	cmds = rv[R_COMMANDS].json;
	cp = jp_key(&rootp, "commands");
	if (json_array_size(cmds)) {
		cat->cmds = calloc(json_array_size(cmds), sizeof(*cat->cmds));
		if (!cat->cmds) {
			snprintf(c->err, c->errlen, "%s: out of memory", c->jf->path);
			return -ENOMEM;
		}
	}
	json_array_foreach(cmds, i, v) {
		struct jpath p = jp_index(&cp, i);
		struct policy_command *cmd = &cat->cmds[i];

		cat->count = i + 1; /* so a partial entry is released on error */
		rc = parse_command(c, v, &p, cmd);
		if (rc)
			return rc;
		for (size_t k = 0; k < i; k++) {
			const struct policy_command *o = &cat->cmds[k];
			if (strcmp(o->id, cmd->id) == 0) {
				struct jpath ip = jp_key(&p, "id");
				return perr(c, &ip, 0, "duplicate id \"%s\" (also commands[%zu])",
					    cmd->id, k);
			}
			if (o->opcode == cmd->opcode && matches_overlap(&o->match, &cmd->match)) {
				struct jpath op = jp_key(&p, "opcode");
				return perr(c, &op, 0,
					    "opcode 0x%04X is already approved by \"%s\" for an "
					    "overlapping set of devices; make the matches disjoint "
					    "(serials or firmware)",
					    cmd->opcode, o->id);
			}
		}
	}
	return 0;
}

static int only_whitespace(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || text[i] == '\0')
			return 0;
	return 1;
}

int catalogue_parse(const char *name, const char *text, size_t len,
		    struct policy_catalogue **out, char *err, size_t errlen)
{
	struct policy_catalogue *cat = catalogue_alloc(name);
	struct jsonfile jf;
	struct pctx c = { &jf, err, errlen };
	int rc;

	*out = NULL;
	if (cat && (cat->text = malloc(len + 1))) {
		memcpy(cat->text, text, len);
		cat->text[len] = '\0';
		cat->text_len = len;
	}
	if (!cat || !cat->text) {
		catalogue_free(cat);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (only_whitespace(text, len)) {
		*out = cat;
		return 0;
	}
	if (digest_hex(text, len, cat->digest) < 0) {
		snprintf(err, errlen, "%s: cannot compute SHA-256", name);
		catalogue_free(cat);
		return -EIO;
	}
	rc = jsonfile_parse(name, text, len, &jf, err, errlen);
	if (rc) {
		catalogue_free(cat);
		return rc;
	}
	rc = parse_root(&c, cat);
	jsonfile_release(&jf);
	if (rc) {
		catalogue_free(cat);
		return rc;
	}
	*out = cat;
	return 0;
}

int catalogue_load(const char *path, struct policy_catalogue **out, char *err,
		   size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (stat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s:0:0: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s:0:0: not a regular file", path);
		return -EINVAL;
	}
	rc = file_read_all(path, POLICY_FILE_MAX_BYTES, &text, &len);
	if (rc) {
		if (rc == -EFBIG)
			snprintf(err, errlen, "%s:0:0: larger than %u bytes", path,
				 POLICY_FILE_MAX_BYTES);
		else
			snprintf(err, errlen, "%s:0:0: cannot read: %s", path, strerror(-rc));
		return rc;
	}
	rc = catalogue_parse(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

struct policy_catalogue *catalogue_ref(struct policy_catalogue *cat)
{
	if (cat)
		atomic_fetch_add_explicit(&cat->refs, 1, memory_order_relaxed);
	return cat;
}

void catalogue_unref(struct policy_catalogue *cat)
{
	if (cat && atomic_fetch_sub_explicit(&cat->refs, 1, memory_order_acq_rel) == 1)
		catalogue_free(cat);
}

const char *catalogue_source(const struct policy_catalogue *cat)
{
	return cat->source;
}

const char *catalogue_text(const struct policy_catalogue *cat, size_t *len)
{
	*len = cat && cat->text ? cat->text_len : 0;
	return cat && cat->text ? cat->text : "";
}

const char *catalogue_digest(const struct policy_catalogue *cat)
{
	return cat->digest;
}

size_t catalogue_count(const struct policy_catalogue *cat)
{
	return cat ? cat->count : 0;
}

const struct policy_command *catalogue_at(const struct policy_catalogue *cat, size_t i)
{
	return cat && i < cat->count ? &cat->cmds[i] : NULL;
}

const struct policy_command *catalogue_find_id(const struct policy_catalogue *cat,
					       const char *id)
{
	for (size_t i = 0; cat && id && i < cat->count; i++)
		if (strcmp(cat->cmds[i].id, id) == 0)
			return &cat->cmds[i];
	return NULL;
}

const struct policy_command *catalogue_find(const struct policy_catalogue *cat,
					    uint16_t opcode, const struct policy_device *dev)
{
	const struct policy_command *found = NULL;

	for (size_t i = 0; cat && i < cat->count; i++) {
		const struct policy_command *cmd = &cat->cmds[i];
		if (cmd->opcode != opcode || policy_match_device(cmd, dev) != POLICY_MATCH_OK)
			continue;
		if (found)
			return NULL;
		found = cmd;
	}
	return found;
}

/* The Identify firmware field is 16 bytes, blank- or NUL-padded; patterns are
 * written against the visible text. */
static int firmware_matches(const char *pattern, const char *fw)
{
	char buf[FIRMWARE_PATTERN_MAX + 1];
	size_t n;

	if (!fw)
		return 0;
	n = strlen(fw);
	if (n > FIRMWARE_PATTERN_MAX)
		return 0;
	memcpy(buf, fw, n);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return fnmatch(pattern, buf, 0) == 0;
}

enum policy_match_result policy_match_device(const struct policy_command *cmd,
					     const struct policy_device *dev)
{
	const struct policy_match *m = &cmd->match;

	if (m->vendor_id != dev->vendor_id)
		return POLICY_MATCH_VENDOR;
	if (m->device_id != dev->device_id)
		return POLICY_MATCH_DEVICE;
	if (m->serials) {
		size_t i = 0;
		while (i < m->n_serials && m->serials[i] != dev->serial)
			i++;
		if (i == m->n_serials)
			return POLICY_MATCH_SERIAL;
	}
	if (m->firmware && !firmware_matches(m->firmware, dev->firmware))
		return POLICY_MATCH_FIRMWARE;
	return POLICY_MATCH_OK;
}

int catalogue_cell_init(struct catalogue_cell *cell, struct policy_catalogue *cat)
{
	int rc = pthread_mutex_init(&cell->lock, NULL);

	if (rc)
		return -rc;
	cell->cat = cat;
	return 0;
}

void catalogue_cell_destroy(struct catalogue_cell *cell)
{
	catalogue_unref(cell->cat);
	cell->cat = NULL;
	pthread_mutex_destroy(&cell->lock);
}

struct policy_catalogue *catalogue_cell_get(struct catalogue_cell *cell)
{
	struct policy_catalogue *cat;

	pthread_mutex_lock(&cell->lock);
	cat = catalogue_ref(cell->cat);
	pthread_mutex_unlock(&cell->lock);
	return cat;
}

void catalogue_cell_replace(struct catalogue_cell *cell, struct policy_catalogue *cat)
{
	struct policy_catalogue *old;

	pthread_mutex_lock(&cell->lock);
	old = cell->cat;
	cell->cat = cat;
	pthread_mutex_unlock(&cell->lock);
	catalogue_unref(old);
}
