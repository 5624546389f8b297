#include "http/uri.h"

#include <errno.h>
#include <string.h>

#include "util/base64.h"

/* A UTF-8 checker fed one byte at a time: need is how many continuation
 * bytes are still expected, lo..hi the range the next one must fall in. */
struct utf8_state {
	unsigned need;
	unsigned char lo, hi;
};

static bool utf8_feed(struct utf8_state *st, unsigned char c)
{
	if (st->need) {
		if (c < st->lo || c > st->hi)
			return false;
		st->need--;
		st->lo = 0x80;
		st->hi = 0xbf;
		return true;
	}
	if (c < 0x80)
		return true;
	st->lo = 0x80;
	st->hi = 0xbf;
	/* The ranges of the second byte exclude overlong forms, surrogates
	 * and code points above U+10FFFF. */
	if (c >= 0xc2 && c <= 0xdf) {
		st->need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		st->need = 2;
		if (c == 0xe0)
			st->lo = 0xa0;
		else if (c == 0xed)
			st->hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		st->need = 3;
		if (c == 0xf0)
			st->lo = 0x90;
		else if (c == 0xf4)
			st->hi = 0x8f;
	} else {
		return false;
	}
	return true;
}

bool uri_utf8_valid(const unsigned char *s, size_t len)
{
	struct utf8_state st = { 0, 0x80, 0xbf };

	for (size_t i = 0; i < len; i++)
		if (!utf8_feed(&st, s[i]))
			return false;
	return st.need == 0;
}

/* The byte at s[*i], decoded, advancing *i; -1 for a malformed escape. */
static int next_byte(const char *s, size_t *i)
{
	unsigned char c = (unsigned char)s[*i];
	int h, l;

	if (c != '%') {
		(*i)++;
		return c;
	}
	/* hex_digit('\0') is -1, so a truncated escape stops here. */
	if ((h = hex_digit(s[*i + 1])) < 0 || (l = hex_digit(s[*i + 2])) < 0)
		return -1;
	*i += 3;
	return h * 16 + l;
}

ssize_t uri_unescape(char *s)
{
	struct utf8_state st = { 0, 0x80, 0xbf };
	size_t i = 0, out = 0;
	int c;

	/* Check everything before writing anything, so that a refused string
	 * is left as it arrived (for the error message). */
	while (s[i]) {
		if ((c = next_byte(s, &i)) < 0 || c < 0x20 || c == 0x7f ||
		    !utf8_feed(&st, (unsigned char)c))
			return -EINVAL;
	}
	if (st.need)
		return -EINVAL;
	for (i = 0; s[i];)
		s[out++] = (char)next_byte(s, &i);
	s[out] = '\0';
	return (ssize_t)out;
}

bool uri_path_clean(const char *path)
{
	const char *seg = path;

	while (seg) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		seg = end ? end + 1 : NULL;
	}
	return true;
}
