#include "cxl/mctp/packet.h"

#include <errno.h>
#include <string.h>

void cxl_mctp_pkt_hdr_put(uint8_t *p, const struct cxl_mctp_pkt_hdr *h)
{
	p[0] = CXL_MCTP_HDR_VERSION;
	p[1] = h->dest;
	p[2] = h->src;
	p[3] = (uint8_t)((h->som ? 0x80 : 0) | (h->eom ? 0x40 : 0) | ((h->seq & 3) << 4) |
			 (h->to ? 0x08 : 0) | (h->tag & 7));
}

int cxl_mctp_pkt_hdr_get(const uint8_t *p, size_t len, struct cxl_mctp_pkt_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (!p || len < CXL_MCTP_PKT_HDR_LEN || (p[0] & 0x0F) != CXL_MCTP_HDR_VERSION)
		return -EPROTO;
	h->dest = p[1];
	h->src = p[2];
	h->som = (p[3] & 0x80) != 0;
	h->eom = (p[3] & 0x40) != 0;
	h->seq = (p[3] >> 4) & 3;
	h->to = (p[3] & 0x08) != 0;
	h->tag = p[3] & 7;
	return 0;
}

int cxl_mctp_packetize(uint8_t dest, uint8_t src, bool to, uint8_t tag, const uint8_t *msg,
		       size_t len, size_t max_len, cxl_mctp_emit_fn emit, void *ctx)
{
	uint8_t pkt[CXL_MCTP_PKT_MAX];
	struct cxl_mctp_pkt_hdr h = { .dest = dest, .src = src, .to = to, .tag = tag };
	size_t off = 0;

	if (!msg || len == 0 || len > max_len || tag > 7)
		return -EINVAL;
	while (off < len) {
		size_t n = len - off < CXL_MCTP_BTU ? len - off : CXL_MCTP_BTU;
		int rc;
		h.som = off == 0;
		h.eom = off + n == len;
		cxl_mctp_pkt_hdr_put(pkt, &h);
		memcpy(pkt + CXL_MCTP_PKT_HDR_LEN, msg + off, n);
		rc = emit(ctx, pkt, CXL_MCTP_PKT_HDR_LEN + n);
		if (rc)
			return rc;
		off += n;
		h.seq = (uint8_t)((h.seq + 1) & 3);
	}
	return 0;
}

void cxl_mctp_reasm_init(struct cxl_mctp_reasm *r, uint8_t *buf, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
}

static void reasm_drop(struct cxl_mctp_reasm *r)
{
	if (r->active)
		r->dropped++;
	r->active = false;
	r->len = 0;
}

int cxl_mctp_reasm_push(struct cxl_mctp_reasm *r, const uint8_t *pkt, size_t len)
{
	struct cxl_mctp_pkt_hdr h;
	size_t n;

	if (cxl_mctp_pkt_hdr_get(pkt, len, &h)) {
		r->dropped++;
		return 0;
	}
	n = len - CXL_MCTP_PKT_HDR_LEN;
	if (h.som) {
		reasm_drop(r);
		r->active = true;
		r->first = h;
		r->next_seq = h.seq;
	} else if (!r->active || h.src != r->first.src || h.tag != r->first.tag ||
		   h.to != r->first.to || h.seq != r->next_seq) {
		reasm_drop(r);
		r->dropped++;
		return 0;
	}
	/* Only the last packet may be short; a short middle packet means a
	 * peer that does not follow the binding, and its message is dropped. */
	if ((!h.eom && n != CXL_MCTP_BTU) || n > CXL_MCTP_BTU) {
		reasm_drop(r);
		return 0;
	}
	if (n > r->cap - r->len) {
		reasm_drop(r);
		return -EMSGSIZE;
	}
	memcpy(r->buf + r->len, pkt + CXL_MCTP_PKT_HDR_LEN, n);
	r->len += n;
	r->next_seq = (uint8_t)((h.seq + 1) & 3);
	if (!h.eom)
		return 0;
	r->active = false;
	if (r->len == 0) {
		r->dropped++;
		return 0;
	}
	return 1;
}
