/* CCI-over-MCTP message codec: exact wire layout, and refusal of every
 * malformed, truncated, oversized or mismatched reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/cel.h"
#include "cxl/mctp/cci.h"

static const struct cxl_cci_hdr req_4000 = {
	.msg_type = CXL_MCTP_TYPE_CCI, .category = CXL_CCI_CATEGORY_REQUEST,
	.tag = 0x5A, .opcode = 0x4000,
};

/* A response to req with the given status and payload, encoded. */
static size_t mk_resp(const struct cxl_cci_hdr *req, uint16_t rc, bool bo, const uint8_t *pl,
		      size_t n, uint8_t *buf, size_t max)
{
	struct cxl_cci_hdr h = *req;
	size_t len = 0;
	h.category = CXL_CCI_CATEGORY_RESPONSE;
	h.rc = rc;
	h.bo = bo;
	h.vendor_status = 0xBEEF;
	assert_int_equal(cxl_cci_encode(&h, pl, n, buf, max, &len), 0);
	return len;
}

static void test_request_layout(void **state)
{
	static const uint8_t in[3] = { 0xAA, 0xBB, 0xCC };
	static const uint8_t want[] = { 0x08, 0x00, 0x5A, 0x00, 0x01, 0x04, 0x03, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC };
	struct cxl_cci_hdr h = req_4000;
	uint8_t buf[32];
	size_t len;
	(void)state;

	h.opcode = 0x0401; /* Get Log: command 01h of command set 04h */
	h.rc = 0x1234;     /* reserved in a request: not sent */
	assert_int_equal(cxl_cci_encode(&h, in, sizeof(in), buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_response_layout_and_decode(void **state)
{
	uint8_t pl[0x43], buf[256];
	struct cxl_cci_hdr h;
	const uint8_t *p;
	enum cxl_cci_err why;
	size_t len;
	(void)state;

	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)i;
	len = mk_resp(&req_4000, CXL_MBOX_BACKGROUND_STARTED, true, pl, sizeof(pl), buf,
		      sizeof(buf));
	assert_int_equal(len, CXL_CCI_HDR_LEN + 0x43);
	assert_int_equal(buf[1], CXL_CCI_CATEGORY_RESPONSE);
	assert_int_equal(buf[6], 0x43);
	assert_int_equal(buf[7], 0);
	assert_int_equal(buf[8], 0x80); /* BO at bit 23 */
	assert_int_equal(buf[9], 1);
	assert_int_equal(buf[11], 0xEF);
	assert_int_equal(buf[12], 0xBE);
	assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), 0);
	assert_int_equal(why, CXL_CCI_OK);
	assert_int_equal(h.opcode, 0x4000);
	assert_int_equal(h.tag, 0x5A);
	assert_int_equal(h.payload_len, 0x43);
	assert_true(h.bo);
	assert_int_equal(h.rc, 1);
	assert_int_equal(h.vendor_status, 0xBEEF);
	assert_ptr_equal(p, buf + CXL_CCI_HDR_LEN);
}

static void test_largest_length(void **state)
{
	size_t n = CXL_CCI_PAYLOAD_MAX;
	uint8_t *buf = calloc(1, CXL_CCI_HDR_LEN + n);
	uint8_t *pl = calloc(1, n + 1);
	struct cxl_cci_hdr h = req_4000, d;
	const uint8_t *p;
	size_t len;
	(void)state;

	assert_non_null(buf);
	assert_non_null(pl);
	assert_int_equal(cxl_cci_encode(&h, pl, n, buf, CXL_CCI_HDR_LEN + n, &len), 0);
	assert_int_equal(buf[6], 0xFF);
	assert_int_equal(buf[7], 0xFF);
	assert_int_equal(buf[8], 0x1F);
	assert_int_equal(cxl_cci_decode(buf, len, &d, &p, NULL), 0);
	assert_int_equal(d.payload_len, n);
	assert_false(d.bo);
	/* 21 bits is the limit */
	assert_int_equal(cxl_cci_encode(&h, pl, n + 1, buf, CXL_CCI_HDR_LEN + n, &len), -EINVAL);
	free(buf);
	free(pl);
}

static void test_encode_refusals(void **state)
{
	struct cxl_cci_hdr h = req_4000;
	uint8_t buf[64], pl[8] = { 0 };
	size_t len = 99;
	(void)state;

	assert_int_equal(cxl_cci_encode(&h, NULL, 4, buf, sizeof(buf), &len), -EINVAL);
	assert_int_equal(len, 0);
	assert_int_equal(cxl_cci_encode(&h, pl, 8, buf, CXL_CCI_HDR_LEN + 7, &len), -ENOBUFS);
	assert_int_equal(cxl_cci_encode(&h, NULL, 0, buf, CXL_CCI_HDR_LEN - 1, &len), -ENOBUFS);
	h.category = 2;
	assert_int_equal(cxl_cci_encode(&h, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
	h = req_4000;
	h.msg_type |= CXL_MCTP_TYPE_IC;
	assert_int_equal(cxl_cci_encode(&h, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
	h = req_4000;
	assert_int_equal(cxl_cci_encode(&h, NULL, 0, buf, CXL_CCI_HDR_LEN, &len), 0);
	assert_int_equal(len, CXL_CCI_HDR_LEN);
}

static void test_decode_refusals(void **state)
{
	uint8_t buf[64];
	struct cxl_cci_hdr h;
	const uint8_t *p = (const uint8_t *)1;
	enum cxl_cci_err why;
	size_t len;
	(void)state;

	len = mk_resp(&req_4000, 0, false, (const uint8_t *)"abcd", 4, buf, sizeof(buf));
	for (size_t n = 0; n < CXL_CCI_HDR_LEN; n++) {
		assert_int_equal(cxl_cci_decode(buf, n, &h, &p, &why), -EPROTO);
		assert_int_equal(why, CXL_CCI_ERR_SHORT);
		assert_null(p);
	}
	assert_int_equal(cxl_cci_decode(NULL, 20, &h, &p, &why), -EPROTO);
	/* truncated: the header claims 4 bytes, 3 arrived */
	assert_int_equal(cxl_cci_decode(buf, len - 1, &h, &p, &why), -EPROTO);
	assert_int_equal(why, CXL_CCI_ERR_LENGTH);
	/* trailing bytes the header does not account for */
	buf[len] = 0;
	assert_int_equal(cxl_cci_decode(buf, len + 1, &h, &p, &why), -EPROTO);
	assert_int_equal(why, CXL_CCI_ERR_LENGTH);
	/* a length claim in the reserved bits 22:21 is not a length */
	buf[8] = 0x60;
	assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), 0);
	buf[8] = 0x01; /* 64 KiB more than there is */
	assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), -EPROTO);
	assert_int_equal(why, CXL_CCI_ERR_LENGTH);
	buf[8] = 0;
	buf[0] = CXL_MCTP_TYPE_CCI | CXL_MCTP_TYPE_IC;
	assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), -EPROTO);
	assert_int_equal(why, CXL_CCI_ERR_TYPE);
	buf[0] = CXL_MCTP_TYPE_CCI;
	for (int c = 2; c < 16; c++) {
		buf[1] = (uint8_t)c;
		assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), -EPROTO);
		assert_int_equal(why, CXL_CCI_ERR_CATEGORY);
	}
	buf[1] = 0xF1; /* reserved high nibble ignored */
	assert_int_equal(cxl_cci_decode(buf, len, &h, &p, &why), 0);
	assert_int_equal(h.category, CXL_CCI_CATEGORY_RESPONSE);
}

static void test_check_response_ok(void **state)
{
	uint8_t pl[0x43], buf[128];
	struct cxl_cci_reply r;
	enum cxl_cci_err why;
	size_t len;
	(void)state;

	memset(pl, 0x11, sizeof(pl));
	len = mk_resp(&req_4000, 0, false, pl, sizeof(pl), buf, sizeof(buf));
	assert_int_equal(cxl_cci_check_response(&req_4000, buf, len, 0x43, &r, &why), 0);
	assert_int_equal(r.mbox_rc, 0);
	assert_int_equal(r.payload_len, 0x43);
	assert_ptr_equal(r.payload, buf + CXL_CCI_HDR_LEN);
	assert_int_equal(r.vendor_status, 0xBEEF);
	assert_false(r.bo);
	/* background started: output and BO passed up */
	len = mk_resp(&req_4000, CXL_MBOX_BACKGROUND_STARTED, true, pl, 4, buf, sizeof(buf));
	assert_int_equal(cxl_cci_check_response(&req_4000, buf, len, 0x43, &r, &why), 0);
	assert_int_equal(r.mbox_rc, 1);
	assert_true(r.bo);
	assert_int_equal(r.payload_len, 4);
	/* an error status: the device's verdict, no output */
	len = mk_resp(&req_4000, CXL_MBOX_BUSY, false, pl, 8, buf, sizeof(buf));
	assert_int_equal(cxl_cci_check_response(&req_4000, buf, len, 0x43, &r, &why), 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_BUSY);
	assert_int_equal(r.payload_len, 0);
	assert_null(r.payload);
	/* a return code outside the table still passes through unchanged */
	len = mk_resp(&req_4000, 0xFFFF, false, NULL, 0, buf, sizeof(buf));
	assert_int_equal(cxl_cci_check_response(&req_4000, buf, len, 0, &r, &why), 0);
	assert_int_equal(r.mbox_rc, 0xFFFF);
}

static void check_refused(const struct cxl_cci_hdr *req, const uint8_t *buf, size_t len,
			  size_t out_max, enum cxl_cci_err want)
{
	struct cxl_cci_reply r;
	enum cxl_cci_err why = CXL_CCI_OK;
	assert_int_equal(cxl_cci_check_response(req, buf, len, out_max, &r, &why), -EPROTO);
	assert_int_equal(why, want);
	assert_int_equal(r.payload_len, 0);
	assert_null(r.payload);
}

static void test_check_response_mismatches(void **state)
{
	struct cxl_cci_hdr other = req_4000;
	uint8_t buf[128];
	size_t len;
	(void)state;

	len = mk_resp(&req_4000, 0, false, (const uint8_t *)"12345678", 8, buf, sizeof(buf));
	check_refused(&req_4000, buf, len, 7, CXL_CCI_ERR_TOO_LONG);
	check_refused(&req_4000, buf, len - 1, 64, CXL_CCI_ERR_LENGTH);
	check_refused(&req_4000, buf, 5, 64, CXL_CCI_ERR_SHORT);
	other.tag = 0x5B;
	check_refused(&other, buf, len, 64, CXL_CCI_ERR_TAG);
	other = req_4000;
	other.opcode = 0x4001;
	check_refused(&other, buf, len, 64, CXL_CCI_ERR_OPCODE);
	other = req_4000;
	other.msg_type = CXL_MCTP_TYPE_FMAPI;
	check_refused(&other, buf, len, 64, CXL_CCI_ERR_TYPE);
	/* our own request echoed back is not an answer */
	buf[1] = CXL_CCI_CATEGORY_REQUEST;
	check_refused(&req_4000, buf, len, 64, CXL_CCI_ERR_CATEGORY);
}

static void test_err_names(void **state)
{
	(void)state;
	for (int e = 0; e < CXL_CCI_ERR__COUNT; e++) {
		const char *n = cxl_cci_err_name((enum cxl_cci_err)e);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
	}
	assert_string_equal(cxl_cci_err_name(CXL_CCI_ERR__COUNT), "unknown");
	assert_string_equal(cxl_cci_err_name(CXL_CCI_ERR_TAG), "tag");
}

static void test_parse_identify(void **state)
{
	uint8_t b[CXL_CCI_IDENTIFY_LEN] = { 0x86, 0x80, 0x93, 0x0d, 0x34, 0x12, 0x78, 0x56,
					    1, 0, 0, 0, 0, 0, 0, 0x10, 12, 3 };
	struct cxl_cci_identify id;
	(void)state;

	assert_int_equal(cxl_cci_parse_identify(b, sizeof(b), &id), 0);
	assert_int_equal(id.vendor_id, 0x8086);
	assert_int_equal(id.device_id, 0x0d93);
	assert_int_equal(id.subsys_vendor_id, 0x1234);
	assert_int_equal(id.subsys_id, 0x5678);
	assert_int_equal(id.serial, 0x1000000000000001ull);
	assert_int_equal(id.max_msg_log2, 12);
	assert_int_equal(id.component_type, CXL_CCI_COMPONENT_TYPE3);
	assert_int_equal(cxl_cci_parse_identify(b, sizeof(b) - 1, &id), -EPROTO);
	assert_int_equal(id.serial, 0);
	b[16] = 7;
	assert_int_equal(cxl_cci_parse_identify(b, sizeof(b), &id), -EPROTO);
	b[16] = 21;
	assert_int_equal(cxl_cci_parse_identify(b, sizeof(b), &id), -EPROTO);
	b[16] = 20;
	assert_int_equal(cxl_cci_parse_identify(b, sizeof(b), &id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_layout),
		cmocka_unit_test(test_response_layout_and_decode),
		cmocka_unit_test(test_largest_length),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_check_response_ok),
		cmocka_unit_test(test_check_response_mismatches),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_parse_identify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
