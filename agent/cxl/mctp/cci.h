/* CXL Component Command Interface (CCI) messages as carried over MCTP: a
 * pure codec over byte buffers, shared by the agent's MCTP transport and the
 * test responder.
 *
 * An MCTP message of type 08h (CXL CCI, DSP0281) or 07h (CXL FM API,
 * DSP0234) is laid out as (offsets in bytes, multi-byte fields little
 * endian):
 *   0      MCTP message type; bit 7 (integrity check) must be clear
 *   1      [3:0] category: 0 request, 1 response; [7:4] reserved
 *   2      message tag, chosen by the requester, echoed by the responder
 *   3      reserved
 *   4..5   command opcode (command in byte 4, command set in byte 5)
 *   6..8   [20:0] payload length, [22:21] reserved, [23] background
 *          operation (BO)
 *   9..10  return code (responses): the same values as the mailbox return
 *          codes (enum cxl_mbox_rc in cxl/cel.h)
 *   11..12 vendor-specific extended status (responses)
 *   13..   payload
 *
 * Everything read from the wire is checked before use: the decoders never
 * read past the given length, and a reply is accepted only when its type,
 * category, tag, opcode and length all agree with the request and with the
 * bytes actually received. */
#ifndef CXLA_CXL_MCTP_CCI_H
#define CXLA_CXL_MCTP_CCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CXL_MCTP_TYPE_FMAPI 0x07
#define CXL_MCTP_TYPE_CCI 0x08
#define CXL_MCTP_TYPE_IC 0x80 /* integrity-check bit of the type byte */

#define CXL_CCI_CATEGORY_REQUEST 0x0
#define CXL_CCI_CATEGORY_RESPONSE 0x1

#define CXL_CCI_HDR_LEN 13u               /* type byte + 12-byte CCI header */
#define CXL_CCI_PAYLOAD_MAX 0x1FFFFFu     /* 21-bit length field */
#define CXL_CCI_BO_FLAG 0x800000u

/* Generic Component Identify (0001h) reply, the first thing a requester asks
 * an endpoint; the memory-device Identify is 4000h. */
#define CXL_CCI_OP_IDENTIFY 0x0001
#define CXL_CCI_IDENTIFY_LEN 18
#define CXL_CCI_COMPONENT_TYPE3 0x03

/* Decoded header. */
struct cxl_cci_hdr {
	uint8_t msg_type;       /* CXL_MCTP_TYPE_* */
	uint8_t category;       /* CXL_CCI_CATEGORY_* */
	uint8_t tag;
	uint16_t opcode;
	uint32_t payload_len;   /* as claimed by the header, checked against the bytes */
	bool bo;                /* background operation flag */
	uint16_t rc;            /* mailbox return code (responses) */
	uint16_t vendor_status;
};

/* Why a message was refused (for counters and logs). */
enum cxl_cci_err {
	CXL_CCI_OK = 0,
	CXL_CCI_ERR_SHORT,       /* fewer bytes than a header */
	CXL_CCI_ERR_TYPE,        /* wrong MCTP message type or integrity check set */
	CXL_CCI_ERR_CATEGORY,    /* not the expected request/response category */
	CXL_CCI_ERR_TAG,         /* response tag differs from the request's */
	CXL_CCI_ERR_OPCODE,      /* response opcode differs from the request's */
	CXL_CCI_ERR_LENGTH,      /* length field disagrees with the bytes received */
	CXL_CCI_ERR_TOO_LONG,    /* payload longer than the caller can take */
	CXL_CCI_ERR__COUNT,
};
/* "short", "type", ...; static string, "unknown" when out of range. */
const char *cxl_cci_err_name(enum cxl_cci_err e);

/* Encode a message (request or response per hdr->category) into buf.
 * hdr->payload_len is ignored: the length written is payload_len. Fails with
 * -EINVAL for a payload over CXL_CCI_PAYLOAD_MAX, a NULL payload with a
 * length, a category other than request/response, or a type with the
 * integrity-check bit; -ENOBUFS when buf_max is too small. On success *len
 * is CXL_CCI_HDR_LEN + payload_len. */
int cxl_cci_encode(const struct cxl_cci_hdr *hdr, const uint8_t *payload, size_t payload_len,
		   uint8_t *buf, size_t buf_max, size_t *len);

/* Decode any message: checks the header fits, the integrity-check bit is
 * clear and the length field equals len - CXL_CCI_HDR_LEN. *payload points
 * into msg (borrowed). Returns 0, or -EPROTO with *why set (why may be
 * NULL). Reserved bits are ignored. */
int cxl_cci_decode(const uint8_t *msg, size_t len, struct cxl_cci_hdr *hdr,
		   const uint8_t **payload, enum cxl_cci_err *why);

/* The outcome of a request, as the device set sees one. */
struct cxl_cci_reply {
	uint16_t mbox_rc;
	uint16_t vendor_status;
	bool bo;
	const uint8_t *payload; /* borrowed, into the message; NULL when payload_len is 0 */
	size_t payload_len;     /* 0 for any return code other than Success / Background started */
};

/* Validate msg as the answer to request req (its msg_type, tag and opcode):
 * the type, category (response), tag, opcode and length must agree, and the
 * payload must not exceed out_max. Error replies carry no payload upwards.
 * Returns 0 and *out, or -EPROTO with *why (CXL_CCI_ERR_TAG lets a
 * transport tell a stale reply from a broken one). */
int cxl_cci_check_response(const struct cxl_cci_hdr *req, const uint8_t *msg, size_t len,
			   size_t out_max, struct cxl_cci_reply *out, enum cxl_cci_err *why);

/* Generic Component Identify (0001h) reply: what a requester learns about an
 * endpoint before anything else. */
struct cxl_cci_identify {
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subsys_vendor_id;
	uint16_t subsys_id;
	uint64_t serial;
	uint8_t max_msg_log2;   /* largest message the endpoint takes: 2^n bytes */
	uint8_t component_type; /* CXL_CCI_COMPONENT_TYPE3 for a memory device */
};
/* 0, or -EPROTO for fewer than CXL_CCI_IDENTIFY_LEN bytes or a message size
 * outside 2^8..2^20 (the range the CXL specification allows). */
int cxl_cci_parse_identify(const uint8_t *buf, size_t len, struct cxl_cci_identify *out);

#endif
