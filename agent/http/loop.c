#include "http/server_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "http/waitplan.h"
#include "util/clock.h"
#include "util/log.h"

#define LISTEN_BACKLOG 4096
/* How often a thread with answers waiting for room checks their age. */
#define HELD_CHECK_MS 1000

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

/* The first thread's listening socket for one address; the other threads
 * accept from the same socket (share_listener). */
static int open_listener(const struct sockaddr_storage *ss, int v6)
{
	int one = 1;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* A descriptor of the first thread's listening socket for its i-th daemon
 * (each daemon closes its own). A new connection goes to the thread that
 * accepts it first, which is the one with the least to do (the other finds
 * nothing to accept, which libmicrohttpd expects of a shared socket). With
 * a socket per thread (SO_REUSEPORT) the kernel hashed each connection to a
 * thread whatever its load: 16 connections could split 12/4, and the
 * twelve waited on their busier thread (p99 3 ms against nginx's 1 ms). */
static int share_listener(struct worker *first, size_t i)
{
	const union MHD_DaemonInfo *di;
	int fd;

	if (i >= first->ndaemons ||
	    !(di = MHD_get_daemon_info(first->daemons[i], MHD_DAEMON_INFO_LISTEN_FD)))
		return -EIO;
	fd = fcntl(di->listen_fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* The earliest timeout of this thread's daemons in ms, -1 for none; 0 when
 * one has work already (buffered TLS data, resumed connections, connections
 * the last pass left ready). */
static long long worker_timeout(struct worker *w)
{
	long long best = -1;

	for (size_t i = 0; i < w->ndaemons; i++) {
		MHD_UNSIGNED_LONG_LONG t;
		if (MHD_get_timeout(w->daemons[i], &t) == MHD_YES) {
			long long ms = t > WAIT_MAX_MS ? WAIT_MAX_MS : (long long)t;
			if (best < 0 || ms < best)
				best = ms;
		}
	}
	return best;
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

/* Wait up to timeout ms for the thread's descriptors: the number of events,
 * 0 when none came, -1 on a failure that ends the loop. */
static int worker_wait(struct worker *w, int timeout)
{
	struct epoll_event ev[MAX_ADDRESSES + 1];
	int n = epoll_wait(w->epfd, ev, MAX_ADDRESSES + 1, timeout);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_error("https: epoll_wait: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		uint64_t v;
		/* Only clears the eventfd; what it signals is in the flags. */
		if (ev[i].data.fd == w->wakefd && read(w->wakefd, &v, sizeof(v)) < 0 &&
		    errno != EAGAIN)
			log_warn("https: cannot clear a wake-up: %s", strerror(errno));
	}
	return n;
}

/* One pass: wait for events only when no daemon has work already (or when
 * the last passes only found empty sockets: see http/waitplan.h), then run
 * every daemon.
 * Each MHD_run polls its own descriptors without waiting, so a busy thread
 * makes one poll per daemon per pass, and the quiesce and stop flags are
 * read on every pass whether or not the eventfd was. */
void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct http_server *srv = w->srv;
	long long active = clock_monotonic_ms(); /* when something last happened */
	unsigned idle_passes = 0;          /* in a row, that only found empty sockets */

	while (!atomic_load(&srv->stopping)) {
		long long now = clock_monotonic_ms();
		unsigned long waits = w->tls_io.waits, moves = w->tls_io.moves;
		unsigned long handled = w->handled;
		int timeout;

		if (wait_trim_due(w->closed_since_trim > 0, now - active)) {
			/* Per-connection buffers freed by many threads stay in
			 * glibc's arenas otherwise. */
#ifndef __SANITIZE_ADDRESS__
			/* (The sanitizer's allocator replaces glibc's, whose
			 * trim would walk arenas never set up.) */
			malloc_trim(0);
#endif
			w->closed_since_trim = 0;
		}
		timeout = wait_plan_ms(worker_timeout(w), idle_passes, w->closed_since_trim > 0,
				       now - active);
		/* Answers waiting for room are retried when their socket wakes
		 * the loop, and given up on by the clock. */
		if (w->tls_io.held && (timeout < 0 || timeout > HELD_CHECK_MS))
			timeout = HELD_CHECK_MS;
		if (timeout == 0) {
			active = now;
			w->pass_ms = now;
		} else {
			int n = worker_wait(w, timeout);
			if (n < 0)
				break;
			w->pass_ms = clock_monotonic_ms();
			if (n > 0)
				active = w->pass_ms;
		}
		if (atomic_load(&srv->quiescing) && !atomic_load(&w->quiesced))
			worker_quiesce(w);
		for (size_t i = 0; i < w->ndaemons; i++)
			MHD_run(w->daemons[i]);
		if (w->tls_io.held)
			tls_io_send_held(&w->tls_io, w->pass_ms, srv->give_up_ms);
		idle_passes = wait_idle_passes(idle_passes,
					       w->tls_io.moves != moves || w->handled != handled,
					       w->tls_io.waits != waits);
	}
	/* Requests parked behind answers that never went out go on (and
	 * fail) before the daemons stop. */
	tls_io_release_all(&w->tls_io);
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
	w->tls_io.epfd = w->epfd;
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
		fd = w == &w->srv->workers[0] ? open_listener(&ss, v6)
					      : share_listener(&w->srv->workers[0], w->ndaemons);
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

