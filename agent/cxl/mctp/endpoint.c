#include "cxl/mctp/endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIAL_PREFIX "serial:"

/* A decimal or 0x number within [lo, hi], the whole of s..s+len. */
static int parse_num(const char *s, size_t len, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char buf[24];
	char *end = NULL;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= CXL_MCTP_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* One key=value word. */
static int parse_word(const char *w, size_t len, struct cxl_mctp_endpoint_spec *o, bool *has_eid,
		      bool *has_net, char *why, size_t whylen)
{
	const char *eq = memchr(w, '=', len);
	size_t klen = eq ? (size_t)(eq - w) : len;
	const char *v = eq ? eq + 1 : w + len;
	size_t vlen = eq ? len - klen - 1 : 0;
	unsigned long n;

	if (!eq) {
		snprintf(why, whylen, "\"%.*s\" is not key=value", (int)len, w);
		return -EINVAL;
	}
	if (klen == 3 && !strncmp(w, "eid", 3)) {
		if (parse_num(v, vlen, 8, 254, &n))
			goto range;
		o->eid = (uint8_t)n;
		*has_eid = true;
	} else if (klen == 5 && !strncmp(w, "local", 5)) {
		if (parse_num(v, vlen, 8, 254, &n))
			goto range;
		o->local_eid = (uint8_t)n;
	} else if (klen == 3 && !strncmp(w, "net", 3)) {
		if (parse_num(v, vlen, 0, 0xFFFFFFFFul, &n))
			goto range;
		o->network = (uint32_t)n;
		*has_net = true;
	} else if (klen == 10 && !strncmp(w, "timeout_ms", 10)) {
		if (parse_num(v, vlen, 10, 60000, &n)) {
			snprintf(why, whylen, "timeout_ms must be 10..60000");
			return -EINVAL;
		}
		o->timeout_ms = (unsigned)n;
	} else if (klen == 7 && !strncmp(w, "retries", 7)) {
		if (parse_num(v, vlen, 0, 7, &n)) {
			snprintf(why, whylen, "retries must be 0..7");
			return -EINVAL;
		}
		o->retries = (int)n;
	} else if (klen == 4 && !strncmp(w, "name", 4)) {
		if (!name_ok(v, vlen)) {
			snprintf(why, whylen, "name must be 1 to %d of A-Z a-z 0-9 - _",
				 CXL_MCTP_NAME_MAX - 1);
			return -EINVAL;
		}
		memcpy(o->name, v, vlen);
		o->name[vlen] = '\0';
	} else {
		snprintf(why, whylen, "unknown key \"%.*s\" (net, eid, local, name, timeout_ms, retries)", (int)klen, w);
		return -EINVAL;
	}
	return 0;
range:
	snprintf(why, whylen, "%.*s must be %s", (int)klen, w,
		 klen == 3 && w[0] == 'n' ? "a number 0..4294967295" : "an EID 8..254");
	return -EINVAL;
}

int cxl_mctp_endpoint_parse(const char *text, struct cxl_mctp_endpoint_spec *o, char *why,
			    size_t whylen)
{
	const char *p = text;
	bool has_eid = false, has_net = false;

	memset(o, 0, sizeof(*o));
	o->local_eid = 9;
	o->retries = -1;
	if (!strncmp(p, SERIAL_PREFIX, strlen(SERIAL_PREFIX))) {
		const char *path = p + strlen(SERIAL_PREFIX);
		size_t plen = strcspn(path, ",");
		if (plen == 0 || plen >= CXL_MCTP_PATH_MAX || path[0] != '/') {
			snprintf(why, whylen, "serial: needs an absolute device path under %d bytes",
				 CXL_MCTP_PATH_MAX);
			return -EINVAL;
		}
		memcpy(o->serial_path, path, plen);
		o->serial_path[plen] = '\0';
		o->eid = 8;
		has_eid = true;
		p = path + plen;
		if (*p == ',')
			p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int rc = parse_word(p, len, o, &has_eid, &has_net, why, whylen);
		if (rc)
			return rc;
		p += len;
		if (*p == ',' && !*++p) {
			snprintf(why, whylen, "trailing comma");
			return -EINVAL;
		}
	}
	if (!has_eid) {
		snprintf(why, whylen, "eid=N is required (or serial:/path)");
		return -EINVAL;
	}
	if (o->serial_path[0] && has_net) {
		snprintf(why, whylen, "net applies to kernel MCTP, not to serial:");
		return -EINVAL;
	}
	if (o->serial_path[0] && o->local_eid == o->eid) {
		snprintf(why, whylen, "local and eid must differ");
		return -EINVAL;
	}
	if (!o->name[0]) {
		if (o->serial_path[0])
			snprintf(o->name, sizeof(o->name), "mctp-serial-%u", (unsigned)o->eid);
		else
			snprintf(o->name, sizeof(o->name), "mctp-%u-%u", (unsigned)o->network,
				 (unsigned)o->eid);
	}
	return 0;
}

bool cxl_mctp_endpoints_need_net_raw(const char *const *texts, size_t n)
{
	struct cxl_mctp_endpoint_spec spec;
	char why[128];

	for (size_t i = 0; i < n; i++)
		if (cxl_mctp_endpoint_parse(texts[i], &spec, why, sizeof(why)) != 0 ||
		    !spec.serial_path[0])
			return true;
	return false;
}
