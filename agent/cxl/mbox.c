#include "cxl/mbox.h"

#include <errno.h>
#include <string.h>

/* Capacity fields are le64 counts of 256 MiB; a count that overflows 64 bits
 * of bytes is a device bug, reported like any other malformed reply. */
static int capacity(const uint8_t *p, uint64_t *bytes)
{
	uint64_t units = cxl_get_le64(p);
	if (units > UINT64_MAX / CXL_CAPACITY_UNIT)
		return -EPROTO;
	*bytes = units * CXL_CAPACITY_UNIT;
	return 0;
}

static char printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) ? (char)c : '?';
}

void cxl_text_clean(char *s)
{
	for (; *s; s++)
		*s = printable((uint8_t)*s);
}

int cxl_parse_identify(const uint8_t *buf, size_t len, struct cxl_identify *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < CXL_IDENTIFY_LEN)
		return -EPROTO;
	/* ASCII, NUL padded; anything unprintable is replaced so upper layers can
	 * put it into JSON and logs as is. */
	for (size_t i = 0; i < CXL_FW_REV_LEN && buf[i]; i++)
		out->fw_revision[i] = printable(buf[i]);
	if (capacity(buf + 0x10, &out->total_bytes) || capacity(buf + 0x18, &out->volatile_only_bytes) ||
	    capacity(buf + 0x20, &out->persistent_only_bytes) ||
	    capacity(buf + 0x28, &out->partition_align_bytes))
		return -EPROTO;
	for (int i = 0; i < 4; i++)
		out->event_log_size[i] = cxl_get_le16(buf + 0x30 + 2 * i);
	out->lsa_size = cxl_get_le32(buf + 0x38);
	return 0;
}

int cxl_parse_partition(const uint8_t *buf, size_t len, struct cxl_partition *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < CXL_PARTITION_INFO_LEN)
		return -EPROTO;
	if (capacity(buf, &out->active_volatile_bytes) ||
	    capacity(buf + 8, &out->active_persistent_bytes) ||
	    capacity(buf + 16, &out->next_volatile_bytes) ||
	    capacity(buf + 24, &out->next_persistent_bytes))
		return -EPROTO;
	return 0;
}

int cxl_parse_health(const uint8_t *buf, size_t len, struct cxl_health *out)
{
	if (!buf || len < CXL_HEALTH_INFO_LEN)
		return -EPROTO;
	out->valid = true;
	out->health_status = buf[0];
	out->media_status = buf[1];
	out->additional_status = buf[2];
	out->life_used_pct = buf[3];
	out->temperature_c = (int16_t)cxl_get_le16(buf + 4);
	out->dirty_shutdowns = cxl_get_le32(buf + 6);
	out->corrected_volatile_errors = cxl_get_le32(buf + 10);
	out->corrected_persistent_errors = cxl_get_le32(buf + 14);
	return 0;
}

int cxl_parse_event_records(const uint8_t *buf, size_t len, enum cxl_event_log log,
			    struct cxl_event_page *page, struct cxl_event *out, size_t max)
{
	memset(page, 0, sizeof(*page));
	if (!buf || len < CXL_EVENT_HDR_LEN)
		return -EPROTO;
	page->flags = buf[0];
	page->overflow_count = cxl_get_le16(buf + 2);
	page->record_count = cxl_get_le16(buf + 0x14);
	if ((size_t)page->record_count > (len - CXL_EVENT_HDR_LEN) / CXL_EVENT_RECORD_LEN)
		return -EPROTO;
	for (size_t i = 0; i < page->record_count && i < max; i++) {
		const uint8_t *r = buf + CXL_EVENT_HDR_LEN + i * CXL_EVENT_RECORD_LEN;
		struct cxl_event *e = &out[i];
		memset(e, 0, sizeof(*e));
		e->log = log;
		memcpy(e->uuid, r, 16);
		e->flags = r[0x11];
		e->handle = cxl_get_le16(r + 0x14);
		e->timestamp_ns = cxl_get_le64(r + 0x18);
		memcpy(e->data, r + 0x30, sizeof(e->data));
		e->data_len = sizeof(e->data);
	}
	return 0;
}

int cxl_parse_bg_status(const uint8_t *buf, size_t len, struct cxl_bg_status *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < CXL_BG_STATUS_LEN)
		return -EPROTO;
	out->running = buf[0] & 1;
	out->percent = buf[0] >> 1;
	if (out->percent > 100)
		return -EPROTO;
	out->opcode = cxl_get_le16(buf + 2);
	out->rc = cxl_get_le16(buf + 4);
	return 0;
}
