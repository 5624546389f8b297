/* A TLS session whose transport goes through http/tlsio: the handshake and
 * records pass as with GnuTLS's own socket calls, reads and writes that
 * move bytes are counted, and a read that finds nothing (a handshake
 * waiting for the peer) counts nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/hostcert.h"
#include "http/tlsfiles.h"
#include "http/tlsio.h"

struct pair {
	int sv[2];
	gnutls_certificate_credentials_t scred, ccred;
	gnutls_session_t server, client;
	unsigned long progress;
	struct tls_io io;
};

static void pair_open(struct pair *p)
{
	struct hostcert_names n = { .ndns = 1 };
	gnutls_datum_t c, k;
	char *cert, *key, err[256];

	memset(p, 0, sizeof(*p));
	snprintf(n.dns[0], sizeof(n.dns[0]), "%s", "tlsio.example");
	assert_int_equal(hostcert_create(&n, 1, &cert, &key, err, sizeof(err)), 0);
	c = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)strlen(cert) };
	k = (gnutls_datum_t){ (unsigned char *)key, (unsigned)strlen(key) };
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->sv), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&p->scred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key_mem(p->scred, &c, &k, GNUTLS_X509_FMT_PEM),
			 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&p->ccred), 0);
	free(cert);
	tls_free_secret(key);

	assert_int_equal(gnutls_init(&p->server, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
	assert_int_equal(gnutls_set_default_priority(p->server), 0);
	assert_int_equal(gnutls_credentials_set(p->server, GNUTLS_CRD_CERTIFICATE, p->scred), 0);
	p->io.fd = p->sv[0];
	p->io.progress = &p->progress;
	tls_io_attach(p->server, &p->io);

	assert_int_equal(gnutls_init(&p->client, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
	assert_int_equal(gnutls_set_default_priority(p->client), 0);
	assert_int_equal(gnutls_credentials_set(p->client, GNUTLS_CRD_CERTIFICATE, p->ccred), 0);
	gnutls_transport_set_int(p->client, p->sv[1]);
}

static void pair_close(struct pair *p)
{
	gnutls_deinit(p->server);
	gnutls_deinit(p->client);
	gnutls_certificate_free_credentials(p->scred);
	gnutls_certificate_free_credentials(p->ccred);
	close(p->sv[0]);
	close(p->sv[1]);
}

/* Both sides step their handshakes in turn until both are done. */
static void handshake(struct pair *p)
{
	int sdone = 0, cdone = 0;

	for (int i = 0; i < 100 && !(sdone && cdone); i++) {
		if (!cdone) {
			int rc = gnutls_handshake(p->client);
			assert_true(rc == GNUTLS_E_SUCCESS || rc == GNUTLS_E_AGAIN);
			cdone = rc == GNUTLS_E_SUCCESS;
		}
		if (!sdone) {
			int rc = gnutls_handshake(p->server);
			assert_true(rc == GNUTLS_E_SUCCESS || rc == GNUTLS_E_AGAIN);
			sdone = rc == GNUTLS_E_SUCCESS;
		}
	}
	assert_true(sdone && cdone);
}

static void test_waiting_handshake_moves_nothing(void **state)
{
	struct pair p;
	(void)state;

	pair_open(&p);
	/* Nothing from the client yet: the server would block. */
	assert_int_equal(gnutls_handshake(p.server), GNUTLS_E_AGAIN);
	assert_int_equal(p.progress, 0);
	/* The client's hello arrives: reading it is progress. */
	assert_int_equal(gnutls_handshake(p.client), GNUTLS_E_AGAIN);
	assert_int_equal(gnutls_handshake(p.server), GNUTLS_E_AGAIN);
	assert_true(p.progress > 0);
	pair_close(&p);
}

static void test_records_pass_and_are_counted(void **state)
{
	struct pair p;
	char buf[64];
	unsigned long before;
	ssize_t n;
	(void)state;

	pair_open(&p);
	handshake(&p);
	assert_true(p.progress > 0);

	/* Drain what the handshake left (session tickets) on the client. */
	while (gnutls_record_recv(p.client, buf, sizeof(buf)) > 0)
		;
	before = p.progress;
	assert_int_equal(gnutls_record_recv(p.server, buf, sizeof(buf)), GNUTLS_E_AGAIN);
	assert_int_equal(p.progress, before);

	assert_int_equal(gnutls_record_send(p.client, "ping", 4), 4);
	n = gnutls_record_recv(p.server, buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	assert_true(p.progress > before);

	before = p.progress;
	assert_int_equal(gnutls_record_send(p.server, "pong", 4), 4);
	assert_true(p.progress > before);
	do
		n = gnutls_record_recv(p.client, buf, sizeof(buf));
	while (n == GNUTLS_E_AGAIN);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "pong", 4);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting_handshake_moves_nothing),
		cmocka_unit_test(test_records_pass_and_are_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
