#include "cxl/mctp/cci.h"

#include <errno.h>
#include <string.h>

#include "cxl/cel.h"
#include "cxl/mbox.h"

static const char *const err_names[CXL_CCI_ERR__COUNT] = {
	[CXL_CCI_OK] = "ok",
	[CXL_CCI_ERR_SHORT] = "short",
	[CXL_CCI_ERR_TYPE] = "type",
	[CXL_CCI_ERR_CATEGORY] = "category",
	[CXL_CCI_ERR_TAG] = "tag",
	[CXL_CCI_ERR_OPCODE] = "opcode",
	[CXL_CCI_ERR_LENGTH] = "length",
	[CXL_CCI_ERR_TOO_LONG] = "too_long",
};

const char *cxl_cci_err_name(enum cxl_cci_err e)
{
	if ((unsigned)e >= CXL_CCI_ERR__COUNT)
		return "unknown";
	return err_names[e];
}

int cxl_cci_encode(const struct cxl_cci_hdr *hdr, const uint8_t *payload, size_t payload_len,
		   uint8_t *buf, size_t buf_max, size_t *len)
{
	uint32_t lf;

	*len = 0;
	if (payload_len > CXL_CCI_PAYLOAD_MAX || (!payload && payload_len) ||
	    (hdr->msg_type & CXL_MCTP_TYPE_IC) ||
	    (hdr->category != CXL_CCI_CATEGORY_REQUEST && hdr->category != CXL_CCI_CATEGORY_RESPONSE))
		return -EINVAL;
	if (buf_max < CXL_CCI_HDR_LEN || buf_max - CXL_CCI_HDR_LEN < payload_len)
		return -ENOBUFS;
	lf = (uint32_t)payload_len | (hdr->bo ? CXL_CCI_BO_FLAG : 0);
	buf[0] = hdr->msg_type;
	buf[1] = hdr->category;
	buf[2] = hdr->tag;
	buf[3] = 0;
	cxl_put_le16(buf + 4, hdr->opcode);
	buf[6] = (uint8_t)lf;
	buf[7] = (uint8_t)(lf >> 8);
	buf[8] = (uint8_t)(lf >> 16);
	/* A request's status fields are reserved and sent as zero. */
	cxl_put_le16(buf + 9, hdr->category == CXL_CCI_CATEGORY_RESPONSE ? hdr->rc : 0);
	cxl_put_le16(buf + 11, hdr->category == CXL_CCI_CATEGORY_RESPONSE ? hdr->vendor_status : 0);
	if (payload_len)
		memcpy(buf + CXL_CCI_HDR_LEN, payload, payload_len);
	*len = CXL_CCI_HDR_LEN + payload_len;
	return 0;
}

static int refuse(enum cxl_cci_err e, enum cxl_cci_err *why)
{
	if (why)
		*why = e;
	return -EPROTO;
}

int cxl_cci_decode(const uint8_t *msg, size_t len, struct cxl_cci_hdr *hdr,
		   const uint8_t **payload, enum cxl_cci_err *why)
{
	uint32_t lf;

	memset(hdr, 0, sizeof(*hdr));
	*payload = NULL;
	if (why)
		*why = CXL_CCI_OK;
	if (!msg || len < CXL_CCI_HDR_LEN)
		return refuse(CXL_CCI_ERR_SHORT, why);
	if (msg[0] & CXL_MCTP_TYPE_IC)
		return refuse(CXL_CCI_ERR_TYPE, why);
	lf = (uint32_t)msg[6] | (uint32_t)msg[7] << 8 | (uint32_t)msg[8] << 16;
	hdr->msg_type = msg[0];
	hdr->category = msg[1] & 0x0F;
	hdr->tag = msg[2];
	hdr->opcode = cxl_get_le16(msg + 4);
	hdr->payload_len = lf & CXL_CCI_PAYLOAD_MAX;
	hdr->bo = (lf & CXL_CCI_BO_FLAG) != 0;
	hdr->rc = cxl_get_le16(msg + 9);
	hdr->vendor_status = cxl_get_le16(msg + 11);
	if (hdr->category != CXL_CCI_CATEGORY_REQUEST && hdr->category != CXL_CCI_CATEGORY_RESPONSE)
		return refuse(CXL_CCI_ERR_CATEGORY, why);
	/* The claimed length must be exactly what arrived: a shorter claim
	 * would hide trailing bytes, a longer one would read past them. */
	if ((size_t)hdr->payload_len != len - CXL_CCI_HDR_LEN)
		return refuse(CXL_CCI_ERR_LENGTH, why);
	if (hdr->payload_len)
		*payload = msg + CXL_CCI_HDR_LEN;
	return 0;
}

int cxl_cci_check_response(const struct cxl_cci_hdr *req, const uint8_t *msg, size_t len,
			   size_t out_max, struct cxl_cci_reply *out, enum cxl_cci_err *why)
{
	struct cxl_cci_hdr h;
	const uint8_t *pl;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cxl_cci_decode(msg, len, &h, &pl, why);
	if (rc)
		return rc;
	if (h.msg_type != req->msg_type)
		return refuse(CXL_CCI_ERR_TYPE, why);
	if (h.category != CXL_CCI_CATEGORY_RESPONSE)
		return refuse(CXL_CCI_ERR_CATEGORY, why);
	if (h.tag != req->tag)
		return refuse(CXL_CCI_ERR_TAG, why);
	if (h.opcode != req->opcode)
		return refuse(CXL_CCI_ERR_OPCODE, why);
	if (h.payload_len > out_max)
		return refuse(CXL_CCI_ERR_TOO_LONG, why);
	out->mbox_rc = h.rc;
	out->vendor_status = h.vendor_status;
	out->bo = h.bo;
	/* Like the mailbox, only a successful or started command has output;
	 * bytes after an error status are not passed up as if they meant
	 * something. */
	if (h.rc == CXL_MBOX_SUCCESS || h.rc == CXL_MBOX_BACKGROUND_STARTED) {
		out->payload = pl;
		out->payload_len = h.payload_len;
	}
	return 0;
}

int cxl_cci_parse_identify(const uint8_t *buf, size_t len, struct cxl_cci_identify *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < CXL_CCI_IDENTIFY_LEN)
		return -EPROTO;
	out->vendor_id = cxl_get_le16(buf);
	out->device_id = cxl_get_le16(buf + 2);
	out->subsys_vendor_id = cxl_get_le16(buf + 4);
	out->subsys_id = cxl_get_le16(buf + 6);
	out->serial = cxl_get_le64(buf + 8);
	out->max_msg_log2 = buf[16];
	out->component_type = buf[17];
	if (out->max_msg_log2 < 8 || out->max_msg_log2 > 20)
		return -EPROTO;
	return 0;
}
