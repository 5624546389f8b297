/* The MCTP receive path byte by byte: DSP0253 serial deframing, packet
 * reassembly, then the CCI message decoder and the response check against
 * a request, and the Generic Component Identify decoder. The first byte
 * picks where the input enters: 0 at the serial line, 1 as one packet
 * stream (a length byte before each packet), 2 as a whole CCI message, 3 as
 * the endpoint a device set talks to through the MCTP backend: every reply
 * it receives is scripted by the input (see endpoint_recv()), so the
 * transport's tag, opcode and stale-reply checks, the backend's Identify and
 * liveness, and the device set's decoders of what got through (CEL,
 * partition, health, event records) all see hostile answers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/mctp/backend.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"
#include "util/log.h"

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

/* The scripted endpoint of mode 3. No thread of its own: the device set
 * runs on the fuzzer's thread, so inputs stay deterministic. */
static struct {
	const uint8_t *p;
	size_t n;
	struct cxl_cci_hdr last; /* the request last sent */
} ep;

static uint8_t ep_u8(void)
{
	uint8_t v = 0;
	if (ep.n) {
		v = *ep.p++;
		ep.n--;
	}
	return v;
}

static size_t ep_take(uint8_t *out, size_t want)
{
	size_t n = want < ep.n ? want : ep.n;
	memcpy(out, ep.p, n);
	ep.p += n;
	ep.n -= n;
	return n;
}

static int endpoint_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	(void)ctx;
	(void)peer;
	return 3;
}

static int endpoint_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
			 size_t len)
{
	const uint8_t *pl;
	(void)ctx;
	(void)h;
	(void)peer;
	if (cxl_cci_decode(msg, len, &ep.last, &pl, NULL))
		return -EIO; /* the agent sent something it cannot decode itself */
	return 0;
}

/* One control byte per message received: bits 2:0 what comes (0 nothing,
 * 1 a message too long for the buffer, 2 raw bytes after a le16 length,
 * else a reply built for the last request); for a built reply bit 3 takes
 * the previous tag (a late answer), bit 4 another opcode, bit 5 sets the
 * background flag, then a return-code byte, a le16 payload length and the
 * payload. Once the script is spent nothing more comes. */
static int endpoint_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf,
			 size_t max, size_t *len, const struct timespec *deadline)
{
	uint8_t c, pl[CXL_MCTP_BACKEND_PAYLOAD];
	struct cxl_cci_hdr r;
	uint16_t n = 0;

	(void)ctx;
	(void)h;
	(void)peer;
	(void)deadline;
	*len = 0;
	if (!ep.n)
		return -ETIMEDOUT;
	c = ep_u8();
	switch (c & 7) {
	case 0:
		return -ETIMEDOUT;
	case 1:
		return -EMSGSIZE;
	case 2:
		ep_take((uint8_t *)&n, 2);
		*len = ep_take(buf, n < max ? n : max);
		return 0;
	default:
		break;
	}
	r = ep.last;
	r.category = CXL_CCI_CATEGORY_RESPONSE;
	if (c & 8)
		r.tag = (uint8_t)(r.tag - 1);
	if (c & 16)
		r.opcode = (uint16_t)(r.opcode ^ 0x0100);
	r.bo = (c & 32) != 0;
	r.rc = ep_u8();
	ep_take((uint8_t *)&n, 2);
	if (n > sizeof(pl))
		n = sizeof(pl);
	n = (uint16_t)ep_take(pl, n);
	if (cxl_cci_encode(&r, pl, n, buf, max, len))
		return -EMSGSIZE;
	return 0;
}

static void endpoint_close(void *ctx, int h)
{
	(void)ctx;
	(void)h;
}

static const struct cxl_mctp_io_ops endpoint_ops = {
	.open = endpoint_open, .send = endpoint_send, .recv = endpoint_recv,
	.close = endpoint_close,
};

static void endpoint(const uint8_t *data, size_t size)
{
	static int quiet;
	struct cxl_mctp_endpoint_spec spec;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000, .event_ring_size = 8,
					 .default_timeout_ms = 100 };
	const uint8_t vendor_in[4] = { 1, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = 0xC001, .in = vendor_in, .in_len = 4 };
	struct cxl_backend *be = NULL;
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	struct cxl_event evs[8];
	struct cxl_cmd_result res;
	struct cxl_cel cel;
	char why[128], err[256];

	if (!quiet) {
		log_set_level(LOG_LVL_ERROR);
		quiet = 1;
	}
	memset(&ep, 0, sizeof(ep));
	ep.p = data;
	ep.n = size;
	if (cxl_mctp_endpoint_parse("net=1,eid=8,name=fz,retries=1", &spec, why, sizeof(why)) ||
	    cxl_mctp_backend_new(&spec, 1, 10, 1, &endpoint_ops, NULL, &be, err, sizeof(err)) ||
	    cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)))
		return;
	if (cxl_devset_submit(set, 0, &cmd, &res) == 0)
		cxl_cmd_result_clear(&res);
	/* again: an absent endpoint is asked who it is before it is back */
	cxl_devset_refresh(set, 0, true);
	cxl_devset_info(set, 0, &info);
	cxl_devset_events(set, 0, 0, evs, 8);
	if (cxl_devset_cel(set, 0, &cel) == 0)
		cxl_cel_free(&cel);
	cxl_devset_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxl_mctp_deframer d;
	uint8_t buf[MSG_MAX];
	struct cxl_mctp_reasm r;

	if (size < 1)
		return 0;
	cxl_mctp_reasm_init(&r, buf, sizeof(buf));
	switch (data[0] % 4) {
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
	case 2:
		message(data + 1, size - 1);
		break;
	default:
		endpoint(data + 1, size - 1);
		break;
	}
	return 0;
}
