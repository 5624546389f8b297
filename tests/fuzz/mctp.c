/* The MCTP receive path byte by byte: DSP0253 serial deframing, packet
 * reassembly, then the CCI message decoder and the response check against
 * a request, and the Generic Component Identify decoder. The first byte
 * picks where the input enters: 0 at the serial line, 1 as one packet
 * stream (a length byte before each packet), 2 as a whole CCI message. */
#include <stdint.h>
#include <string.h>

#include "cxl/mctp/cci.h"
#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSG_MAX 4096

static void message(const uint8_t *m, size_t n)
{
	static const struct cxl_cci_hdr req = { .msg_type = CXL_MCTP_TYPE_CCI,
						.category = CXL_CCI_CATEGORY_REQUEST,
						.tag = 5,
						.opcode = CXL_CCI_OP_IDENTIFY };
	struct cxl_cci_hdr hdr;
	struct cxl_cci_reply rep;
	struct cxl_cci_identify id;
	const uint8_t *payload = NULL;
	enum cxl_cci_err why;

	if (cxl_cci_decode(m, n, &hdr, &payload, &why) == 0 && hdr.payload_len)
		cxl_cci_parse_identify(payload, hdr.payload_len, &id);
	cxl_cci_err_name(why);
	if (cxl_cci_check_response(&req, m, n, 256, &rep, &why) == 0 && rep.payload_len)
		cxl_cci_parse_identify(rep.payload, rep.payload_len, &id);
}

static void packet(struct cxl_mctp_reasm *r, const uint8_t *p, size_t n)
{
	struct cxl_mctp_pkt_hdr h;

	if (cxl_mctp_pkt_hdr_get(p, n, &h))
		return;
	if (cxl_mctp_reasm_push(r, p, n) == 1)
		message(r->buf, r->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxl_mctp_deframer d;
	uint8_t buf[MSG_MAX];
	struct cxl_mctp_reasm r;

	if (size < 1)
		return 0;
	cxl_mctp_reasm_init(&r, buf, sizeof(buf));
	switch (data[0] % 3) {
	case 0:
		cxl_mctp_deframer_init(&d);
		for (size_t i = 1; i < size; i++)
			if (cxl_mctp_deframer_push(&d, data[i]) == 1)
				packet(&r, d.pkt, d.len);
		break;
	case 1:
		for (size_t i = 1; i < size;) {
			size_t n = data[i++];
			if (n > size - i)
				n = size - i;
			packet(&r, data + i, n);
			i += n;
		}
		break;
	default:
		message(data + 1, size - 1);
		break;
	}
	return 0;
}
