#include "util/fdlimit.h"

#include <errno.h>
#include <stdio.h>

/* Descriptors the agent keeps for itself (listening sockets, event loops,
 * the broker's socket, push deliveries, state files being replaced) besides
 * its connections: 128 where there are plenty, half a small limit, never
 * fewer than an idle front with its push deliveries needs. */
#define FD_OWN_MAX 128u
#define CONNECTIONS_MAX 1048576u

static unsigned long long own_share(unsigned long long nofile)
{
	unsigned long long half = nofile / 2;

	return half > FD_OWN_MAX ? FD_OWN_MAX : half < FD_OWN_MIN ? FD_OWN_MIN : half;
}

int fd_connection_limit(unsigned long long nofile, unsigned configured, unsigned *limit, char *err,
			size_t errlen)
{
	unsigned long long own = own_share(nofile);
	unsigned long long room = nofile > own ? nofile - own : 0;

	if (room < FD_MIN_CONNECTIONS) {
		snprintf(err, errlen,
			 "the descriptor limit (RLIMIT_NOFILE, LimitNOFILE=) is %llu; the agent needs at "
			 "least %u: %u of its own and %u connections",
			 nofile, FD_LIMIT_MIN, FD_OWN_MIN, FD_MIN_CONNECTIONS);
		return -ERANGE;
	}
	if (configured && configured > room) {
		snprintf(err, errlen,
			 "connection_limit %u needs a descriptor limit of at least %llu "
			 "(RLIMIT_NOFILE, LimitNOFILE=), which is %llu",
			 configured, configured + own, nofile);
		return -ERANGE;
	}
	*limit = configured ? configured : room > CONNECTIONS_MAX ? CONNECTIONS_MAX : (unsigned)room;
	return 0;
}
