/* Connections per client address: counted across callers, released to
 * zero, IPv4-mapped IPv6 counted as the IPv4 address, other families
 * refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/peers.h"

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in in;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	inet_pton(AF_INET, a, &in.sin_addr);
	return in;
}

static struct sockaddr_in6 v6(const char *a)
{
	struct sockaddr_in6 in6;
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &in6.sin6_addr);
	return in6;
}

static void test_limit_per_address(void **state)
{
	struct peer_counts *p;
	struct sockaddr_in a = v4("127.0.0.1"), b = v4("127.0.0.2");
	(void)state;

	assert_int_equal(peer_counts_new(3, &p), 0);
	for (int i = 0; i < 3; i++) {
		assert_true(peer_counts_allowed(p, (struct sockaddr *)&a));
		assert_int_equal(peer_counts_get(p, (struct sockaddr *)&a), 0);
	}
	assert_false(peer_counts_allowed(p, (struct sockaddr *)&a));
	/* Past the check, the count itself refuses: a thread that passed the
	 * check just before another took the last place counts nothing. */
	assert_int_equal(peer_counts_get(p, (struct sockaddr *)&a), -EUSERS);
	assert_true(peer_counts_allowed(p, (struct sockaddr *)&b));
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&a), 3);
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&b), 0);
	peer_counts_put(p, (struct sockaddr *)&a);
	assert_true(peer_counts_allowed(p, (struct sockaddr *)&a));
	peer_counts_put(p, (struct sockaddr *)&a);
	peer_counts_put(p, (struct sockaddr *)&a);
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&a), 0);
	/* A put without a get leaves nothing negative behind. */
	peer_counts_put(p, (struct sockaddr *)&a);
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&a), 0);
	peer_counts_free(p);
}

static void test_mapped_and_v6(void **state)
{
	struct peer_counts *p;
	struct sockaddr_in a = v4("10.1.2.3");
	struct sockaddr_in6 m = v6("::ffff:10.1.2.3"), x = v6("2001:db8::1"), y = v6("2001:db8::2");
	struct sockaddr un = { .sa_family = AF_UNIX };
	(void)state;

	assert_int_equal(peer_counts_new(2, &p), 0);
	assert_int_equal(peer_counts_get(p, (struct sockaddr *)&a), 0);
	assert_int_equal(peer_counts_get(p, (struct sockaddr *)&m), 0);
	assert_false(peer_counts_allowed(p, (struct sockaddr *)&a));
	assert_int_equal(peer_counts_get(p, (struct sockaddr *)&x), 0);
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&x), 1);
	assert_int_equal(peer_counts_of(p, (struct sockaddr *)&y), 0);
	assert_int_equal(peer_counts_get(p, &un), -EAFNOSUPPORT);
	peer_counts_free(p); /* frees what is still counted */
}

static void test_many_addresses(void **state)
{
	struct peer_counts *p;
	(void)state;

	assert_int_equal(peer_counts_new(1, &p), 0);
	for (uint32_t i = 0; i < 5000; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u + i) };
		assert_int_equal(peer_counts_get(p, (struct sockaddr *)&a), 0);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u + i) };
		assert_int_equal(peer_counts_of(p, (struct sockaddr *)&a), 1);
		if (i % 2)
			peer_counts_put(p, (struct sockaddr *)&a);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u + i) };
		assert_int_equal(peer_counts_of(p, (struct sockaddr *)&a), i % 2 ? 0 : 1);
	}
	peer_counts_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_per_address),
		cmocka_unit_test(test_mapped_and_v6),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
