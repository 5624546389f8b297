/* Strict decoding of request URIs. A path or query that could mean two
 * things to two parsers (an escaped NUL that C strings would cut short, a
 * control character, a malformed escape, bytes that are not UTF-8, a dot
 * segment) is refused instead of being guessed at. */
#ifndef CXLA_HTTP_URI_H
#define CXLA_HTTP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Percent-decode s in place. Returns the decoded length, or -EINVAL when s
 * holds a malformed escape, a NUL, a control character (raw or escaped,
 * DEL included) or a byte sequence that is not UTF-8; s is then unchanged.
 * '+' is kept as it is: it means a space only in HTML forms. */
ssize_t uri_unescape(char *s);

/* Whether a decoded path has no "." or ".." segment. */
bool uri_path_clean(const char *path);

/* Whether len bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool uri_utf8_valid(const unsigned char *s, size_t len);

#endif
