/* The emulated model's commands: one handler per opcode, and the table that
 * is both the dispatch and the source of the CEL the device reports. */
#include "cxl/emulated/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/log.h"

#define EMU_BG_DEFAULT_MS 1500u

static size_t emu_cmd_count(void);
static const struct emu_cmd *emu_cmd_at(size_t i);

static uint16_t emu_bg_status(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			      size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	memset(out, 0, CXL_BG_STATUS_LEN);
	out[0] = (uint8_t)((d->bg_running ? 1 : 0) | d->bg_percent << 1);
	cxl_put_le16(out + 2, d->bg_opcode);
	cxl_put_le16(out + 4, d->bg_running ? 0 : d->bg_rc);
	*out_len = CXL_BG_STATUS_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_get_events(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			       size_t out_max, size_t *out_len)
{
	struct emu_log *l;
	size_t k;

	if (in_len != 1)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	if (in[0] > CXL_EVENT_LOG_FATAL)
		return CXL_MBOX_INVALID_INPUT;
	l = &d->logs[in[0]];
	k = (out_max - CXL_EVENT_HDR_LEN) / CXL_EVENT_RECORD_LEN;
	if (k > l->n)
		k = l->n;
	memset(out, 0, CXL_EVENT_HDR_LEN);
	out[0] = (uint8_t)((l->overflow ? CXL_EVENT_FLAG_OVERFLOW : 0) |
			   (k < l->n ? CXL_EVENT_FLAG_MORE : 0));
	cxl_put_le16(out + 2, l->overflow);
	cxl_put_le16(out + 0x14, (uint16_t)k);
	for (size_t i = 0; i < k; i++)
		memcpy(out + CXL_EVENT_HDR_LEN + i * CXL_EVENT_RECORD_LEN, l->rec[i],
		       CXL_EVENT_RECORD_LEN);
	*out_len = CXL_EVENT_HDR_LEN + k * CXL_EVENT_RECORD_LEN;
	return CXL_MBOX_SUCCESS;
}

static int find_handle(const struct emu_log *l, uint16_t h)
{
	for (size_t i = 0; i < l->n; i++)
		if (cxl_get_le16(l->rec[i] + 0x14) == h)
			return (int)i;
	return -1;
}

static uint16_t emu_clear_events(struct emu_dev *d, const uint8_t *in, size_t in_len,
				 uint8_t *out, size_t out_max, size_t *out_len)
{
	struct emu_log *l;
	size_t n, w = 0;
	bool drop[EMU_LOG_CAP] = { false };

	(void)out;
	(void)out_max;
	(void)out_len;
	if (in_len < CXL_CLEAR_EVENT_HDR_LEN)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	n = in[2];
	if (in_len != CXL_CLEAR_EVENT_HDR_LEN + 2 * n)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	if (in[0] > CXL_EVENT_LOG_FATAL)
		return CXL_MBOX_INVALID_INPUT;
	l = &d->logs[in[0]];
	if (in[1] & 1) { /* clear all */
		if (n)
			return CXL_MBOX_INVALID_INPUT;
		l->n = 0;
		l->overflow = 0;
		return CXL_MBOX_SUCCESS;
	}
	/* All handles are checked before anything is removed. */
	for (size_t i = 0; i < n; i++) {
		int pos = find_handle(l, cxl_get_le16(in + CXL_CLEAR_EVENT_HDR_LEN + 2 * i));
		if (pos < 0)
			return 0x0E; /* Invalid Handle */
		drop[pos] = true;
	}
	for (size_t i = 0; i < l->n; i++)
		if (!drop[i])
			memmove(l->rec[w++], l->rec[i], CXL_EVENT_RECORD_LEN);
	l->n = w;
	if (!w)
		l->overflow = 0;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_fw_info(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			    size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	memset(out, 0, CXL_FW_INFO_LEN);
	out[0] = 2;    /* slots supported */
	out[1] = 0x01; /* [2:0] active slot 1, [5:3] no staged slot */
	out[2] = 0;    /* no online activation */
	memcpy(out + 0x10, d->p.fw, strlen(d->p.fw));
	*out_len = CXL_FW_INFO_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_get_timestamp(struct emu_dev *d, const uint8_t *in, size_t in_len,
				  uint8_t *out, size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	cxl_put_le64(out, emu_timestamp(d));
	*out_len = CXL_TIMESTAMP_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_set_timestamp(struct emu_dev *d, const uint8_t *in, size_t in_len,
				  uint8_t *out, size_t out_max, size_t *out_len)
{
	(void)out;
	(void)out_max;
	(void)out_len;
	if (in_len != CXL_TIMESTAMP_LEN)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	d->ts_offset_ns = (int64_t)cxl_get_le64(in) - emu_clock_ns(CLOCK_MONOTONIC);
	return CXL_MBOX_SUCCESS;
}

static size_t emu_cel_size(void)
{
	return emu_cmd_count() * 4;
}

static uint16_t emu_supported_logs(struct emu_dev *d, const uint8_t *in, size_t in_len,
				   uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t size = emu_cel_size();
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	if (d->cur_fault == CXL_EMU_FAULT_BAD_CEL)
		size += 2;
	memset(out, 0, 8 + 20);
	cxl_put_le16(out, 1);
	memcpy(out + 8, cxl_log_uuid_cel, 16);
	cxl_put_le32(out + 24, (uint32_t)size);
	*out_len = 8 + 20;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_get_log(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			    size_t out_max, size_t *out_len)
{
	uint32_t off, len;
	(void)d;
	if (in_len != CXL_GET_LOG_IN_LEN)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	if (memcmp(in, cxl_log_uuid_cel, 16) != 0)
		return 0x17; /* Invalid Log */
	off = cxl_get_le32(in + 16);
	len = cxl_get_le32(in + 20);
	if ((uint64_t)off + len > emu_cel_size() || len > out_max)
		return CXL_MBOX_INVALID_INPUT;
	for (uint32_t i = 0; i < len; i++) {
		size_t pos = off + i;
		const struct emu_cmd *c = emu_cmd_at(pos / 4);
		uint16_t v = (pos % 4) < 2 ? c->opcode : c->effects;
		out[i] = (uint8_t)(pos % 2 ? v >> 8 : v);
	}
	*out_len = len;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_identify(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			     size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	memset(out, 0, CXL_IDENTIFY_LEN);
	memcpy(out, d->p.fw, strlen(d->p.fw));
	cxl_put_le64(out + 0x10, (d->p.vol + d->p.pers) / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x18, d->p.vol / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x20, d->p.pers / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x28, 0); /* no partitionable capacity */
	for (int i = 0; i < 4; i++)
		cxl_put_le16(out + 0x30 + 2 * i, EMU_LOG_CAP);
	cxl_put_le32(out + 0x38, d->p.lsa_size);
	*out_len = CXL_IDENTIFY_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_partition(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			      size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	memset(out, 0, CXL_PARTITION_INFO_LEN);
	cxl_put_le64(out, d->p.vol / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 8, d->p.pers / CXL_CAPACITY_UNIT);
	*out_len = CXL_PARTITION_INFO_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_get_lsa(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			    size_t out_max, size_t *out_len)
{
	uint32_t off, len;
	if (in_len != CXL_GET_LSA_IN_LEN)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	off = cxl_get_le32(in);
	len = cxl_get_le32(in + 4);
	if ((uint64_t)off + len > d->p.lsa_size || len > out_max)
		return CXL_MBOX_INVALID_INPUT;
	if (len)
		memcpy(out, d->lsa + off, len);
	*out_len = len;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_set_lsa(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			    size_t out_max, size_t *out_len)
{
	uint32_t off;
	size_t len;
	uint8_t *old;
	(void)out;
	(void)out_max;
	(void)out_len;
	if (in_len < CXL_SET_LSA_HDR_LEN)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	off = cxl_get_le32(in);
	len = in_len - CXL_SET_LSA_HDR_LEN;
	if ((uint64_t)off + len > d->p.lsa_size)
		return CXL_MBOX_INVALID_INPUT;
	if (!len)
		return CXL_MBOX_SUCCESS;
	old = malloc(len);
	if (!old)
		return CXL_MBOX_INTERNAL_ERROR;
	memcpy(old, d->lsa + off, len);
	memcpy(d->lsa + off, in + CXL_SET_LSA_HDR_LEN, len);
	if (d->lsa_path) {
		int rc = file_write_atomic(d->lsa_path, d->lsa, d->p.lsa_size, 0600);
		if (rc) {
			log_warn("emulated %s: cannot persist the label storage area to %s: %s",
				 d->id, d->lsa_path, strerror(-rc));
			memcpy(d->lsa + off, old, len);
			free(old);
			return CXL_MBOX_INTERNAL_ERROR;
		}
	}
	free(old);
	d->lsa_writes++;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_health(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	emu_health_bytes(d, out);
	*out_len = CXL_HEALTH_INFO_LEN;
	return CXL_MBOX_SUCCESS;
}

/* Telemetry blob (64 bytes, little endian):
 *  0x00 "CXLATLM1"         0x08 le32 version (1)     0x0C le32 reserved
 *  0x10 le64 commands executed
 *  0x18 le16 temperature   0x1A u8 life used %       0x1B u8 mode (C002h)
 *  0x1C le32 active config 0x20 le32 pending config  0x24 u8 pending valid
 *  0x25 u8 background running                         0x26 le16 background ops done
 *  0x28 le64 data generation (bumped by C002h and by each finished C003h)
 *  0x30 le64 serial        0x38 le32 Set LSA count   0x3C le32 reserved */
static uint16_t emu_read_telemetry(struct emu_dev *d, const uint8_t *in, size_t in_len,
				   uint8_t *out, size_t out_max, size_t *out_len)
{
	(void)in;
	(void)out_max;
	if (in_len)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	memset(out, 0, CXL_EMU_TELEMETRY_LEN);
	memcpy(out, "CXLATLM1", 8);
	cxl_put_le32(out + 0x08, 1);
	cxl_put_le64(out + 0x10, d->executed);
	cxl_put_le16(out + 0x18, (uint16_t)(int16_t)emu_temperature(d));
	out[0x1A] = (uint8_t)emu_life(d);
	out[0x1B] = (uint8_t)d->mode;
	cxl_put_le32(out + 0x1C, d->cfg_active);
	cxl_put_le32(out + 0x20, d->cfg_pending);
	out[0x24] = d->pending_valid;
	out[0x25] = d->bg_running;
	cxl_put_le16(out + 0x26, d->bg_done);
	cxl_put_le64(out + 0x28, d->data_gen);
	cxl_put_le64(out + 0x30, d->p.serial);
	cxl_put_le32(out + 0x38, d->lsa_writes);
	*out_len = CXL_EMU_TELEMETRY_LEN;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_set_config_reset(struct emu_dev *d, const uint8_t *in, size_t in_len,
				     uint8_t *out, size_t out_max, size_t *out_len)
{
	(void)out;
	(void)out_max;
	(void)out_len;
	if (in_len != 4)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	d->cfg_pending = cxl_get_le32(in);
	d->pending_valid = true;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_set_mode(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			     size_t out_max, size_t *out_len)
{
	uint32_t mode;
	(void)out_max;
	if (in_len != 4)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	mode = cxl_get_le32(in);
	if (mode > 3)
		return CXL_MBOX_INVALID_INPUT;
	cxl_put_le32(out, d->mode);
	*out_len = 4;
	d->mode = mode;
	d->data_gen++;
	return CXL_MBOX_SUCCESS;
}

static uint16_t emu_background(struct emu_dev *d, const uint8_t *in, size_t in_len,
			       uint8_t *out, size_t out_max, size_t *out_len)
{
	unsigned ms = EMU_BG_DEFAULT_MS;
	(void)out;
	(void)out_max;
	(void)out_len;
	if (in_len != 0 && in_len != 4)
		return CXL_MBOX_INVALID_PAYLOAD_LENGTH;
	if (in_len == 4) {
		uint32_t v = cxl_get_le32(in);
		if (v < 100 || v > 10000)
			return CXL_MBOX_INVALID_INPUT;
		ms = v;
	}
	if (d->bg_running)
		return CXL_MBOX_BUSY;
	d->bg_running = true;
	d->bg_percent = 0;
	d->bg_opcode = CXL_EMU_OP_BACKGROUND;
	d->bg_rc = 0;
	d->bg_ms = ms;
	clock_gettime(CLOCK_MONOTONIC, &d->bg_start);
	return CXL_MBOX_BACKGROUND_STARTED;
}

#define IMM_CONFIG CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE
#define IMM_DATA CXL_EFFECT_IMMEDIATE_DATA_CHANGE

static const struct emu_cmd emu_cmds[] = {
	{ CXL_OP_BG_OP_STATUS, 0, emu_bg_status },
	{ CXL_OP_GET_EVENT_RECORDS, 0, emu_get_events },
	{ CXL_OP_CLEAR_EVENT_RECORDS, CXL_EFFECT_IMMEDIATE_LOG_CHANGE, emu_clear_events },
	{ CXL_OP_GET_FW_INFO, 0, emu_fw_info },
	{ CXL_OP_GET_TIMESTAMP, 0, emu_get_timestamp },
	{ CXL_OP_SET_TIMESTAMP, CXL_EFFECT_IMMEDIATE_POLICY_CHANGE, emu_set_timestamp },
	{ CXL_OP_GET_SUPPORTED_LOGS, 0, emu_supported_logs },
	{ CXL_OP_GET_LOG, 0, emu_get_log },
	{ CXL_OP_IDENTIFY, 0, emu_identify },
	{ CXL_OP_GET_PARTITION_INFO, 0, emu_partition },
	{ CXL_OP_GET_LSA, 0, emu_get_lsa },
	{ CXL_OP_SET_LSA, IMM_CONFIG | IMM_DATA, emu_set_lsa },
	{ CXL_OP_GET_HEALTH_INFO, 0, emu_health },
	{ CXL_EMU_OP_READ_TELEMETRY, 0, emu_read_telemetry },
	{ CXL_EMU_OP_SET_CONFIG_RESET, CXL_EFFECT_CONFIG_CHANGE_COLD_RESET, emu_set_config_reset },
	{ CXL_EMU_OP_SET_MODE, IMM_CONFIG | IMM_DATA, emu_set_mode },
	{ CXL_EMU_OP_BACKGROUND, CXL_EFFECT_BACKGROUND_OPERATION | IMM_DATA, emu_background },
};

static size_t emu_cmd_count(void)
{
	return sizeof(emu_cmds) / sizeof(emu_cmds[0]);
}

static const struct emu_cmd *emu_cmd_at(size_t i)
{
	return &emu_cmds[i];
}

const struct emu_cmd *emu_cmd_find(uint16_t opcode)
{
	for (size_t i = 0; i < emu_cmd_count(); i++)
		if (emu_cmds[i].opcode == opcode)
			return &emu_cmds[i];
	return NULL;
}
