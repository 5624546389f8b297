/* MCTP packets (DSP0236): the 4-byte transport header, splitting a message
 * into baseline-MTU packets and reassembling them. Used where the agent or a
 * test speaks MCTP itself rather than through the kernel's AF_MCTP stack
 * (the serial binding over a pty, the test responder).
 *
 * Header: byte 0 [3:0] header version (1), [7:4] reserved; byte 1
 * destination EID; byte 2 source EID; byte 3 SOM (bit 7), EOM (bit 6),
 * packet sequence (bits 5:4), tag owner (bit 3), message tag (bits 2:0).
 * Every packet but the last carries exactly CXL_MCTP_BTU payload bytes. */
#ifndef CXLA_CXL_MCTP_PACKET_H
#define CXLA_CXL_MCTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CXL_MCTP_HDR_VERSION 1
#define CXL_MCTP_PKT_HDR_LEN 4
#define CXL_MCTP_BTU 64 /* baseline transmission unit: payload bytes per packet */
#define CXL_MCTP_PKT_MAX (CXL_MCTP_PKT_HDR_LEN + CXL_MCTP_BTU)

struct cxl_mctp_pkt_hdr {
	uint8_t dest;
	uint8_t src;
	bool som, eom, to;
	uint8_t seq; /* 0..3 */
	uint8_t tag; /* 0..7 */
};

void cxl_mctp_pkt_hdr_put(uint8_t *p, const struct cxl_mctp_pkt_hdr *h);
/* 0, or -EPROTO for a packet shorter than a header or of another header
 * version. */
int cxl_mctp_pkt_hdr_get(const uint8_t *p, size_t len, struct cxl_mctp_pkt_hdr *h);

/* Split msg into packets from src to dest with the given tag owner and tag,
 * calling emit once per packet (pkt borrowed for the call). Stops at and
 * returns the first non-zero emit result; -EINVAL for an empty message, a
 * tag over 7 or a message over max_len. */
typedef int (*cxl_mctp_emit_fn)(void *ctx, const uint8_t *pkt, size_t len);
int cxl_mctp_packetize(uint8_t dest, uint8_t src, bool to, uint8_t tag, const uint8_t *msg,
		       size_t len, size_t max_len, cxl_mctp_emit_fn emit, void *ctx);

/* Reassembly of one message at a time into a caller-owned buffer of cap
 * bytes (the bound on what a peer can make us hold). A packet with SOM
 * starts a new message, dropping any partial one; a packet that does not
 * continue the current message (source, tag, tag owner, sequence) drops it.
 * A message that would exceed cap is dropped whole. */
struct cxl_mctp_reasm {
	uint8_t *buf;       /* borrowed */
	size_t cap;
	size_t len;
	bool active;
	struct cxl_mctp_pkt_hdr first;
	uint8_t next_seq;
	uint64_t dropped;   /* packets or partial messages thrown away */
};
void cxl_mctp_reasm_init(struct cxl_mctp_reasm *r, uint8_t *buf, size_t cap);
/* Feed one packet addressed to us. Returns 1 when a message is complete (its
 * bytes are r->buf[0..r->len), its header r->first; valid until the next
 * push), 0 when more packets are needed or the packet was dropped,
 * -EMSGSIZE when this packet made the message exceed cap (it is dropped). */
int cxl_mctp_reasm_push(struct cxl_mctp_reasm *r, const uint8_t *pkt, size_t len);

#endif
