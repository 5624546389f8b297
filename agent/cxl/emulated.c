/* Emulated CXL Type-3 memory devices: the backend used when the host has no
 * CXL hardware, and by the tests.
 *
 * Theory of operation
 * -------------------
 * Each device in the profile is a small state machine behind a mailbox. A
 * command is (opcode, input bytes) -> (return code, output bytes), looked up
 * in one table (emu_cmds[]) that also carries the command's CEL effects; the
 * CEL the device reports is generated from that table, so it lists exactly
 * what the model implements, with the effects the model really has.
 *
 * Modelled:
 *  - Identify, Get Partition Info: fixed capacities from the profile, all of
 *    it volatile-only or persistent-only (no partitionable capacity, so the
 *    "next" partition sizes are 0 and Set Partition Info is not offered).
 *  - Get Health Info: the model's virtual clock is the number of commands it
 *    has executed. Temperature rises by 1 degree C every commands_per_degree
 *    commands (capped at 125), life used by 1 % every commands_per_life_pct
 *    (capped at 100). Thresholds: warning at 75, critical at 90 (degrees C
 *    or percent). Crossing one raises the additional-status bits, the health
 *    status bits (maintenance needed / performance degraded / replacement
 *    needed) and queues one Memory Module event record (warning log for
 *    warning, failure log for critical). Deterministic: the same command
 *    sequence always gives the same health.
 *  - Get/Set LSA: the label storage area lives in memory and is persisted
 *    after every Set LSA to <state_dir>/<device id>.lsa with an atomic
 *    rewrite; it is loaded again when the model is created.
 *  - Get Supported Logs / Get Log: the CEL only.
 *  - Get/Clear Event Records: four logs (info, warning, failure, fatal) of
 *    16 records each; when one is full, new records are dropped and the
 *    overflow count rises. Records come from health threshold crossings, the
 *    completion of a background operation, and fault injection (test hook).
 *  - Get/Set Timestamp: the device clock starts at the host's wall clock when
 *    the model is created (as if the driver set it at probe, as Linux does)
 *    and runs on CLOCK_MONOTONIC; Set Timestamp moves it.
 *  - Get FW Info: two slots, slot 1 active with the profile's revision.
 *  - Background Operation Status, and vendor opcodes:
 *      C000h read telemetry (no effects): 64-byte blob, layout in
 *            emu_read_telemetry();
 *      C001h set config after reset (config change after cold reset): le32
 *            value stored as pending; the model is never reset, so it stays
 *            pending (telemetry shows it) for the life of the process;
 *      C002h set mode (immediate config + immediate data change): le32 mode
 *            0..3, replies with the previous mode (le32);
 *      C003h background operation (background + immediate data): optional
 *            le32 duration in ms (100..10000, default 1500); answers
 *            "Background Command Started" and completes on the wall clock;
 *            a second one while running gets Busy.
 *  - Input lengths are validated like a device does: a wrong length gives
 *    Invalid Payload Length, an out-of-range value Invalid Input, an opcode
 *    not in the table Unsupported.
 *  - An optional execution journal: one fsynced JSON line per vendor
 *    command, written just before it executes.
 *  - Fault injection (emulated.h): busy, retry, internal error, invalid
 *    payload length, no answer, vanishing, garbage reply lengths, a
 *    malformed CEL.
 * Not modelled: media (no memory behind the device, no poison, no scan
 * media), partitioning, security and sanitize, firmware transfer and
 * activation, alert configuration, event interrupts, resets of any kind,
 * multiple logical devices, the CXL.mem and CXL.cache protocols, timing of
 * real hardware (commands answer at once except the background operation). */
#include "cxl/emulated.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxl/backend.h"
#include "cxl/mbox.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/log.h"

#define EMU_LOG_CAP 16
#define EMU_WARN_LEVEL 75
#define EMU_CRIT_LEVEL 90
#define EMU_MAX_TEMP 125
#define EMU_BG_DEFAULT_MS 1500u
#define EMU_PROFILE_MAX (1u << 20)
#define EMU_CONTROL_MAX 4096u
#define EMU_LSA_MAX (16u << 20)

/* Memory Module Event Record, fe927475-dd59-4339-a586-79bab113b774 */
static const uint8_t uuid_mem_module[16] = { 0xfe, 0x92, 0x74, 0x75, 0xdd, 0x59, 0x43, 0x39,
					     0xa5, 0x86, 0x79, 0xba, 0xb1, 0x13, 0xb7, 0x74 };
/* The model's own vendor record, 6378c1a0-6b2e-4c8e-9a7d-63786c616765 */
static const uint8_t uuid_vendor[16] = { 0x63, 0x78, 0xc1, 0xa0, 0x6b, 0x2e, 0x4c, 0x8e,
					 0x9a, 0x7d, 0x63, 0x78, 0x6c, 0x61, 0x67, 0x65 };

static const char builtin_profile[] =
	"{\n"
	"  \"devices\": [\n"
	"    {\n"
	"      \"name\": \"emu0\",\n"
	"      \"serial\": \"0x1000000000000001\",\n"
	"      \"pci_vendor_id\": \"0x8086\",\n"
	"      \"pci_device_id\": \"0x0d93\",\n"
	"      \"firmware_revision\": \"EMU FW 1.0.0\",\n"
	"      \"volatile_bytes\": 4294967296,\n"
	"      \"persistent_bytes\": 4294967296,\n"
	"      \"lsa_bytes\": 131072,\n"
	"      \"payload_max\": 4096,\n"
	"      \"numa_node\": 0\n"
	"    },\n"
	"    {\n"
	"      \"name\": \"emu1\",\n"
	"      \"serial\": \"0x1000000000000002\",\n"
	"      \"pci_vendor_id\": \"0x8086\",\n"
	"      \"pci_device_id\": \"0x0d93\",\n"
	"      \"firmware_revision\": \"EMU FW 1.0.0\",\n"
	"      \"volatile_bytes\": 8589934592,\n"
	"      \"persistent_bytes\": 0,\n"
	"      \"lsa_bytes\": 131072,\n"
	"      \"payload_max\": 2048,\n"
	"      \"numa_node\": -1\n"
	"    }\n"
	"  ]\n"
	"}\n";

struct emu_log {
	uint8_t rec[EMU_LOG_CAP][CXL_EVENT_RECORD_LEN];
	size_t n;
	uint16_t overflow;
};

struct emu_dev {
	pthread_mutex_t lock;
	/* profile */
	char name[32];
	char id[CXL_ID_MAX];
	uint64_t serial;
	char host[64];
	uint16_t vid, did;
	char fw[CXL_FW_REV_LEN + 1];
	uint64_t vol, pers;
	uint32_t lsa_size, payload_max;
	int numa;
	int base_temp, base_life;
	unsigned per_degree, per_life;
	uint32_t dirty_shutdowns;
	char *fault_path;
	char *journal_path;
	int journal_fd;
	char *lsa_path;
	uint8_t *lsa;
	/* state */
	uint64_t executed;
	uint64_t vendor_seq;
	int64_t ts_offset_ns;
	int temp_state, life_state;
	struct emu_log logs[4];
	uint16_t next_handle;
	uint32_t cfg_active, cfg_pending;
	bool pending_valid;
	uint32_t mode;
	uint64_t data_gen;
	uint32_t lsa_writes;
	uint16_t bg_done;
	bool bg_running;
	uint16_t bg_opcode, bg_rc;
	uint8_t bg_percent;
	struct timespec bg_start;
	unsigned bg_ms;
	bool vanished;
	/* fault injection */
	enum cxl_emu_fault fault;
	enum cxl_emu_fault cur_fault; /* the fault hitting the command being executed */
	int fault_count;
	int fault_opcode;
	bool ctl_seen;
	struct stat ctl_st;
};

struct emu_backend {
	struct cxl_backend be;
	size_t n;
	struct emu_dev *dev;
};

/* A command handler gets its input and room for out_max bytes, returns the
 * mailbox return code and sets *out_len. */
typedef uint16_t (*emu_fn)(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_max, size_t *out_len);
struct emu_cmd {
	uint16_t opcode;
	uint16_t effects;
	emu_fn fn;
};
static size_t emu_cmd_count(void);
static const struct emu_cmd *emu_cmd_at(size_t i);

static const char *const fault_names[CXL_EMU_FAULT__COUNT] = {
	[CXL_EMU_FAULT_NONE] = "none",
	[CXL_EMU_FAULT_BUSY] = "busy",
	[CXL_EMU_FAULT_RETRY] = "retry",
	[CXL_EMU_FAULT_INTERNAL] = "internal",
	[CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH] = "bad_payload_length",
	[CXL_EMU_FAULT_TIMEOUT] = "timeout",
	[CXL_EMU_FAULT_VANISH] = "vanish",
	[CXL_EMU_FAULT_OVERSIZE_REPLY] = "oversize_reply",
	[CXL_EMU_FAULT_LONG_REPLY] = "long_reply",
	[CXL_EMU_FAULT_BAD_CEL] = "bad_cel",
};

const char *cxl_emu_fault_name(enum cxl_emu_fault f)
{
	if ((unsigned)f >= CXL_EMU_FAULT__COUNT)
		return NULL;
	return fault_names[f];
}

int cxl_emu_fault_parse(const char *name, enum cxl_emu_fault *out)
{
	for (int i = 0; i < CXL_EMU_FAULT__COUNT; i++) {
		if (strcmp(fault_names[i], name) == 0) {
			*out = (enum cxl_emu_fault)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cxl_emu_builtin_profile(void)
{
	return builtin_profile;
}

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- model state ---- */

static int level_state(int v)
{
	return v >= EMU_CRIT_LEVEL ? 2 : v >= EMU_WARN_LEVEL ? 1 : 0;
}

static int emu_temperature(const struct emu_dev *d)
{
	uint64_t t = (uint64_t)(d->base_temp + 40) + d->executed / d->per_degree;
	if (t > (uint64_t)EMU_MAX_TEMP + 40)
		t = (uint64_t)EMU_MAX_TEMP + 40;
	return (int)t - 40;
}

static int emu_life(const struct emu_dev *d)
{
	uint64_t l = (uint64_t)d->base_life + d->executed / d->per_life;
	return l > 100 ? 100 : (int)l;
}

static void emu_health_bytes(const struct emu_dev *d, uint8_t *p)
{
	int temp = emu_temperature(d), life = emu_life(d);
	int ts = level_state(temp), ls = level_state(life);

	memset(p, 0, CXL_HEALTH_INFO_LEN);
	p[0] = (uint8_t)((ls >= 1 ? 0x01 : 0) | (ts == 2 ? 0x02 : 0) | (ls == 2 ? 0x04 : 0));
	p[1] = 0; /* media normal */
	p[2] = (uint8_t)(ls | ts << 2);
	p[3] = (uint8_t)life;
	cxl_put_le16(p + 4, (uint16_t)(int16_t)temp);
	cxl_put_le32(p + 6, d->dirty_shutdowns);
}

static uint64_t emu_timestamp(const struct emu_dev *d)
{
	return (uint64_t)(clock_ns(CLOCK_MONOTONIC) + d->ts_offset_ns);
}

/* Queue a record; a full log drops it and counts the overflow, as devices do. */
static void emu_push_event(struct emu_dev *d, int log, const uint8_t uuid[16],
			   const uint8_t *data, size_t dlen)
{
	struct emu_log *l = &d->logs[log];
	uint8_t *r;

	if (l->n == EMU_LOG_CAP) {
		if (l->overflow < UINT16_MAX)
			l->overflow++;
		return;
	}
	r = l->rec[l->n++];
	memset(r, 0, CXL_EVENT_RECORD_LEN);
	memcpy(r, uuid, 16);
	r[0x10] = CXL_EVENT_RECORD_LEN;
	r[0x11] = (uint8_t)log; /* flags[1:0]: severity */
	if (d->next_handle == 0)
		d->next_handle = 1; /* 0 is not a valid handle */
	cxl_put_le16(r + 0x14, d->next_handle++);
	cxl_put_le64(r + 0x18, emu_timestamp(d));
	memcpy(r + 0x30, data, dlen < 0x50 ? dlen : 0x50);
}

/* Memory Module event: event type (2 life used, 3 temperature) + health. */
static void emu_health_event(struct emu_dev *d, uint8_t type, int state)
{
	uint8_t data[1 + CXL_HEALTH_INFO_LEN];
	data[0] = type;
	emu_health_bytes(d, data + 1);
	emu_push_event(d, state == 2 ? CXL_EVENT_LOG_FAIL : CXL_EVENT_LOG_WARN, uuid_mem_module,
		       data, sizeof(data));
}

static void emu_tick(struct emu_dev *d)
{
	int ts, ls;

	d->executed++;
	ts = level_state(emu_temperature(d));
	ls = level_state(emu_life(d));
	if (ts > d->temp_state)
		emu_health_event(d, 3, ts);
	if (ls > d->life_state)
		emu_health_event(d, 2, ls);
	d->temp_state = ts;
	d->life_state = ls;
}

static void emu_bg_update(struct emu_dev *d)
{
	int64_t elapsed_ms;

	if (!d->bg_running)
		return;
	elapsed_ms = (clock_ns(CLOCK_MONOTONIC) -
		      ((int64_t)d->bg_start.tv_sec * 1000000000 + d->bg_start.tv_nsec)) /
		     1000000;
	if (elapsed_ms >= (int64_t)d->bg_ms) {
		uint8_t data[4];
		d->bg_running = false;
		d->bg_percent = 100;
		d->bg_rc = CXL_MBOX_SUCCESS;
		d->bg_done++;
		d->data_gen++;
		data[0] = 0x01; /* vendor event type: background operation finished */
		data[1] = 0;
		cxl_put_le16(data + 2, d->bg_opcode);
		emu_push_event(d, CXL_EVENT_LOG_INFO, uuid_vendor, data, sizeof(data));
	} else {
		d->bg_percent = (uint8_t)(elapsed_ms * 100 / d->bg_ms);
	}
}

/* ---- command handlers ---- */

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
	memcpy(out + 0x10, d->fw, strlen(d->fw));
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
	d->ts_offset_ns = (int64_t)cxl_get_le64(in) - clock_ns(CLOCK_MONOTONIC);
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
	memcpy(out, d->fw, strlen(d->fw));
	cxl_put_le64(out + 0x10, (d->vol + d->pers) / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x18, d->vol / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x20, d->pers / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 0x28, 0); /* no partitionable capacity */
	for (int i = 0; i < 4; i++)
		cxl_put_le16(out + 0x30 + 2 * i, EMU_LOG_CAP);
	cxl_put_le32(out + 0x38, d->lsa_size);
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
	cxl_put_le64(out, d->vol / CXL_CAPACITY_UNIT);
	cxl_put_le64(out + 8, d->pers / CXL_CAPACITY_UNIT);
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
	if ((uint64_t)off + len > d->lsa_size || len > out_max)
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
	if ((uint64_t)off + len > d->lsa_size)
		return CXL_MBOX_INVALID_INPUT;
	if (!len)
		return CXL_MBOX_SUCCESS;
	old = malloc(len);
	if (!old)
		return CXL_MBOX_INTERNAL_ERROR;
	memcpy(old, d->lsa + off, len);
	memcpy(d->lsa + off, in + CXL_SET_LSA_HDR_LEN, len);
	if (d->lsa_path) {
		int rc = file_write_atomic(d->lsa_path, d->lsa, d->lsa_size, 0600);
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
	cxl_put_le64(out + 0x30, d->serial);
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

/* ---- fault injection ---- */

static void emu_set_fault(struct emu_dev *d, enum cxl_emu_fault f, int count, int opcode)
{
	d->fault = count == 0 ? CXL_EMU_FAULT_NONE : f;
	d->fault_count = count < 0 ? -1 : count;
	d->fault_opcode = opcode;
}

static int parse_hex_u16(json_t *v, int *out)
{
	const char *s;
	char *end;
	unsigned long x;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > 0xFFFF)
			return -EINVAL;
		*out = (int)i;
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
		return -EINVAL;
	errno = 0;
	x = strtoul(s + 2, &end, 16);
	if (errno || *end || end == s + 2 || x > 0xFFFF)
		return -EINVAL;
	*out = (int)x;
	return 0;
}

static int parse_log_name(const char *s, int *log)
{
	static const char *const names[] = { "info", "warn", "fail", "fatal" };
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*log = i;
			return 0;
		}
	}
	return -EINVAL;
}

static void emu_vendor_event(struct emu_dev *d, int log)
{
	uint8_t data[8] = { 0x02 }; /* vendor event type: injected */
	cxl_put_le32(data + 4, (uint32_t)d->executed);
	emu_push_event(d, log, uuid_vendor, data, sizeof(data));
}

static void emu_apply_control(struct emu_dev *d, const char *text, size_t len)
{
	static const char *const keys[] = { "fault", "count", "opcode", "event", NULL };
	static const char *const root[] = { NULL };
	struct jsonfile jf;
	char err[512];
	json_t *v;
	enum cxl_emu_fault f = CXL_EMU_FAULT_NONE;
	int count = -1, opcode = -1, log = -1;

	if (jsonfile_parse(d->fault_path, text, len, &jf, err, sizeof(err))) {
		log_warn("emulated %s: fault control ignored: %s", d->id, err);
		emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		return;
	}
	if (!json_is_object(jf.root)) {
		log_warn("emulated %s: fault control %s: not a JSON object", d->id, d->fault_path);
		goto bad;
	}
	if (jsonfile_only_keys(&jf, root, jf.root, keys, err, sizeof(err))) {
		log_warn("emulated %s: fault control ignored: %s", d->id, err);
		goto bad;
	}
	if ((v = json_object_get(jf.root, "fault")) &&
	    (!json_is_string(v) || cxl_emu_fault_parse(json_string_value(v), &f))) {
		log_warn("emulated %s: fault control %s: unknown fault", d->id, d->fault_path);
		goto bad;
	}
	if ((v = json_object_get(jf.root, "count"))) {
		if (!json_is_integer(v) || json_integer_value(v) < -1 ||
		    json_integer_value(v) > INT_MAX) {
			log_warn("emulated %s: fault control %s: bad count", d->id, d->fault_path);
			goto bad;
		}
		count = (int)json_integer_value(v);
	}
	if ((v = json_object_get(jf.root, "opcode")) && parse_hex_u16(v, &opcode)) {
		log_warn("emulated %s: fault control %s: bad opcode", d->id, d->fault_path);
		goto bad;
	}
	if ((v = json_object_get(jf.root, "event")) &&
	    (!json_is_string(v) || parse_log_name(json_string_value(v), &log))) {
		log_warn("emulated %s: fault control %s: bad event log", d->id, d->fault_path);
		goto bad;
	}
	emu_set_fault(d, f, count, opcode);
	if (log >= 0)
		emu_vendor_event(d, log);
	log_info("emulated %s: fault control: %s count %d opcode %d%s", d->id,
		 cxl_emu_fault_name(f), count, opcode, log >= 0 ? " (+1 event)" : "");
	jsonfile_release(&jf);
	return;
bad:
	emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
	jsonfile_release(&jf);
}

/* The control file is re-read only when it changed, so a count in it is
 * consumed across commands rather than re-armed before each one. */
static void emu_poll_control(struct emu_dev *d)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!d->fault_path)
		return;
	if (stat(d->fault_path, &st) < 0) {
		if (d->ctl_seen) {
			d->ctl_seen = false;
			emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		}
		return;
	}
	if (d->ctl_seen && st.st_ino == d->ctl_st.st_ino && st.st_size == d->ctl_st.st_size &&
	    st.st_mtim.tv_sec == d->ctl_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == d->ctl_st.st_mtim.tv_nsec)
		return;
	d->ctl_seen = true;
	d->ctl_st = st;
	rc = file_read_all(d->fault_path, EMU_CONTROL_MAX, &text, &len);
	if (rc) {
		log_warn("emulated %s: cannot read fault control %s: %s", d->id, d->fault_path,
			 strerror(-rc));
		emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		return;
	}
	emu_apply_control(d, text, len);
	free(text);
}

/* Whether the armed fault hits this command; consumes one count. bad_cel
 * only ever concerns Get Supported Logs. */
static enum cxl_emu_fault emu_take_fault(struct emu_dev *d, uint16_t opcode)
{
	enum cxl_emu_fault f = d->fault;

	if (f == CXL_EMU_FAULT_NONE)
		return f;
	if (d->fault_opcode >= 0 && d->fault_opcode != opcode)
		return CXL_EMU_FAULT_NONE;
	if (f == CXL_EMU_FAULT_BAD_CEL && opcode != CXL_OP_GET_SUPPORTED_LOGS)
		return CXL_EMU_FAULT_NONE;
	if (d->fault_count > 0 && --d->fault_count == 0)
		d->fault = CXL_EMU_FAULT_NONE;
	return f;
}

static int emu_journal(struct emu_dev *d, uint16_t opcode)
{
	char op[8];
	json_t *j;
	char *line;
	size_t len;
	int rc;

	if (d->journal_fd < 0)
		return 0;
	snprintf(op, sizeof(op), "0x%04X", opcode);
	j = json_pack("{s:s, s:s, s:I}", "device", d->id, "opcode", op, "seq",
		      (json_int_t)(d->vendor_seq + 1));
	if (!j)
		return -ENOMEM;
	line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n'; /* json_dumps NUL-terminates: reuse that byte */
	rc = file_append_sync(d->journal_fd, line, len + 1);
	free(line);
	if (!rc)
		d->vendor_seq++;
	return rc;
}

/* ---- backend ops ---- */

static int emu_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	struct emu_dev *d;
	const struct emu_cmd *cmd = NULL;
	enum cxl_emu_fault f;
	uint16_t rc;
	int jrc;

	if (idx >= eb->n)
		return -ENODEV;
	d = &eb->dev[idx];
	*out_len = 0;
	*mbox_rc = 0;
	pthread_mutex_lock(&d->lock);
	emu_poll_control(d);
	if (d->vanished) {
		pthread_mutex_unlock(&d->lock);
		return -ENODEV;
	}
	f = emu_take_fault(d, opcode);
	switch (f) {
	case CXL_EMU_FAULT_VANISH:
		d->vanished = true;
		pthread_mutex_unlock(&d->lock);
		return -ENODEV;
	case CXL_EMU_FAULT_TIMEOUT:
		pthread_mutex_unlock(&d->lock);
		if (deadline)
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
				;
		return -ETIMEDOUT;
	case CXL_EMU_FAULT_BUSY:
		*mbox_rc = CXL_MBOX_BUSY;
		break;
	case CXL_EMU_FAULT_RETRY:
		*mbox_rc = CXL_MBOX_RETRY_REQUIRED;
		break;
	case CXL_EMU_FAULT_INTERNAL:
		*mbox_rc = CXL_MBOX_INTERNAL_ERROR;
		break;
	case CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH:
		*mbox_rc = CXL_MBOX_INVALID_PAYLOAD_LENGTH;
		break;
	default:
		break;
	}
	if (*mbox_rc) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	emu_bg_update(d);
	for (size_t i = 0; i < emu_cmd_count(); i++)
		if (emu_cmds[i].opcode == opcode)
			cmd = &emu_cmds[i];
	if (!cmd) {
		*mbox_rc = CXL_MBOX_UNSUPPORTED;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	if (opcode >= 0xC000 && (jrc = emu_journal(d, opcode))) {
		log_warn("emulated %s: cannot write the execution journal %s: %s", d->id,
			 d->journal_path, strerror(-jrc));
		*mbox_rc = CXL_MBOX_INTERNAL_ERROR;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	emu_tick(d);
	d->cur_fault = f;
	rc = cmd->fn(d, in, in_len, out, out_max, out_len);
	d->cur_fault = CXL_EMU_FAULT_NONE;
	if (rc != CXL_MBOX_SUCCESS && rc != CXL_MBOX_BACKGROUND_STARTED)
		*out_len = 0;
	if (f == CXL_EMU_FAULT_OVERSIZE_REPLY) {
		*out_len = out_max + 64;
	} else if (f == CXL_EMU_FAULT_LONG_REPLY) {
		size_t extra = out_max - *out_len < 4 ? out_max - *out_len : 4;
		memset(out + *out_len, 0xEE, extra);
		*out_len += extra;
	}
	*mbox_rc = rc;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int emu_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	size_t n = eb->n < max ? eb->n : max;

	for (size_t i = 0; i < n; i++) {
		const struct emu_dev *d = &eb->dev[i];
		struct cxl_dev_info *o = &info[i];
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", d->name);
		o->serial = d->serial;
		snprintf(o->host, sizeof(o->host), "%s", d->host);
		o->pci_vendor_id = d->vid;
		o->pci_device_id = d->did;
		memcpy(o->fw_revision, d->fw, sizeof(o->fw_revision));
		o->total_bytes = d->vol + d->pers;
		o->volatile_only_bytes = d->vol;
		o->persistent_only_bytes = d->pers;
		o->lsa_size = d->lsa_size;
		o->payload_max = d->payload_max;
		o->numa_node = d->numa;
	}
	return (int)n;
}

static void emu_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out)
{
	(void)be;
	(void)idx;
	(void)opcode;
	memset(out, 0, sizeof(*out));
	out->how = CXL_DELIVER_EMULATED;
}

static void emu_dev_release(struct emu_dev *d)
{
	pthread_mutex_destroy(&d->lock);
	if (d->journal_fd >= 0)
		close(d->journal_fd);
	free(d->fault_path);
	free(d->journal_path);
	free(d->lsa_path);
	free(d->lsa);
}

static void emu_free(struct cxl_backend *be)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	if (!eb)
		return;
	for (size_t i = 0; i < eb->n; i++)
		emu_dev_release(&eb->dev[i]);
	free(eb->dev);
	free(eb);
}

static const struct cxl_backend_ops emu_ops = {
	.name = "emulated",
	.enumerate = emu_enumerate,
	.submit = emu_submit,
	.delivery = emu_delivery,
	.free = emu_free,
};

/* ---- profile ---- */

struct prof_ctx {
	const struct jsonfile *jf;
	char idx[24];
	char *err;
	size_t errlen;
};

static int prof_err(struct prof_ctx *c, const char *key, const char *sub, const char *msg)
{
	const char *path[] = { "devices", c->idx, key, sub, NULL };
	jsonfile_error(c->jf, path, 0, c->err, c->errlen, "%s%s%s: %s", key, sub ? "." : "",
		       sub ? sub : "", msg);
	return -EINVAL;
}

static int prof_hex(struct prof_ctx *c, json_t *dev, const char *key, uint64_t max,
		    uint64_t *out)
{
	json_t *v = json_object_get(dev, key);
	const char *s;
	char *end;
	unsigned long long x;

	if (!v)
		return prof_err(c, key, NULL, "missing");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strncmp(s, "0x", 2) != 0 || !s[2] || strlen(s) > 18)
		return prof_err(c, key, NULL, "expected a hex string like \"0x1f\"");
	errno = 0;
	x = strtoull(s + 2, &end, 16);
	if (errno || *end || x > max)
		return prof_err(c, key, NULL, "bad or out-of-range hex value");
	*out = x;
	return 0;
}

static int prof_int(struct prof_ctx *c, json_t *obj, const char *key, const char *sub,
		    bool required, long long lo, long long hi, long long def, long long *out)
{
	json_t *v = json_object_get(obj, sub ? sub : key);

	if (!v) {
		if (required)
			return prof_err(c, key, sub, "missing");
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return prof_err(c, key, sub, "expected an integer");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		char msg[96];
		snprintf(msg, sizeof(msg), "out of range [%lld, %lld]", lo, hi);
		return prof_err(c, key, sub, msg);
	}
	*out = json_integer_value(v);
	return 0;
}

static int prof_str(struct prof_ctx *c, json_t *dev, const char *key, bool required,
		    size_t maxlen, const char **out)
{
	json_t *v = json_object_get(dev, key);
	*out = NULL;
	if (!v) {
		if (required)
			return prof_err(c, key, NULL, "missing");
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > maxlen)
		return prof_err(c, key, NULL, "expected a non-empty string");
	*out = json_string_value(v);
	for (const char *p = *out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return prof_err(c, key, NULL, "printable ASCII only");
	return 0;
}

static int emu_lsa_load(struct emu_dev *d)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	d->lsa = calloc(1, d->lsa_size ? d->lsa_size : 1);
	if (!d->lsa)
		return -ENOMEM;
	if (!d->lsa_path)
		return 0;
	rc = file_read_all(d->lsa_path, d->lsa_size, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc || len != d->lsa_size) {
		log_warn("emulated %s: label storage file %s unusable (%s), starting empty", d->id,
			 d->lsa_path, rc ? strerror(-rc) : "size differs from lsa_bytes");
		free(buf);
		return 0;
	}
	memcpy(d->lsa, buf, len);
	free(buf);
	return 0;
}

static int prof_device(struct prof_ctx *c, json_t *dev, const char *state_dir,
		       struct emu_dev *d)
{
	static const char *const keys[] = { "name", "serial", "pci_vendor_id", "pci_device_id",
					    "firmware_revision", "volatile_bytes",
					    "persistent_bytes", "lsa_bytes", "payload_max",
					    "numa_node", "host", "fault_control", "exec_journal",
					    "health", NULL };
	static const char *const hkeys[] = { "temperature_c", "life_used_pct",
					     "commands_per_degree", "commands_per_life_pct",
					     "dirty_shutdowns", NULL };
	const char *path[] = { "devices", c->idx, NULL };
	const char *hpath[] = { "devices", c->idx, "health", NULL };
	const char *s;
	uint64_t x;
	long long v;
	json_t *h;
	int rc;

	if (!json_is_object(dev))
		return jsonfile_error(c->jf, path, 0, c->err, c->errlen, "expected an object");
	if ((rc = jsonfile_only_keys(c->jf, path, dev, keys, c->err, c->errlen)))
		return rc;
	if ((rc = prof_str(c, dev, "name", true, sizeof(d->name) - 1, &s)))
		return rc;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return prof_err(c, "name", NULL, "letters, digits, '_', '.', '-' only");
	snprintf(d->name, sizeof(d->name), "%s", s);
	if ((rc = prof_hex(c, dev, "serial", UINT64_MAX, &d->serial)))
		return rc;
	if ((rc = prof_hex(c, dev, "pci_vendor_id", 0xFFFF, &x)))
		return rc;
	d->vid = (uint16_t)x;
	if ((rc = prof_hex(c, dev, "pci_device_id", 0xFFFF, &x)))
		return rc;
	d->did = (uint16_t)x;
	if ((rc = prof_str(c, dev, "firmware_revision", true, CXL_FW_REV_LEN, &s)))
		return rc;
	snprintf(d->fw, sizeof(d->fw), "%s", s);
	if ((rc = prof_int(c, dev, "volatile_bytes", NULL, true, 0, 1LL << 50, 0, &v)))
		return rc;
	d->vol = (uint64_t)v;
	if (d->vol % CXL_CAPACITY_UNIT)
		return prof_err(c, "volatile_bytes", NULL, "not a multiple of 256 MiB");
	if ((rc = prof_int(c, dev, "persistent_bytes", NULL, true, 0, 1LL << 50, 0, &v)))
		return rc;
	d->pers = (uint64_t)v;
	if (d->pers % CXL_CAPACITY_UNIT)
		return prof_err(c, "persistent_bytes", NULL, "not a multiple of 256 MiB");
	if (!d->vol && !d->pers)
		return prof_err(c, "volatile_bytes", NULL, "a device needs some capacity");
	if ((rc = prof_int(c, dev, "lsa_bytes", NULL, true, 0, EMU_LSA_MAX, 0, &v)))
		return rc;
	d->lsa_size = (uint32_t)v;
	if ((rc = prof_int(c, dev, "payload_max", NULL, true, 256, 1 << 20, 0, &v)))
		return rc;
	if (v & (v - 1))
		return prof_err(c, "payload_max", NULL, "not a power of two");
	d->payload_max = (uint32_t)v;
	if ((rc = prof_int(c, dev, "numa_node", NULL, true, -1, 4095, -1, &v)))
		return rc;
	d->numa = (int)v;
	if ((rc = prof_str(c, dev, "host", false, sizeof(d->host) - 1, &s)))
		return rc;
	snprintf(d->host, sizeof(d->host), "%s", s ? s : "");
	if ((rc = prof_str(c, dev, "fault_control", false, PATH_MAX - 1, &s)))
		return rc;
	if (s && !(d->fault_path = strdup(s)))
		return -ENOMEM;
	if ((rc = prof_str(c, dev, "exec_journal", false, PATH_MAX - 1, &s)))
		return rc;
	if (s && !(d->journal_path = strdup(s)))
		return -ENOMEM;

	d->base_temp = 35;
	d->base_life = 2;
	d->per_degree = 100;
	d->per_life = 1000;
	h = json_object_get(dev, "health");
	if (h) {
		if (!json_is_object(h))
			return prof_err(c, "health", NULL, "expected an object");
		if ((rc = jsonfile_only_keys(c->jf, hpath, h, hkeys, c->err, c->errlen)))
			return rc;
		if ((rc = prof_int(c, h, "health", "temperature_c", false, -40, EMU_MAX_TEMP, 35, &v)))
			return rc;
		d->base_temp = (int)v;
		if ((rc = prof_int(c, h, "health", "life_used_pct", false, 0, 100, 2, &v)))
			return rc;
		d->base_life = (int)v;
		if ((rc = prof_int(c, h, "health", "commands_per_degree", false, 1, INT_MAX, 100, &v)))
			return rc;
		d->per_degree = (unsigned)v;
		if ((rc = prof_int(c, h, "health", "commands_per_life_pct", false, 1, INT_MAX, 1000,
				   &v)))
			return rc;
		d->per_life = (unsigned)v;
		if ((rc = prof_int(c, h, "health", "dirty_shutdowns", false, 0, UINT32_MAX, 0, &v)))
			return rc;
		d->dirty_shutdowns = (uint32_t)v;
	}

	cxl_dev_id_format(d->serial, d->name, d->id, sizeof(d->id));
	if (state_dir) {
		size_t n = strlen(state_dir) + strlen(d->id) + 6;
		d->lsa_path = malloc(n);
		if (!d->lsa_path)
			return -ENOMEM;
		snprintf(d->lsa_path, n, "%s/%s.lsa", state_dir, d->id);
	}
	if ((rc = emu_lsa_load(d)))
		return rc;
	if (d->journal_path) {
		d->journal_fd = open(d->journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (d->journal_fd < 0) {
			rc = -errno;
			snprintf(c->err, c->errlen, "%s: exec_journal %s: %s", d->name, d->journal_path,
				 strerror(errno));
			return rc;
		}
	}
	d->ts_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	d->fault_opcode = -1;
	d->temp_state = level_state(emu_temperature(d));
	d->life_state = level_state(emu_life(d));
	return 0;
}

int cxl_emu_backend_new(const char *profile, const char *state_dir, struct cxl_backend **out,
			char *errbuf, size_t errlen)
{
	static const char *const top_keys[] = { "devices", NULL };
	static const char *const root[] = { NULL };
	struct emu_backend *eb;
	struct jsonfile jf;
	struct prof_ctx c;
	json_t *devs;
	int rc;

	*out = NULL;
	if (profile)
		rc = jsonfile_load(profile, EMU_PROFILE_MAX, &jf, errbuf, errlen);
	else
		rc = jsonfile_parse("built-in demo profile", builtin_profile, strlen(builtin_profile),
				    &jf, errbuf, errlen);
	if (rc)
		return rc;
	eb = calloc(1, sizeof(*eb));
	if (!eb) {
		jsonfile_release(&jf);
		return -ENOMEM;
	}
	eb->be.ops = &emu_ops;
	c.jf = &jf;
	c.err = errbuf;
	c.errlen = errlen;
	if (!json_is_object(jf.root)) {
		rc = jsonfile_error(&jf, root, 0, errbuf, errlen, "expected an object");
		goto fail;
	}
	if ((rc = jsonfile_only_keys(&jf, root, jf.root, top_keys, errbuf, errlen)))
		goto fail;
	devs = json_object_get(jf.root, "devices");
	if (!json_is_array(devs) || json_array_size(devs) == 0 ||
	    json_array_size(devs) > CXL_MAX_DEVICES) {
		const char *p[] = { "devices", NULL };
		rc = jsonfile_error(&jf, p, 0, errbuf, errlen,
				    "\"devices\" must be an array of 1 to %d devices", CXL_MAX_DEVICES);
		goto fail;
	}
	if (state_dir && (rc = dir_ensure(state_dir, 0700))) {
		snprintf(errbuf, errlen, "state directory %s: %s", state_dir, strerror(-rc));
		goto fail;
	}
	eb->dev = calloc(json_array_size(devs), sizeof(*eb->dev));
	if (!eb->dev) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(devs); i++) {
		struct emu_dev *d = &eb->dev[i];
		d->journal_fd = -1;
		pthread_mutex_init(&d->lock, NULL);
		eb->n = i + 1;
		snprintf(c.idx, sizeof(c.idx), "[%zu]", i);
		if ((rc = prof_device(&c, json_array_get(devs, i), state_dir, d)))
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(eb->dev[j].name, d->name) == 0) {
				rc = prof_err(&c, "name", NULL, "duplicate device name");
				goto fail;
			}
			if (d->serial && eb->dev[j].serial == d->serial) {
				rc = prof_err(&c, "serial", NULL, "duplicate serial");
				goto fail;
			}
		}
	}
	jsonfile_release(&jf);
	*out = &eb->be;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(errbuf, errlen, "out of memory");
	jsonfile_release(&jf);
	emu_free(&eb->be);
	return rc;
}

/* ---- test hooks ---- */

static struct emu_dev *emu_dev_of(struct cxl_devset *set, size_t idx, int *rc)
{
	struct cxl_backend *be = cxl_devset_backend_of(set);
	struct emu_backend *eb = (struct emu_backend *)be;

	if (be->ops != &emu_ops) {
		*rc = -EOPNOTSUPP;
		return NULL;
	}
	if (idx >= eb->n) {
		*rc = -ERANGE;
		return NULL;
	}
	*rc = 0;
	return &eb->dev[idx];
}

int cxl_emu_inject(struct cxl_devset *set, size_t idx, enum cxl_emu_fault fault, int count,
		   int opcode)
{
	int rc;
	struct emu_dev *d = emu_dev_of(set, idx, &rc);

	if (!d)
		return rc;
	if ((unsigned)fault >= CXL_EMU_FAULT__COUNT || opcode > 0xFFFF)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	emu_set_fault(d, fault, count, opcode < 0 ? -1 : opcode);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int cxl_emu_add_event(struct cxl_devset *set, size_t idx, enum cxl_event_log log)
{
	int rc;
	struct emu_dev *d = emu_dev_of(set, idx, &rc);

	if (!d)
		return rc;
	if ((unsigned)log > CXL_EVENT_LOG_FATAL)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	emu_vendor_event(d, (int)log);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int cxl_emu_commands_executed(struct cxl_devset *set, size_t idx, uint64_t *out)
{
	int rc;
	struct emu_dev *d = emu_dev_of(set, idx, &rc);

	if (!d)
		return rc;
	pthread_mutex_lock(&d->lock);
	*out = d->executed;
	pthread_mutex_unlock(&d->lock);
	return 0;
}
