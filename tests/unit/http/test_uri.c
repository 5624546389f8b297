#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/uri.h"

static void expect_decoded(const char *raw, const char *want)
{
	char buf[256];
	ssize_t n;

	strncpy(buf, raw, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	n = uri_unescape(buf);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_string_equal(buf, want);
}

static void expect_refused(const char *raw)
{
	char buf[256];

	strncpy(buf, raw, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(uri_unescape(buf), -EINVAL);
	/* left exactly as it arrived */
	assert_string_equal(buf, raw);
}

static void test_plain_and_escaped(void **state)
{
	(void)state;
	expect_decoded("/redfish/v1/Chassis", "/redfish/v1/Chassis");
	expect_decoded("/redfish/v1/Schemas/CxlAgent.v1_0_0.json", "/redfish/v1/Schemas/CxlAgent.v1_0_0.json");
	expect_decoded("a%20b", "a b");
	expect_decoded("%2Fx%2fy", "/x/y");
	expect_decoded("a+b", "a+b");
	expect_decoded("", "");
	expect_decoded("%C3%A9t%C3%A9", "\xc3\xa9t\xc3\xa9");
	expect_decoded("\xe2\x82\xac", "\xe2\x82\xac");
	expect_decoded("%F0%9F%98%80", "\xf0\x9f\x98\x80");
}

static void test_nul_and_controls_refused(void **state)
{
	(void)state;
	expect_refused("/redfish/v1/Chassis%00x");
	expect_refused("/redfish/v1/AccountService/Accounts/2%00zzz");
	expect_refused("%01");
	expect_refused("a%0Ab");
	expect_refused("a%0db");
	expect_refused("a%7Fb");
	expect_refused("a\tb");
	expect_refused("a\x7f");
	expect_refused("x%1F");
}

static void test_malformed_escapes_refused(void **state)
{
	(void)state;
	expect_refused("%");
	expect_refused("abc%");
	expect_refused("abc%4");
	expect_refused("%G0");
	expect_refused("%0G");
	expect_refused("%%41");
	expect_refused("% 41");
}

static void test_invalid_utf8_refused(void **state)
{
	(void)state;
	expect_refused("/redfish/v1/Schemas/%ff");
	expect_refused("%80");
	expect_refused("%C3");          /* truncated */
	expect_refused("%C3%28");       /* bad continuation */
	expect_refused("%C0%AF");       /* overlong '/' */
	expect_refused("%E0%80%AF");    /* overlong */
	expect_refused("%ED%A0%80");    /* surrogate */
	expect_refused("%F4%90%80%80"); /* above U+10FFFF */
	expect_refused("%F5%80%80%80");
	expect_refused("\xc3");
	expect_refused("\xff");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(uri_utf8_valid((const unsigned char *)"", 0));
	assert_true(uri_utf8_valid((const unsigned char *)"\xed\x9f\xbf", 3));
	assert_true(uri_utf8_valid((const unsigned char *)"\xf4\x8f\xbf\xbf", 4));
	assert_false(uri_utf8_valid((const unsigned char *)"\xf4\x8f\xbf", 3));
	assert_false(uri_utf8_valid((const unsigned char *)"\xc1\xbf", 2));
}

static void test_dot_segments(void **state)
{
	(void)state;
	assert_true(uri_path_clean("/redfish/v1/Chassis"));
	assert_true(uri_path_clean("/redfish/v1/Schemas/a.json"));
	assert_true(uri_path_clean("/redfish/v1/...x"));
	assert_true(uri_path_clean("/redfish/v1/..x"));
	assert_false(uri_path_clean("/redfish/v1/../v1/Chassis"));
	assert_false(uri_path_clean("/redfish/v1/./Chassis"));
	assert_false(uri_path_clean("/redfish/v1/.."));
	assert_false(uri_path_clean("/redfish/v1/."));
	assert_false(uri_path_clean(".."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_escaped),
		cmocka_unit_test(test_nul_and_controls_refused),
		cmocka_unit_test(test_malformed_escapes_refused),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_dot_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
