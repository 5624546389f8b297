/* The Accept header is read in place, without allocation: it arrives on
 * every request and a value is at most a header line long. */
#include "http/accept.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* One element of the list, as far as matching needs it. */
struct range {
	const char *type, *subtype;
	size_t type_len, subtype_len;
	int q; /* thousandths */
};

/* RFC 9110 tchar. */
static bool is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
	case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return true;
	default:
		return false;
	}
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *token(const char *p, size_t *len)
{
	const char *s = p;

	while (is_tchar(*p))
		p++;
	*len = (size_t)(p - s);
	return p;
}

/* A quoted-string from its opening quote; NULL if it does not close. */
static const char *quoted(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return NULL;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 when s (len bytes) is not one. */
static int qvalue(const char *s, size_t len)
{
	int q, scale = 100;

	if (len == 0 || (s[0] != '0' && s[0] != '1') || len > 5 || (len > 1 && s[1] != '.'))
		return -1;
	q = (s[0] - '0') * 1000;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (q == 1000 && s[i] != '0'))
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q;
}

/* Parameters after a media range, up to the end of the element. Returns
 * the position after them, or NULL if they do not parse. */
static const char *parameters(const char *p, struct range *r)
{
	for (;;) {
		const char *name, *value;
		size_t name_len, value_len;

		p = skip_ows(p);
		if (*p != ';')
			return p;
		p = skip_ows(p + 1);
		name = p;
		p = token(p, &name_len);
		if (name_len == 0 || *p != '=')
			return NULL;
		value = ++p;
		if (*p == '"') {
			if (!(p = quoted(p)))
				return NULL;
			value_len = 0; /* a quoted weight is not a qvalue */
		} else {
			p = token(p, &value_len);
			if (value_len == 0)
				return NULL;
		}
		if (name_len == 1 && (name[0] == 'q' || name[0] == 'Q') &&
		    (r->q = value_len ? qvalue(value, value_len) : -1) < 0)
			return NULL;
	}
}

/* One element at p into r. Returns the position of the ',' or NUL ending
 * it, and whether it parsed in *ok. */
static const char *element(const char *p, struct range *r, bool *ok)
{
	const char *end;

	r->q = 1000;
	r->type = p = skip_ows(p);
	p = token(p, &r->type_len);
	*ok = r->type_len > 0 && *p == '/';
	if (*ok) {
		r->subtype = ++p;
		p = token(p, &r->subtype_len);
		*ok = r->subtype_len > 0 &&
		      !(r->type_len == 1 && r->type[0] == '*' &&
			!(r->subtype_len == 1 && r->subtype[0] == '*'));
	}
	if (*ok && (end = parameters(p, r)) && (*end == ',' || *end == '\0'))
		return end;
	/* Skip what does not parse, to the next ',' outside a quoted-string. */
	*ok = false;
	while (*p && *p != ',') {
		const char *next = *p == '"' ? quoted(p) : p + 1;
		if (!next)
			return p + strlen(p);
		p = next;
	}
	return p;
}

static bool part_is(const char *s, size_t len, const char *want, size_t want_len)
{
	return len == want_len && strncasecmp(s, want, len) == 0;
}

/* How specifically r names media: 2 type/subtype, 1 type/ *, 0 * / *, -1
 * not at all. */
static int specificity(const struct range *r, const char *media)
{
	const char *slash = strchr(media, '/');
	size_t type_len = slash ? (size_t)(slash - media) : strlen(media);
	const char *sub = slash ? slash + 1 : "";

	if (part_is(r->type, r->type_len, "*", 1))
		return 0;
	if (!part_is(r->type, r->type_len, media, type_len))
		return -1;
	if (part_is(r->subtype, r->subtype_len, "*", 1))
		return 1;
	return part_is(r->subtype, r->subtype_len, sub, strlen(sub)) ? 2 : -1;
}

bool http_accept_allows(const char *accept, const char *media)
{
	bool any_parsed = false;
	int best = -1, best_q = 0;
	const char *p = accept;

	if (!accept)
		return true;
	for (;;) {
		struct range r;
		bool ok;
		int s;

		p = element(p, &r, &ok);
		if (ok) {
			any_parsed = true;
			s = specificity(&r, media);
			if (s > best || (s == best && r.q > best_q)) {
				best = s;
				best_q = r.q;
			}
		}
		if (*p == '\0')
			break;
		p++;
	}
	return !any_parsed || (best >= 0 && best_q > 0);
}
