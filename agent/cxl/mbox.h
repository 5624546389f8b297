/* Mailbox payload layouts: little-endian helpers and decoders for the replies
 * the device layer reads itself (Identify, Get Partition Info, Get Health
 * Info, Get Event Records, Background Operation Status). Pure functions over
 * byte buffers; every decoder checks the length first and returns 0 or
 * -EPROTO, never reading past len. Layouts: CXL-REFERENCE.md section 2. */
#ifndef CXLA_CXL_MBOX_H
#define CXLA_CXL_MBOX_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/device.h"

#define CXL_CAPACITY_UNIT (256ull << 20) /* capacities are in 256 MiB units */

#define CXL_IDENTIFY_LEN 0x43
#define CXL_PARTITION_INFO_LEN 0x20
#define CXL_HEALTH_INFO_LEN 0x12
#define CXL_FW_INFO_LEN 0x50
#define CXL_GET_LOG_IN_LEN 0x18
#define CXL_GET_LSA_IN_LEN 8
#define CXL_SET_LSA_HDR_LEN 8
#define CXL_TIMESTAMP_LEN 8
#define CXL_BG_STATUS_LEN 8
#define CXL_EVENT_HDR_LEN 0x20
#define CXL_EVENT_RECORD_LEN 0x80
#define CXL_CLEAR_EVENT_HDR_LEN 6
#define CXL_EVENT_FLAG_OVERFLOW 0x01
#define CXL_EVENT_FLAG_MORE 0x02

static inline uint16_t cxl_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t cxl_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t cxl_get_le64(const uint8_t *p)
{
	return (uint64_t)cxl_get_le32(p) | (uint64_t)cxl_get_le32(p + 4) << 32;
}
static inline void cxl_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void cxl_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cxl_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Make a NUL-terminated string a device supplied (through the kernel or a
 * reply) printable ASCII in place: any other byte becomes '?', so it goes
 * into JSON (UTF-8) and a log line as is. */
void cxl_text_clean(char *s);

/* Identify (4000h), capacities converted to bytes. */
struct cxl_identify {
	char fw_revision[CXL_FW_REV_LEN + 1];
	uint64_t total_bytes;
	uint64_t volatile_only_bytes;
	uint64_t persistent_only_bytes;
	uint64_t partition_align_bytes;
	uint16_t event_log_size[4]; /* info, warn, fail, fatal */
	uint32_t lsa_size;
};
int cxl_parse_identify(const uint8_t *buf, size_t len, struct cxl_identify *out);

/* Get Partition Info (4100h), in bytes. */
struct cxl_partition {
	uint64_t active_volatile_bytes;
	uint64_t active_persistent_bytes;
	uint64_t next_volatile_bytes;
	uint64_t next_persistent_bytes;
};
int cxl_parse_partition(const uint8_t *buf, size_t len, struct cxl_partition *out);

/* Get Health Info (4200h). Sets valid; leaves read_at alone. */
int cxl_parse_health(const uint8_t *buf, size_t len, struct cxl_health *out);

/* Get Event Records (0100h) reply header plus up to max records decoded into
 * out[] (seq left 0, log set to the given log). The record count must fit in
 * len exactly (header + count * 0x80 <= len). */
struct cxl_event_page {
	uint8_t flags;             /* CXL_EVENT_FLAG_* */
	uint16_t overflow_count;
	uint16_t record_count;
};
int cxl_parse_event_records(const uint8_t *buf, size_t len, enum cxl_event_log log,
			    struct cxl_event_page *page, struct cxl_event *out, size_t max);

/* Background Operation Status (0002h). */
int cxl_parse_bg_status(const uint8_t *buf, size_t len, struct cxl_bg_status *out);

#endif
