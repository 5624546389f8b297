/* Secrets handed over in the environment (the first administrator password
 * of a new installation): taken once, then wiped from the process, since
 * /proc/PID/environ shows the environment's original bytes to the process's
 * owner (and root) for as long as it runs. */
#ifndef CXLA_UTIL_SECRETENV_H
#define CXLA_UTIL_SECRETENV_H

#include <stddef.h>

/* Copy the value of name into out (len bytes), then remove name from the
 * environment and overwrite its "name=value" bytes where they lie. 0,
 * -ENOENT (not set; out is ""), or -E2BIG (does not fit: out is "", the
 * variable is wiped all the same). Call before other threads start. */
int secretenv_take(const char *name, char *out, size_t len);

#endif
