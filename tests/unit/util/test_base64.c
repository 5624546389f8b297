/* util/base64: the two payload encodings, strict on input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"

static void test_hex(void **state)
{
	uint8_t *out = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(hex_decode("00fFa5C3", 8, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x00\xff\xa5\xc3", 4);
	free(out);
	assert_int_equal(hex_decode("", 0, &out, &n), 0);
	assert_non_null(out);
	assert_int_equal(n, 0);
	free(out);
	static const char *const bad[] = { "0", "abc", "0g", "g0", " 0", "0 ", "0x00", "00\n",
					   "-1", "+1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		if (hex_decode(bad[i], strlen(bad[i]), &out, &n) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_null(out);
	}
	/* an embedded NUL counts as a character, never as an end */
	assert_int_equal(hex_decode("00\0" "0", 4, &out, &n), -EINVAL);
}

static void test_base64(void **state)
{
	uint8_t *out = NULL;
	size_t n = 0;
	char *text;

	(void)state;
	assert_int_equal(base64_decode("ZAAAAA==", 8, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x64\x00\x00\x00", 4);
	text = base64_encode(out, n);
	assert_string_equal(text, "ZAAAAA==");
	free(text);
	free(out);
	assert_int_equal(base64_decode("ZAAAAA=", 7, &out, &n), -EINVAL);
	assert_int_equal(base64_decode("ZA=AAA==", 8, &out, &n), -EINVAL);
	assert_int_equal(base64_decode("ZA!AAA==", 8, &out, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
