/* Start-up work in a short-lived child: its texts and its error come back
 * whole, its memory does not, and a child that dies is reported. */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/prestart.h"

struct work {
	int ran;          /* set by the work: stays 0 in the caller */
	size_t big;       /* length of a certificate text to hand back */
	int fail;         /* return this, with a message */
	int die;          /* end without answering */
	pid_t pid;        /* the caller's */
};

static char *text_of(size_t len, char c)
{
	char *s = malloc(len + 1);
	memset(s, c, len);
	s[len] = '\0';
	return s;
}

static int work(void *ctx, struct prestart_result *out, char *err, size_t errlen)
{
	struct work *w = ctx;

	w->ran = 1;
	if (getpid() == w->pid)
		return -EDEADLK; /* not in a child: the test fails on this */
	if (w->die)
		raise(SIGKILL);
	if (w->fail) {
		snprintf(err, errlen, "tls_key: /nowhere: %s", strerror(-w->fail));
		return w->fail;
	}
	out->cert_pem = w->big ? text_of(w->big, 'C') : strdup("-----BEGIN CERTIFICATE-----\n");
	out->key_pem = strdup("-----BEGIN PRIVATE KEY-----\n");
	return 0; /* no CA: NULL comes back as NULL */
}

static void test_answer(void **state)
{
	struct work w = { .pid = getpid() };
	struct prestart_result r;
	char err[256] = "stale";

	(void)state;
	assert_int_equal(prestart_run(work, &w, &r, err, sizeof(err)), 0);
	assert_int_equal(w.ran, 0);
	assert_string_equal(err, "");
	assert_string_equal(r.cert_pem, "-----BEGIN CERTIFICATE-----\n");
	assert_string_equal(r.key_pem, "-----BEGIN PRIVATE KEY-----\n");
	assert_null(r.client_ca_pem);
	prestart_result_release(&r);
	assert_null(r.cert_pem);
	assert_null(r.key_pem);
}

/* Larger than a pipe holds, so the caller reads while the child writes. */
static void test_large(void **state)
{
	struct work w = { .pid = getpid(), .big = 3u << 20 };
	struct prestart_result r;
	char err[256];
	char *want = text_of(w.big, 'C');

	(void)state;
	assert_int_equal(prestart_run(work, &w, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.cert_pem), w.big);
	assert_string_equal(r.cert_pem, want);
	free(want);
	prestart_result_release(&r);
}

static void test_failure(void **state)
{
	struct work w = { .pid = getpid(), .fail = -ENOENT };
	struct prestart_result r;
	char err[256];

	(void)state;
	assert_int_equal(prestart_run(work, &w, &r, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "tls_key: /nowhere: No such file or directory");
	assert_null(r.cert_pem);
	assert_null(r.key_pem);
	assert_null(r.client_ca_pem);
}

static void test_child_dies(void **state)
{
	struct work w = { .pid = getpid(), .die = 1 };
	struct prestart_result r;
	char err[256];

	(void)state;
	assert_int_equal(prestart_run(work, &w, &r, err, sizeof(err)), -ECHILD);
	assert_string_equal(err, "start-up checks ended by signal 9");
	assert_null(r.cert_pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_child_dies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
