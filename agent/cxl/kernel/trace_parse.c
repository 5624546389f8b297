/* Decoding of the CXL driver's trace lines (trace_parse.h). The line is
 * split into key=value fields the way the kernel's print formats build it:
 * values in single quotes may hold spaces ('A | B', 'ECC Error'), hex dumps
 * (__print_hex) are space-separated bytes that continue the previous value,
 * and a lone ':' separates the common header from the event's own fields. */
#include "cxl/kernel/trace_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

#define LINE_MAX_BYTES 2048u
#define FIELDS_MAX 48u

const char *const cxl_trace_event_names[] = {
	"cxl_generic_event", "cxl_general_media", "cxl_dram",
	"cxl_memory_module", "cxl_poison",        NULL,
};
/* What a DeviceLog entry calls each, in the order above. */
static const char *const kinds[] = {
	"Generic", "General Media", "DRAM", "Memory Module", "Poison",
};
#define EV_GENERIC 0
#define EV_POISON 4
/* Keys each event has printed since it first appeared (6.3; cxl_poison
 * 6.5), its last one among them: a line cut before them is rejected. Later
 * kernels append fields (hpa, region) after these. */
static const char *const required[][6] = {
	{ "data", NULL },
	{ "dpa", "descriptor", "type", "transaction_type", "validity_flags", NULL },
	{ "dpa", "descriptor", "type", "row", "cor_mask", "validity_flags" },
	{ "event_type", "health_status", "media_status", "cor_vol_err_cnt", "cor_per_err_cnt",
	  NULL },
	{ "trace_type", "region", "hpa", "dpa", "dpa_length", "overflow_time" },
};
#define KEYS_PER_EVENT (sizeof(required[0]) / sizeof(required[0][0]))

struct field {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

struct fields {
	struct field f[FIELDS_MAX];
	size_t n;
	const char *section2; /* text after the second lone ':', or NULL */
};

static const struct field *get(const struct fields *fs, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].klen == kl && memcmp(fs->f[i].key, key, kl) == 0)
			return &fs->f[i];
	return NULL;
}

static int add(struct fields *fs, const char *key, size_t klen, const char *val, size_t vlen)
{
	if (fs->n == FIELDS_MAX)
		return -EPROTO;
	fs->f[fs->n++] = (struct field){ key, klen, val, vlen };
	return 0;
}

/* Split s (NUL-terminated) into fields. Bare tokens after the second ':'
 * before any key form the field "data" (the generic event's hex dump). */
static int split(const char *s, struct fields *fs)
{
	struct field *cont = NULL; /* unquoted value that bare tokens extend */
	int section = 0;

	memset(fs, 0, sizeof(*fs));
	for (const char *p = s;;) {
		const char *tok, *eq;
		size_t tlen;

		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		tok = p;
		tlen = strcspn(p, " ");
		eq = memchr(tok, '=', tlen);
		if (tlen == 1 && *tok == ':') {
			if (++section == 2)
				fs->section2 = tok + 1 + strspn(tok + 1, " ");
			cont = NULL;
			p = tok + 1;
			continue;
		}
		if (!eq) {
			if (!cont && section == 2 && fs->n && !get(fs, "data")) {
				if (add(fs, "data", 4, tok, tlen))
					return -EPROTO;
				cont = &fs->f[fs->n - 1];
			} else if (!cont) {
				return -EPROTO;
			}
			cont->vlen = (size_t)(tok + tlen - cont->val);
			p = tok + tlen;
			continue;
		}
		if (eq[1] == '\'') {
			const char *end = strchr(eq + 2, '\'');
			if (!end)
				return -EPROTO; /* cut inside a quoted value */
			if (add(fs, tok, (size_t)(eq - tok), eq + 2, (size_t)(end - eq - 2)))
				return -EPROTO;
			cont = NULL;
			p = end + 1;
			if (*p && *p != ' ')
				return -EPROTO;
			continue;
		}
		if (add(fs, tok, (size_t)(eq - tok), eq + 1, tlen - (size_t)(eq + 1 - tok)))
			return -EPROTO;
		cont = &fs->f[fs->n - 1];
		p = tok + tlen;
	}
}

static int has_required(const struct fields *fs, int which)
{
	for (size_t i = 0; i < KEYS_PER_EVENT && required[which][i]; i++)
		if (!get(fs, required[which][i]))
			return -EPROTO;
	return 0;
}

static int num(const struct field *f, int base, bool is_signed, uint64_t max, uint64_t *out)
{
	char buf[32];
	char *end;

	if (!f || f->vlen == 0 || f->vlen >= sizeof(buf))
		return -EPROTO;
	memcpy(buf, f->val, f->vlen);
	buf[f->vlen] = '\0';
	if (!is_signed && buf[0] == '-')
		return -EPROTO;
	if (buf[0] == '+' || buf[0] == ' ')
		return -EPROTO;
	errno = 0;
	if (is_signed)
		*out = (uint64_t)strtoll(buf, &end, base);
	else
		*out = strtoull(buf, &end, base);
	if (errno || *end || (!is_signed && *out > max))
		return -EPROTO;
	return 0;
}

/* %pUb: 36 characters, the 16 bytes in order with dashes after 4, 6, 8, 10. */
static int uuid(const struct field *f, uint8_t out[16])
{
	size_t k = 0;

	if (!f || f->vlen != 36)
		return -EPROTO;
	for (size_t i = 0; i < 36;) {
		int hi, lo;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (f->val[i++] != '-')
				return -EPROTO;
			continue;
		}
		hi = hex_digit(f->val[i]);
		lo = hex_digit(f->val[i + 1]);
		if (hi < 0 || lo < 0)
			return -EPROTO;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

/* __print_hex: exactly max bytes "xx xx ...". */
static int hexdump(const struct field *f, uint8_t *out, size_t max)
{
	size_t k = 0, i = 0;

	if (!f)
		return -EPROTO;
	while (i < f->vlen) {
		int hi, lo;
		if (k == max || i + 2 > f->vlen)
			return -EPROTO;
		hi = hex_digit(f->val[i]);
		lo = hex_digit(f->val[i + 1]);
		if (hi < 0 || lo < 0)
			return -EPROTO;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (i < f->vlen && f->val[i++] != ' ')
			return -EPROTO;
	}
	return k == max ? 0 : -EPROTO;
}

/* __print_flags(hdr_flags, " | ", ...): names of bits 2-5, and whatever is
 * left as 0x%lx. */
static int hdr_flags(const struct field *f, uint8_t *out)
{
	static const char *const names[] = { "PERMANENT_CONDITION", "MAINTENANCE_NEEDED",
					     "PERFORMANCE_DEGRADED",
					     "HARDWARE_REPLACEMENT_NEEDED" };
	uint64_t v = 0;

	if (!f)
		return -EPROTO;
	for (size_t i = 0; i < f->vlen;) {
		size_t n = 0;
		bool known = false;
		while (i + n < f->vlen && f->val[i + n] != ' ' && f->val[i + n] != '|')
			n++;
		for (unsigned b = 0; b < 4 && n; b++) {
			if (strlen(names[b]) == n && memcmp(f->val + i, names[b], n) == 0) {
				v |= 1u << (b + 2);
				known = true;
			}
		}
		if (!known && n) {
			struct field rest = { NULL, 0, f->val + i, n };
			uint64_t x;
			if (n < 3 || memcmp(f->val + i, "0x", 2) || num(&rest, 16, false, 0xFFFFFF, &x))
				return -EPROTO;
			v |= x;
		}
		i += n;
		while (i < f->vlen && (f->val[i] == ' ' || f->val[i] == '|'))
			i++;
	}
	*out = (uint8_t)(v & 0xFF); /* the record's first flags byte; bits 8-23 reserved */
	return 0;
}

static int log_of(const struct field *f, enum cxl_event_log *out)
{
	static const char *const names[] = { "Informational", "Warning", "Failure", "Fatal" };
	for (int i = 0; f && i < 4; i++) {
		if (strlen(names[i]) == f->vlen && memcmp(f->val, names[i], f->vlen) == 0) {
			*out = (enum cxl_event_log)i;
			return 0;
		}
	}
	return -EPROTO;
}

/* The common header of the four event-record events. */
static int header(const struct fields *fs, struct cxl_event *ev)
{
	uint64_t t, h;

	if (log_of(get(fs, "log"), &ev->log) || num(get(fs, "time"), 10, false, UINT64_MAX, &t) ||
	    uuid(get(fs, "uuid"), ev->uuid) || hdr_flags(get(fs, "flags"), &ev->flags) ||
	    num(get(fs, "handle"), 16, false, 0xFFFF, &h))
		return -EPROTO;
	ev->timestamp_ns = t;
	ev->handle = (uint16_t)h;
	return 0;
}

/* Find "<name>: memdev=" at the start of s or after a space; which event, and
 * where its fields start. */
static int locate(const char *s, const char **fields_at)
{
	for (int i = 0; cxl_trace_event_names[i]; i++) {
		size_t n = strlen(cxl_trace_event_names[i]);
		for (const char *p = strstr(s, cxl_trace_event_names[i]); p;
		     p = strstr(p + 1, cxl_trace_event_names[i])) {
			if ((p == s || p[-1] == ' ') && strncmp(p + n, ": memdev=", 9) == 0) {
				*fields_at = p + n + 2;
				return i;
			}
		}
	}
	return -ENOENT;
}

static void set_detail(struct cxl_event *ev, int which, const char *text)
{
	size_t n = strlen(text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\r'))
		n--;
	snprintf(ev->detail, sizeof(ev->detail), "%s: %.*s", kinds[which], (int)n, text);
}

int cxl_trace_parse_line(const char *line, size_t len, struct cxl_trace_rec *out)
{
	char buf[LINE_MAX_BYTES];
	struct fields fs;
	const struct field *md;
	const char *at;
	uint64_t serial;
	int which;

	memset(out, 0, sizeof(*out));
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1; /* a cut line then fails below if it is ours */
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EPROTO;
	which = locate(buf, &at);
	if (which < 0)
		return -ENOENT;
	if (split(at, &fs))
		return -EPROTO;
	md = get(&fs, "memdev");
	if (!md || md->vlen == 0 || md->vlen >= sizeof(out->memdev) ||
	    num(get(&fs, "serial"), 10, true, 0, &serial))
		return -EPROTO;
	if (has_required(&fs, which))
		return -EPROTO;
	memcpy(out->memdev, md->val, md->vlen);
	out->serial = serial;
	out->ev.source = CXL_EVENT_SOURCE_KERNEL_TRACE;
	if (which == EV_POISON) {
		const struct field *tt = get(&fs, "trace_type");
		out->ev.log = CXL_EVENT_LOG_INFO;
		set_detail(&out->ev, which, tt->key);
		return 0;
	}
	if (header(&fs, &out->ev) || !fs.section2)
		return -EPROTO;
	if (which == EV_GENERIC) {
		if (hexdump(get(&fs, "data"), out->ev.data, sizeof(out->ev.data)))
			return -EPROTO;
		out->ev.data_len = sizeof(out->ev.data);
		snprintf(out->ev.detail, sizeof(out->ev.detail), "%s", kinds[which]);
		return 0;
	}
	if (!*fs.section2)
		return -EPROTO;
	set_detail(&out->ev, which, fs.section2);
	return 0;
}
