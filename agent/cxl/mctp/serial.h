/* DSP0253 MCTP serial framing, byte-compatible with the Linux N_MCTP line
 * discipline (drivers/net/mctp/mctp-serial.c):
 *
 *   7Eh | revision 01h | byte count | packet bytes, escaped | FCS hi | FCS lo | 7Eh
 *
 * The byte count is the unescaped length of the MCTP packet (header included,
 * at most CXL_MCTP_PKT_MAX). In the packet bytes 7Eh is sent as 7Dh 5Eh and
 * 7Dh as 7Dh 5Dh. The FCS covers revision, byte count and the unescaped
 * packet bytes; it is the RFC 1662 16-bit FCS arithmetic (reflected
 * polynomial 8408h, initial value FFFFh) without the final complement, i.e.
 * CRC-16/MCRF4XX (check value 6F91h over "123456789"), sent high byte first
 * and not escaped. */
#ifndef CXLA_CXL_MCTP_SERIAL_H
#define CXLA_CXL_MCTP_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/mctp/packet.h"

#define CXL_MCTP_SERIAL_REVISION 0x01
#define CXL_MCTP_SERIAL_FLAG 0x7E
#define CXL_MCTP_SERIAL_ESC 0x7D
#define CXL_MCTP_FCS_INIT 0xFFFF
/* Worst case: every packet byte escaped. */
#define CXL_MCTP_FRAME_MAX (3 + 2 * CXL_MCTP_PKT_MAX + 2 + 1)

uint16_t cxl_mctp_fcs(uint16_t fcs, const uint8_t *p, size_t n);

/* Frame one packet (1..CXL_MCTP_PKT_MAX bytes) into out. Returns 0 and
 * *out_len, -EINVAL for a bad packet length, -ENOBUFS when out is too small. */
int cxl_mctp_frame(const uint8_t *pkt, size_t len, uint8_t *out, size_t out_max,
		   size_t *out_len);

/* Streaming decoder: bytes in, packets out. Anything that is not a well
 * formed frame (bad revision, byte count 0 or over CXL_MCTP_PKT_MAX, escape
 * of a byte other than 5Eh/5Dh, FCS mismatch, missing closing flag) is
 * counted and skipped up to the next flag byte, so garbage on the line costs
 * nothing but the frame it hit. A flag byte that ends one frame may also
 * start the next. Fixed size, no allocation. */
struct cxl_mctp_deframer {
	int state;
	uint8_t pkt[CXL_MCTP_PKT_MAX];
	size_t len;       /* byte count from the frame */
	size_t pos;
	uint16_t fcs;
	uint16_t fcs_rcvd;
	uint64_t frames;      /* good frames */
	uint64_t crc_errors;
	uint64_t errors;      /* other malformed frames */
};
void cxl_mctp_deframer_init(struct cxl_mctp_deframer *d);
/* Feed one byte. Returns 1 when a packet is complete: d->pkt[0..d->len),
 * valid until the next call; 0 otherwise. */
int cxl_mctp_deframer_push(struct cxl_mctp_deframer *d, uint8_t c);

#endif
