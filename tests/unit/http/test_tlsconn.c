/* Session tickets, handshake alerts and held responses, with real GnuTLS sessions on a
 * socketpair: the server side configured exactly as the HTTPS server does
 * (its priorities, tls_tickets_enable, tls_transport_attach), the client a
 * plain GnuTLS client. The ticket key's clock is the test's. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/hostcert.h"
#include "http/server.h"
#include "http/tlsconn.h"
#include "http/tlsfiles.h"
#include "support/clock_step.h"

#define PERIOD_S (3 * TLS_TICKET_LIFETIME_S)

static time_t fake_now;
static bool live_clock; /* the server reads the clock as the HTTPS server does */

struct fixture {
	gnutls_certificate_credentials_t server_cred;
	gnutls_certificate_credentials_t client_cred;
};

struct conn {
	gnutls_session_t server, client;
	int fds[2];
	struct tls_transport tr;
	struct tls_io io;
	int server_rc, client_rc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hostcert_names n = { .ndns = 1 };
	gnutls_datum_t cert, key;
	char *cert_pem, *key_pem, err[256];

	assert_non_null(f);
	snprintf(n.dns[0], sizeof(n.dns[0]), "agent.example");
	assert_int_equal(hostcert_create(&n, 1, &cert_pem, &key_pem, err, sizeof(err)), 0);
	cert.data = (unsigned char *)cert_pem;
	cert.size = (unsigned)strlen(cert_pem);
	key.data = (unsigned char *)key_pem;
	key.size = (unsigned)strlen(key_pem);
	assert_int_equal(gnutls_certificate_allocate_credentials(&f->server_cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key_mem(f->server_cred, &cert, &key,
							     GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&f->client_cred), 0);
	free(cert_pem);
	tls_free_secret(key_pem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gnutls_certificate_free_credentials(f->server_cred);
	gnutls_certificate_free_credentials(f->client_cred);
	free(f);
	return 0;
}

/* A server and a client session on a non-blocking socketpair. tickets NULL:
 * the server issues none. */
static void conn_open(struct conn *c, const struct fixture *f, const struct tls_tickets *tickets,
		      const char *client_priorities, const gnutls_datum_t *resume)
{
	memset(c, 0, sizeof(*c));
	c->io.epfd = -1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, c->fds), 0);
	assert_int_equal(gnutls_init(&c->server, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL),
			 0);
	assert_int_equal(gnutls_priority_set_direct(c->server, http_tls_priorities, NULL), 0);
	assert_int_equal(gnutls_credentials_set(c->server, GNUTLS_CRD_CERTIFICATE, f->server_cred), 0);
	if (tickets)
		assert_int_equal(live_clock ? tls_tickets_enable_now(tickets, c->server)
					    : tls_tickets_enable(tickets, c->server, fake_now),
				 0);
	tls_transport_attach(&c->tr, c->server, c->fds[0], &c->io);

	assert_int_equal(gnutls_init(&c->client, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
	assert_int_equal(gnutls_priority_set_direct(c->client, client_priorities, NULL), 0);
	assert_int_equal(gnutls_credentials_set(c->client, GNUTLS_CRD_CERTIFICATE, f->client_cred), 0);
	gnutls_transport_set_int(c->client, c->fds[1]);
	if (resume)
		assert_int_equal(gnutls_session_set_data(c->client, resume->data, resume->size), 0);
	c->server_rc = GNUTLS_E_AGAIN;
	c->client_rc = GNUTLS_E_AGAIN;
}

static int pending(int rc)
{
	return rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED;
}

/* Both sides step until each has finished, or one has failed. */
static void conn_handshake(struct conn *c)
{
	for (int i = 0; i < 1000 && (pending(c->server_rc) || pending(c->client_rc)); i++) {
		if (pending(c->client_rc))
			c->client_rc = gnutls_handshake(c->client);
		if (c->client_rc < 0 && !pending(c->client_rc))
			break;
		if (pending(c->server_rc)) {
			c->server_rc = gnutls_handshake(c->server);
			if (c->server_rc < 0 && !pending(c->server_rc)) {
				/* What the HTTPS server does when libmicrohttpd
				 * reports the failure: the slot names the
				 * connection. */
				assert_ptr_equal(c->io.last, &c->tr);
				tls_handshake_alert(c->io.last, GNUTLS_TLS1_2);
			}
		}
	}
}

static void conn_close(struct conn *c)
{
	gnutls_deinit(c->server);
	gnutls_deinit(c->client);
	close(c->fds[0]);
	close(c->fds[1]);
}

/* A full exchange; returns the client's session data for resumption (new,
 * gnutls_free) and whether this connection was itself resumed. */
static int exchange(const struct fixture *f, const struct tls_tickets *tickets,
		    const gnutls_datum_t *resume, gnutls_datum_t *next)
{
	struct conn c;
	char byte = 0;
	int resumed, rc;

	conn_open(&c, f, tickets, "NORMAL", resume);
	conn_handshake(&c);
	assert_int_equal(c.server_rc, 0);
	assert_int_equal(c.client_rc, 0);
	assert_int_equal(gnutls_protocol_get_version(c.server), GNUTLS_TLS1_3);
	/* TLS 1.3 tickets follow the handshake: a record read takes them in. */
	assert_int_equal(gnutls_record_send(c.server, "x", 1), 1);
	do
		rc = (int)gnutls_record_recv(c.client, &byte, 1);
	while (pending(rc));
	assert_int_equal(rc, 1);
	resumed = gnutls_session_is_resumed(c.server);
	assert_int_equal(gnutls_session_is_resumed(c.client), resumed);
	if (next)
		assert_int_equal(gnutls_session_get_data2(c.client, next), 0);
	conn_close(&c);
	return resumed;
}

static void test_resumes_with_same_key_in_same_period(void **state)
{
	struct fixture *f = *state;
	struct tls_tickets *t = NULL;
	gnutls_datum_t first;

	fake_now = (time(NULL) / PERIOD_S) * PERIOD_S + 10;
	assert_int_equal(tls_tickets_new(TLS_TICKET_LIFETIME_S, &t), 0);
	assert_false(exchange(f, t, NULL, &first));
	fake_now += 60;
	assert_true(exchange(f, t, &first, NULL));
	gnutls_free(first.data);
	tls_tickets_free(t);
}

static void test_key_rotates_with_the_period(void **state)
{
	struct fixture *f = *state;
	struct tls_tickets *t = NULL;
	gnutls_datum_t first, second;

	fake_now = (time(NULL) / PERIOD_S) * PERIOD_S + PERIOD_S - 30;
	assert_int_equal(tls_tickets_new(TLS_TICKET_LIFETIME_S, &t), 0);
	assert_false(exchange(f, t, NULL, &first));
	/* One minute later, but in the next period: a new key, which GnuTLS
	 * alone would not have made. */
	fake_now += 60;
	assert_false(exchange(f, t, &first, &second));
	/* The tickets of the new period work. */
	assert_true(exchange(f, t, &second, NULL));
	gnutls_free(first.data);
	gnutls_free(second.data);
	tls_tickets_free(t);
}

/* The period is the monotonic clock's, as the HTTPS server reads it: the
 * wall clock set back a day (as the agent reads it) neither brings back
 * the key of the period a day ago nor, set forward, starts a new one, so a
 * ticket of a minute ago resumes either way. */
static void test_period_ignores_wall_clock_steps(void **state)
{
	struct fixture *f = *state;
	struct tls_tickets *t = NULL;
	gnutls_datum_t first, second;
	int back, ahead;

	live_clock = true;
	assert_int_equal(tls_tickets_new(TLS_TICKET_LIFETIME_S, &t), 0);
	assert_false(exchange(f, t, NULL, &first));
	clock_step_realtime(-86400);
	back = exchange(f, t, &first, &second);
	clock_step_realtime(86400);
	ahead = exchange(f, t, &second, NULL);
	clock_step_realtime(0);
	live_clock = false;
	gnutls_free(first.data);
	gnutls_free(second.data);
	tls_tickets_free(t);
	assert_true(back);
	assert_true(ahead);
}

static void test_other_instance_refuses_ticket(void **state)
{
	struct fixture *f = *state;
	struct tls_tickets *a = NULL, *b = NULL;
	gnutls_datum_t first;

	fake_now = (time(NULL) / PERIOD_S) * PERIOD_S + 10;
	assert_int_equal(tls_tickets_new(TLS_TICKET_LIFETIME_S, &a), 0);
	assert_int_equal(tls_tickets_new(TLS_TICKET_LIFETIME_S, &b), 0);
	assert_false(exchange(f, a, NULL, &first));
	assert_false(exchange(f, b, &first, NULL));
	gnutls_free(first.data);
	tls_tickets_free(a);
	tls_tickets_free(b);
}

static void test_tickets_new_refuses_zero_lifetime(void **state)
{
	struct tls_tickets *t = NULL;

	(void)state;
	assert_int_equal(tls_tickets_new(0, &t), -EINVAL);
	assert_null(t);
	tls_tickets_free(NULL);
}

/* The client sees the alert the server sent after its handshake failed. */
static int alert_seen_by_client(const struct fixture *f, const char *client_priorities)
{
	struct conn c;
	int alert;

	conn_open(&c, f, NULL, client_priorities, NULL);
	conn_handshake(&c);
	assert_true(c.server_rc < 0 && !pending(c.server_rc));
	alert = c.client_rc == GNUTLS_E_FATAL_ALERT_RECEIVED ? (int)gnutls_alert_get(c.client) : -1;
	conn_close(&c);
	return alert;
}

static void test_alert_protocol_version(void **state)
{
	assert_int_equal(alert_seen_by_client(*state, "NORMAL:-VERS-ALL:+VERS-TLS1.1"),
			 GNUTLS_A_PROTOCOL_VERSION);
	assert_int_equal(alert_seen_by_client(*state, "NORMAL:-VERS-ALL:+VERS-TLS1.0"),
			 GNUTLS_A_PROTOCOL_VERSION);
}

static void test_alert_handshake_failure(void **state)
{
	/* No cipher in common. */
	assert_int_equal(alert_seen_by_client(*state, "NORMAL:-CIPHER-ALL:+AES-128-CCM"),
			 GNUTLS_A_HANDSHAKE_FAILURE);
	/* No group in common. */
	assert_int_equal(alert_seen_by_client(*state, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:"
						      "+GROUP-FFDHE2048"),
			 GNUTLS_A_HANDSHAKE_FAILURE);
}

/* The thread's counts tell a pass that only found empty sockets from one
 * that moved data. */
static void test_io_counts(void **state)
{
	struct conn c;
	unsigned long moves, waits;
	char buf[64];
	ssize_t n;

	conn_open(&c, *state, NULL, "NORMAL", NULL);
	/* Nothing sent yet: the server's read finds nothing. */
	assert_int_equal(gnutls_handshake(c.server), GNUTLS_E_AGAIN);
	assert_int_equal(c.io.waits, 1);
	assert_int_equal(c.io.moves, 0);
	assert_ptr_equal(c.io.last, &c.tr);
	c.server_rc = GNUTLS_E_AGAIN;
	conn_handshake(&c);
	assert_int_equal(c.server_rc, 0);
	/* The hello read, the flight written, the client's finish read. */
	assert_true(c.io.moves >= 3);
	/* Drain what the handshake left for the client (session tickets). */
	while (gnutls_record_recv(c.client, buf, sizeof(buf)) > 0)
		;
	/* Nothing from the client: a wait, no move. */
	moves = c.io.moves;
	waits = c.io.waits;
	assert_int_equal(gnutls_record_recv(c.server, buf, sizeof(buf)), GNUTLS_E_AGAIN);
	assert_int_equal(c.io.moves, moves);
	assert_int_equal(c.io.waits, waits + 1);
	/* Records pass through both ways unchanged and are counted (GnuTLS
	 * may read a record in more than one call; it writes it in one). */
	assert_int_equal(gnutls_record_send(c.client, "ping", 4), 4);
	assert_int_equal(gnutls_record_recv(c.server, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_true(c.io.moves > moves);
	moves = c.io.moves;
	assert_int_equal(gnutls_record_send(c.server, "pong", 4), 4);
	assert_int_equal(c.io.moves, moves + 1);
	do
		n = gnutls_record_recv(c.client, buf, sizeof(buf));
	while (n == GNUTLS_E_AGAIN);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "pong", 4);
	conn_close(&c);
}

/* A handshaken pair with the server's tickets read by the client, so that
 * what follows on the wire is only what the test sends. */
static void conn_ready(struct conn *c, const struct fixture *f)
{
	char buf[64];

	conn_open(c, f, NULL, "NORMAL", NULL);
	conn_handshake(c);
	assert_int_equal(c->server_rc, 0);
	while (gnutls_record_recv(c->client, buf, sizeof(buf)) > 0)
		;
}

/* What the server's thread was told through io->sent. */
static struct tls_transport *told[8];
static unsigned ntold;

static void on_sent(struct tls_transport *t, void *arg)
{
	(void)arg;
	if (ntold < 8)
		told[ntold] = t;
	ntold++;
}

/* Reads len bytes from the client; while none come, the server's thread
 * retries its waiting answers as its event loop would (at time 0: never
 * given up on). Returns the bytes read (short when nothing more comes). */
static size_t client_read(struct conn *c, char *buf, size_t len)
{
	size_t got = 0;

	for (int idle = 0; got < len && idle < 1000;) {
		ssize_t n = gnutls_record_recv(c->client, buf + got, len - got);
		if (n > 0) {
			got += (size_t)n;
			idle = 0;
		} else if (n == GNUTLS_E_AGAIN) {
			tls_io_send_held(&c->io, 0, 1000);
			idle++;
		} else {
			break;
		}
	}
	return got;
}

/* What libmicrohttpd sends as two records (headers, body) goes out as one
 * record in one write. */
static void test_held_response_is_one_record(void **state)
{
	struct conn c;
	unsigned long moves;
	char buf[64];
	ssize_t n;

	conn_ready(&c, *state);
	moves = c.io.moves;
	tls_response_hold(&c.tr);
	assert_int_equal(gnutls_record_send(c.server, "HTTP/1.1 200\r\n\r\n", 16), 16);
	assert_int_equal(gnutls_record_send(c.server, "{\"a\":1}", 7), 7);
	assert_int_equal(c.io.moves, moves);
	assert_int_equal(tls_response_release(&c.tr, 0), 0);
	assert_int_equal(c.io.moves, moves + 1);
	assert_false(tls_response_waiting(&c.tr));
	assert_null(c.io.held);
	/* One record: a single read returns headers and body together. */
	do
		n = gnutls_record_recv(c.client, buf, sizeof(buf));
	while (n == GNUTLS_E_AGAIN);
	assert_int_equal(n, 23);
	assert_memory_equal(buf, "HTTP/1.1 200\r\n\r\n{\"a\":1}", 23);
	/* Nothing held: a release writes nothing. */
	assert_int_equal(tls_response_release(&c.tr, 0), 0);
	assert_int_equal(c.io.moves, moves + 1);
	conn_close(&c);
}

#define RESPONSE_LEN 1000

static void fill_response(char *buf, unsigned i)
{
	memset(buf, 'a' + (int)(i % 26), RESPONSE_LEN);
	memcpy(buf, &i, sizeof(i));
}

/* Answers until one finds the socket full; returns how many were sent. */
static unsigned send_until_full(struct conn *c, unsigned first, long long now)
{
	char out[RESPONSE_LEN];
	unsigned i = first;
	int rc = 0;

	while (rc == 0 && i < first + 10000) {
		fill_response(out, i);
		tls_response_hold(&c->tr);
		assert_int_equal(gnutls_record_send(c->server, out, RESPONSE_LEN), RESPONSE_LEN);
		i++;
		rc = tls_response_release(&c->tr, now);
	}
	assert_int_equal(rc, -EAGAIN);
	return i - first;
}

/* A client that does not read: the answer that found no room waits in the
 * session, on the thread's held list, and goes out, in order, once the
 * client reads; the thread is told then (to let the connection's next
 * request go on). */
static void test_held_response_waits_for_room(void **state)
{
	struct conn c;
	char in[RESPONSE_LEN], want[RESPONSE_LEN];
	unsigned sent;
	int small = 4096;

	conn_ready(&c, *state);
	c.io.sent = on_sent;
	ntold = 0;
	assert_int_equal(setsockopt(c.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	sent = send_until_full(&c, 0, 100);
	assert_true(tls_response_waiting(&c.tr));
	assert_ptr_equal(c.io.held, &c.tr);
	/* Still no room, not yet given up on: it keeps waiting, untold. */
	tls_io_send_held(&c.io, 150, 1000);
	assert_ptr_equal(c.io.held, &c.tr);
	assert_int_equal(ntold, 0);
	for (unsigned i = 0; i < sent; i++) {
		assert_int_equal(client_read(&c, in, sizeof(in)), RESPONSE_LEN);
		fill_response(want, i);
		assert_memory_equal(in, want, RESPONSE_LEN);
	}
	assert_null(c.io.held);
	assert_false(tls_response_waiting(&c.tr));
	assert_int_equal(ntold, 1);
	assert_ptr_equal(told[0], &c.tr);
	conn_close(&c);
}

/* The thread's loop is woken when a waiting connection's socket has room
 * (libmicrohttpd does not watch a suspended connection's socket), once per
 * retry, and stops watching when the connection no longer waits. */
static void test_held_response_wakes_the_loop(void **state)
{
	struct conn c;
	struct epoll_event ev;
	char in[RESPONSE_LEN];
	int small = 4096;

	conn_ready(&c, *state);
	c.io.epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(c.io.epfd >= 0);
	assert_int_equal(setsockopt(c.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	(void)send_until_full(&c, 0, 0);
	assert_true(tls_response_waiting(&c.tr));
	assert_int_equal(epoll_wait(c.io.epfd, &ev, 1, 0), 0);
	/* The client reads: room, and one wake-up naming the socket. */
	assert_true(gnutls_record_recv(c.client, in, sizeof(in)) > 0);
	while (gnutls_record_recv(c.client, in, sizeof(in)) > 0)
		;
	assert_int_equal(epoll_wait(c.io.epfd, &ev, 1, 1000), 1);
	assert_int_equal(ev.data.fd, c.fds[0]);
	assert_true(ev.events & EPOLLOUT);
	/* One-shot: no second wake-up until a retry arms it again. */
	assert_int_equal(epoll_wait(c.io.epfd, &ev, 1, 0), 0);
	tls_io_send_held(&c.io, 0, 1000);
	while (tls_response_waiting(&c.tr)) {
		assert_true(gnutls_record_recv(c.client, in, sizeof(in)) > 0 ||
			    epoll_wait(c.io.epfd, &ev, 1, 1000) == 1);
		tls_io_send_held(&c.io, 0, 1000);
	}
	/* Out: the socket is no longer watched (it is writable, yet no
	 * wake-up comes). */
	assert_int_equal(epoll_wait(c.io.epfd, &ev, 1, 0), 0);
	assert_int_equal(epoll_ctl(c.io.epfd, EPOLL_CTL_DEL, c.fds[0], NULL), -1);
	close(c.io.epfd);
	conn_close(&c);
}

/* Waiting past the give-up time ends the connection (the client reads
 * end of stream, not a partial answer); a closing connection leaves the
 * list untold; a stopping thread tells every waiting one. */
static void test_held_response_given_up(void **state)
{
	struct conn c, d;
	char buf[RESPONSE_LEN];
	int small = 4096;
	ssize_t n;

	conn_ready(&c, *state);
	c.io.sent = on_sent;
	ntold = 0;
	assert_int_equal(setsockopt(c.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	(void)send_until_full(&c, 0, 100);
	tls_io_send_held(&c.io, 1099, 1000);
	assert_ptr_equal(c.io.held, &c.tr);
	tls_io_send_held(&c.io, 1100, 1000);
	assert_null(c.io.held);
	assert_int_equal(ntold, 1);
	do
		n = gnutls_record_recv(c.client, buf, sizeof(buf));
	while (n > 0 || n == GNUTLS_E_AGAIN);
	assert_true(n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION);
	conn_close(&c);

	conn_ready(&c, *state);
	conn_ready(&d, *state);
	c.io.sent = on_sent;
	d.tr.io = &c.io; /* both connections of one thread */
	ntold = 0;
	assert_int_equal(setsockopt(c.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(setsockopt(d.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	(void)send_until_full(&c, 0, 0);
	(void)send_until_full(&d, 0, 0);
	assert_true(tls_response_waiting(&c.tr) && tls_response_waiting(&d.tr));
	tls_transport_detach(&c.tr);
	assert_false(tls_response_waiting(&c.tr));
	assert_ptr_equal(c.io.held, &d.tr);
	assert_int_equal(ntold, 0);
	tls_io_release_all(&c.io);
	assert_null(c.io.held);
	assert_int_equal(ntold, 1);
	assert_ptr_equal(told[0], &d.tr);
	conn_close(&c);
	conn_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resumes_with_same_key_in_same_period),
		cmocka_unit_test(test_key_rotates_with_the_period),
		cmocka_unit_test(test_period_ignores_wall_clock_steps),
		cmocka_unit_test(test_other_instance_refuses_ticket),
		cmocka_unit_test(test_tickets_new_refuses_zero_lifetime),
		cmocka_unit_test(test_alert_protocol_version),
		cmocka_unit_test(test_alert_handshake_failure),
		cmocka_unit_test(test_io_counts),
		cmocka_unit_test(test_held_response_is_one_record),
		cmocka_unit_test(test_held_response_waits_for_room),
		cmocka_unit_test(test_held_response_wakes_the_loop),
		cmocka_unit_test(test_held_response_given_up),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
