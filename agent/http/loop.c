#include "http/server_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define LISTEN_BACKLOG 4096
/* After connections have closed, this long without any event counts as the
 * end of a burst: give freed memory back to the system then. */
#define TRIM_IDLE_MS 1000
/* See worker_main: the first wait after a pass that found only empty
 * sockets, doubled after each further one up to the longest. */
#define HANDSHAKE_POLL_MS 1
#define HANDSHAKE_POLL_MAX_SHIFT 4

static int parse_address(const char *addr, unsigned port, struct sockaddr_storage *ss, int *v6)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
	return -EINVAL;
}

/* A listening socket that shares its address with the other threads'
 * (SO_REUSEPORT): the kernel hashes each new connection to one of them. */
static int open_listener(const struct sockaddr_storage *ss, int v6)
{
	int one = 1;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* The earliest connection timeout of this thread's daemons, in ms; -1 for
 * none. 0 when a daemon has work already (buffered TLS data, resumed
 * connections). */
static int worker_timeout(struct worker *w)
{
	long long best = -1;

	for (size_t i = 0; i < w->ndaemons; i++) {
		MHD_UNSIGNED_LONG_LONG t;
		if (MHD_get_timeout(w->daemons[i], &t) == MHD_YES &&
		    (best < 0 || (long long)t < best))
			best = t > 60000 ? 60000 : (long long)t;
	}
	return (int)best;
}

static void worker_quiesce(struct worker *w)
{
	for (size_t i = 0; i < w->ndaemons; i++) {
		MHD_socket fd = MHD_quiesce_daemon(w->daemons[i]);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	atomic_store(&w->quiesced, true);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct http_server *srv = w->srv;
	struct epoll_event ev[MAX_ADDRESSES + 1];
	unsigned idle_passes = 0; /* in a row, that only found empty sockets */

	while (!atomic_load(&srv->stopping)) {
		int timeout = worker_timeout(w);
		unsigned long waits = w->tls_io.waits, moves = w->tls_io.moves;
		bool trim_wait;
		int n;

		/* libmicrohttpd 0.9.75 keeps a connection whose handshake waits
		 * for the client's next flight on its ready list, and so asks
		 * for a zero timeout, until the client answers: the thread
		 * would poll the empty socket the whole round trip (half the
		 * CPU of a new connection). When the last pass only found empty
		 * sockets, wait for the next event (the flight is one), but not
		 * long: a connection may still have data buffered in GnuTLS.
		 * Clients that never answer are polled less and less often. */
		if (timeout == 0 && idle_passes)
			timeout = HANDSHAKE_POLL_MS
				  << (idle_passes > HANDSHAKE_POLL_MAX_SHIFT ? HANDSHAKE_POLL_MAX_SHIFT
									     : idle_passes - 1);
		/* Only a wait that long without an event ends a burst. */
		trim_wait = w->closed_since_trim && (timeout < 0 || timeout >= TRIM_IDLE_MS);
		if (trim_wait)
			timeout = TRIM_IDLE_MS;
		n = epoll_wait(w->epfd, ev, MAX_ADDRESSES + 1, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("https: epoll_wait: %s", strerror(errno));
			break;
		}
		if (n == 0 && trim_wait) {
			/* Per-connection buffers freed by many threads stay in
			 * glibc's arenas otherwise. */
			malloc_trim(0);
			w->closed_since_trim = 0;
		}
		for (int i = 0; i < n; i++) {
			uint64_t v;
			/* Only clears the eventfd; what it signals is in the flags. */
			if (ev[i].data.fd == w->wakefd && read(w->wakefd, &v, sizeof(v)) < 0 &&
			    errno != EAGAIN)
				log_warn("https: cannot clear a wake-up: %s", strerror(errno));
		}
		if (atomic_load(&srv->quiescing) && !atomic_load(&w->quiesced))
			worker_quiesce(w);
		for (size_t i = 0; i < w->ndaemons; i++)
			MHD_run(w->daemons[i]);
		if (w->tls_io.moves == moves && w->tls_io.waits != waits)
			idle_passes++;
		else
			idle_passes = 0;
	}
	return NULL;
}

void worker_wake(struct worker *w)
{
	uint64_t one = 1;
	if (w->wakefd >= 0 && write(w->wakefd, &one, sizeof(one)) < 0)
		log_warn("https: cannot wake a server thread: %s", strerror(errno));
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int ipv6_available(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno != EAFNOSUPPORT;
	close(fd);
	return 1;
}

/* The thread's listeners, daemons and event loop descriptors. */
int worker_open(struct worker *w, const struct http_server_config *cfg, char *err,
		       size_t errlen)
{
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wakefd < 0 || epoll_add(w->epfd, w->wakefd)) {
		snprintf(err, errlen, "cannot create the server's event loop: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < cfg->naddresses; i++) {
		struct sockaddr_storage ss;
		const union MHD_DaemonInfo *di;
		int v6, fd;

		if (parse_address(cfg->addresses[i], cfg->port, &ss, &v6)) {
			snprintf(err, errlen, "listen address \"%s\" is not a numeric IPv4 or IPv6 address",
				 cfg->addresses[i]);
			return -EINVAL;
		}
		if (v6 && cfg->naddresses > 1 && !ipv6_available()) {
			/* The packaged default lists both wildcards; a host booted
			 * without IPv6 still serves on the rest. */
			if (w == &w->srv->workers[0])
				log_warn("IPv6 is not available on this host: not listening on [%s]:%u",
					 cfg->addresses[i], cfg->port);
			continue;
		}
		fd = open_listener(&ss, v6);
		if (fd < 0) {
			snprintf(err, errlen, "cannot listen on [%s]:%u: %s", cfg->addresses[i],
				 cfg->port, strerror(-fd));
			return fd;
		}
		w->daemons[w->ndaemons] = server_daemon_start(w, cfg, fd, v6);
		if (!w->daemons[w->ndaemons]) {
			close(fd);
			snprintf(err, errlen, "cannot serve TLS on [%s]:%u (a bad certificate or key?)",
				 cfg->addresses[i], cfg->port);
			return -EINVAL;
		}
		w->ndaemons++;
		di = MHD_get_daemon_info(w->daemons[w->ndaemons - 1], MHD_DAEMON_INFO_EPOLL_FD);
		if (!di || epoll_add(w->epfd, di->epoll_fd)) {
			snprintf(err, errlen, "cannot watch the server's event loop");
			return -EIO;
		}
	}
	return 0;
}

