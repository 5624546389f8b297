/* Proactive negotiation on the Accept header (RFC 9110 §12.5.1): whether a
 * request admits the one media type a resource is served as. The service
 * has a single representation per resource, so this is a yes or no, never a
 * choice between representations. */
#ifndef CXLA_HTTP_ACCEPT_H
#define CXLA_HTTP_ACCEPT_H

#include <stdbool.h>

/* Whether accept (the header's value, borrowed; NULL when absent) admits
 * media ("type/subtype", lower case, borrowed).
 *
 * Media ranges and the "q" parameter are read case-insensitively; the
 * range that matches media most specifically decides (type/subtype over
 * type/ * over * / *), the highest weight among equally specific ones. A
 * weight of 0 excludes. Other parameters (charset, version) do not narrow a
 * range: each resource has one representation, in UTF-8.
 *
 * Lenient where the header cannot be read: an absent or empty header, or
 * one in which no element parses, admits everything (the header is then
 * disregarded, as RFC 9110 allows); an element that does not parse is
 * skipped. */
bool http_accept_allows(const char *accept, const char *media);

#endif
