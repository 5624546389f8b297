#include "cxl/mctp/serial.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum {
	ST_IDLE = 0, /* waiting for a flag */
	ST_REV,      /* flag seen, waiting for the revision */
	ST_COUNT,
	ST_DATA,
	ST_ESC,
	ST_FCS_HI,
	ST_FCS_LO,
	ST_END,
};

uint16_t cxl_mctp_fcs(uint16_t fcs, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fcs ^= p[i];
		for (int b = 0; b < 8; b++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) : (uint16_t)(fcs >> 1);
	}
	return fcs;
}

static bool needs_escape(uint8_t c)
{
	return c == CXL_MCTP_SERIAL_FLAG || c == CXL_MCTP_SERIAL_ESC;
}

int cxl_mctp_frame(const uint8_t *pkt, size_t len, uint8_t *out, size_t out_max,
		   size_t *out_len)
{
	uint8_t head[2] = { CXL_MCTP_SERIAL_REVISION, (uint8_t)len };
	size_t o = 0;
	uint16_t fcs;

	*out_len = 0;
	if (!pkt || len == 0 || len > CXL_MCTP_PKT_MAX)
		return -EINVAL;
	if (out_max < CXL_MCTP_FRAME_MAX)
		return -ENOBUFS;
	fcs = cxl_mctp_fcs(CXL_MCTP_FCS_INIT, head, 2);
	fcs = cxl_mctp_fcs(fcs, pkt, len);
	out[o++] = CXL_MCTP_SERIAL_FLAG;
	out[o++] = head[0];
	out[o++] = head[1];
	for (size_t i = 0; i < len; i++) {
		if (needs_escape(pkt[i])) {
			out[o++] = CXL_MCTP_SERIAL_ESC;
			out[o++] = (uint8_t)(pkt[i] & ~0x20);
		} else {
			out[o++] = pkt[i];
		}
	}
	out[o++] = (uint8_t)(fcs >> 8);
	out[o++] = (uint8_t)fcs;
	out[o++] = CXL_MCTP_SERIAL_FLAG;
	*out_len = o;
	return 0;
}

void cxl_mctp_deframer_init(struct cxl_mctp_deframer *d)
{
	memset(d, 0, sizeof(*d));
	d->state = ST_IDLE;
}

/* A malformed frame: count it and resynchronise. A flag byte that broke the
 * frame may itself be the start of the next one. */
static void bad_frame(struct cxl_mctp_deframer *d, uint8_t c)
{
	d->errors++;
	d->state = c == CXL_MCTP_SERIAL_FLAG ? ST_REV : ST_IDLE;
}

static void data_byte(struct cxl_mctp_deframer *d, uint8_t c)
{
	d->pkt[d->pos++] = c;
	d->fcs = cxl_mctp_fcs(d->fcs, &c, 1);
	d->state = d->pos == d->len ? ST_FCS_HI : ST_DATA;
}

int cxl_mctp_deframer_push(struct cxl_mctp_deframer *d, uint8_t c)
{
	switch (d->state) {
	case ST_IDLE:
		if (c == CXL_MCTP_SERIAL_FLAG)
			d->state = ST_REV;
		return 0;
	case ST_REV:
		if (c == CXL_MCTP_SERIAL_FLAG)
			return 0; /* back-to-back flags: closing flag, then opening */
		if (c != CXL_MCTP_SERIAL_REVISION) {
			bad_frame(d, c);
			return 0;
		}
		d->fcs = cxl_mctp_fcs(CXL_MCTP_FCS_INIT, &c, 1);
		d->state = ST_COUNT;
		return 0;
	case ST_COUNT:
		if (c == 0 || c > CXL_MCTP_PKT_MAX) {
			bad_frame(d, c);
			return 0;
		}
		d->len = c;
		d->pos = 0;
		d->fcs = cxl_mctp_fcs(d->fcs, &c, 1);
		d->state = ST_DATA;
		return 0;
	case ST_DATA:
		if (c == CXL_MCTP_SERIAL_FLAG)
			bad_frame(d, c); /* frame cut short */
		else if (c == CXL_MCTP_SERIAL_ESC)
			d->state = ST_ESC;
		else
			data_byte(d, c);
		return 0;
	case ST_ESC:
		if (c != 0x5E && c != 0x5D)
			bad_frame(d, c);
		else
			data_byte(d, (uint8_t)(c | 0x20));
		return 0;
	case ST_FCS_HI:
		d->fcs_rcvd = (uint16_t)(c << 8);
		d->state = ST_FCS_LO;
		return 0;
	case ST_FCS_LO:
		d->fcs_rcvd |= c;
		d->state = ST_END;
		return 0;
	default: /* ST_END */
		if (c != CXL_MCTP_SERIAL_FLAG) {
			bad_frame(d, c);
			return 0;
		}
		d->state = ST_REV;
		if (d->fcs != d->fcs_rcvd) {
			d->crc_errors++;
			return 0;
		}
		d->frames++;
		return 1;
	}
}
