/* Scratch directories for unit tests: made under $TMPDIR (else /tmp) with a
 * name that says which test made it, and removed whole afterwards. */
#ifndef CXLA_TEST_TMPDIR_H
#define CXLA_TEST_TMPDIR_H

#include <stddef.h>

/* Makes "<TMPDIR>/cxla-<tag>-XXXXXX" and writes its path into dir (len
 * bytes). Returns 0 or -errno, the reason printed; dir is "" on failure. */
int tmpdir_make(char *dir, size_t len, const char *tag);

/* Removes dir and everything below it; symbolic links are removed, never
 * followed. "" does nothing. Returns 0 or -errno of the first failure. */
int tmpdir_remove(const char *dir);

#endif
