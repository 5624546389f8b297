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

/* RFC 4648 section 10, both ways, and the fixed-buffer forms' bounds. */
static void test_base64_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					     "Zm9vYmFy" };
	char text[16];
	uint8_t bin[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		assert_int_equal(base64_encode_into(text, (const uint8_t *)plain[i], strlen(plain[i])),
				 strlen(coded[i]));
		assert_string_equal(text, coded[i]);
		assert_int_equal(BASE64_ENCODED_LEN(strlen(plain[i])), strlen(coded[i]));
		assert_int_equal(base64_decode_into(coded[i], strlen(coded[i]), bin, sizeof(bin), &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(bin, plain[i], n);
	}
	assert_int_equal(base64_decode_into("Zm9vYmFy", 8, bin, 5, &n), -ENOSPC);
	assert_int_equal(base64_decode_into("Zm9vYmE=", 8, bin, 5, &n), 0);
	assert_int_equal(base64_decode_into("Zm9v====", 8, bin, sizeof(bin), &n), -EINVAL);
	assert_int_equal(base64_decode_into("Zm9v Y==", 8, bin, sizeof(bin), &n), -EINVAL);
}

/* Every byte value, at every offset within a group of three. */
static void test_base64_round_trip(void **state)
{
	uint8_t data[258], *back = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 255; len <= sizeof(data); len++) {
		char *text = base64_encode(data, len);
		assert_non_null(text);
		assert_int_equal(strlen(text), BASE64_ENCODED_LEN(len));
		assert_int_equal(base64_decode(text, strlen(text), &back, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, data, len);
		free(back);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
