/* How many connections a descriptor limit (RLIMIT_NOFILE) can carry once
 * the agent has kept descriptors for itself. */
#ifndef CXLA_UTIL_FDLIMIT_H
#define CXLA_UTIL_FDLIMIT_H

#include <stddef.h>

/* The fewest connections worth serving, and so, with what the agent keeps
 * for itself at a low limit, the lowest descriptor limit it starts with. */
#define FD_MIN_CONNECTIONS 16u
#define FD_OWN_MIN 48u
#define FD_LIMIT_MIN (FD_OWN_MIN + FD_MIN_CONNECTIONS)

/* The connection limit for a descriptor limit of nofile (the soft limit,
 * already raised; RLIM_INFINITY passes as any value over 2^20) and a
 * configured limit (0: derive it). -ERANGE, with the reason in err, when
 * the descriptors cannot carry FD_MIN_CONNECTIONS, or the configured limit,
 * besides the agent's own. */
int fd_connection_limit(unsigned long long nofile, unsigned configured, unsigned *limit, char *err,
			size_t errlen);

#endif
