/* Emulated CXL Type-3 memory devices: the backend used when the host has no
 * CXL hardware, and by the tests.
 *
 * Theory of operation
 * -------------------
 * Each device in the profile is a small state machine behind a mailbox. A
 * command is (opcode, input bytes) -> (return code, output bytes), looked up
 * in one table (emu_cmds[] in commands.c) that also carries the command's CEL effects; the
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
 *  - Fault injection (emulated.h, faults.c): busy, retry, internal error, invalid
 *    payload length, no answer, vanishing, garbage reply lengths, a
 *    malformed CEL.
 * Not modelled: media (no memory behind the device, no poison, no scan
 * media), partitioning, security and sanitize, firmware transfer and
 * activation, alert configuration, event interrupts, resets of any kind,
 * multiple logical devices, the CXL.mem and CXL.cache protocols, timing of
 * real hardware (commands answer at once except the background operation). */
#include "cxl/emulated/model.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cxl/backend.h"
#include "util/fileio.h"
#include "util/log.h"

#define EMU_WARN_LEVEL 75
#define EMU_CRIT_LEVEL 90

/* Memory Module Event Record, fe927475-dd59-4339-a586-79bab113b774 */
static const uint8_t uuid_mem_module[16] = { 0xfe, 0x92, 0x74, 0x75, 0xdd, 0x59, 0x43, 0x39,
					     0xa5, 0x86, 0x79, 0xba, 0xb1, 0x13, 0xb7, 0x74 };
/* The model's own vendor record, 6378c1a0-6b2e-4c8e-9a7d-63786c616765 */
const uint8_t emu_uuid_vendor[16] = { 0x63, 0x78, 0xc1, 0xa0, 0x6b, 0x2e, 0x4c, 0x8e,
				       0x9a, 0x7d, 0x63, 0x78, 0x6c, 0x61, 0x67, 0x65 };

int64_t emu_clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int level_state(int v)
{
	return v >= EMU_CRIT_LEVEL ? 2 : v >= EMU_WARN_LEVEL ? 1 : 0;
}

int emu_temperature(const struct emu_dev *d)
{
	uint64_t t = (uint64_t)(d->p.base_temp + 40) + d->executed / d->p.per_degree;
	if (t > (uint64_t)EMU_MAX_TEMP + 40)
		t = (uint64_t)EMU_MAX_TEMP + 40;
	return (int)t - 40;
}

int emu_life(const struct emu_dev *d)
{
	uint64_t l = (uint64_t)d->p.base_life + d->executed / d->p.per_life;
	return l > 100 ? 100 : (int)l;
}

void emu_health_bytes(const struct emu_dev *d, uint8_t *p)
{
	int temp = emu_temperature(d), life = emu_life(d);
	int ts = level_state(temp), ls = level_state(life);

	memset(p, 0, CXL_HEALTH_INFO_LEN);
	p[0] = (uint8_t)((ls >= 1 ? 0x01 : 0) | (ts == 2 ? 0x02 : 0) | (ls == 2 ? 0x04 : 0));
	p[1] = 0; /* media normal */
	p[2] = (uint8_t)(ls | ts << 2);
	p[3] = (uint8_t)life;
	cxl_put_le16(p + 4, (uint16_t)(int16_t)temp);
	cxl_put_le32(p + 6, d->p.dirty_shutdowns);
}

uint64_t emu_timestamp(const struct emu_dev *d)
{
	return (uint64_t)(emu_clock_ns(CLOCK_MONOTONIC) + d->ts_offset_ns);
}

/* A full log drops the record and counts the overflow, as devices do. */
void emu_push_event(struct emu_dev *d, int log, const uint8_t uuid[16], const uint8_t *data,
		    size_t dlen)
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

void emu_tick(struct emu_dev *d)
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

void emu_bg_update(struct emu_dev *d)
{
	int64_t elapsed_ms;

	if (!d->bg_running)
		return;
	elapsed_ms = (emu_clock_ns(CLOCK_MONOTONIC) -
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
		emu_push_event(d, CXL_EVENT_LOG_INFO, emu_uuid_vendor, data, sizeof(data));
	} else {
		d->bg_percent = (uint8_t)(elapsed_ms * 100 / d->bg_ms);
	}
}

static int emu_lsa_load(struct emu_dev *d)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	d->lsa = calloc(1, d->p.lsa_size ? d->p.lsa_size : 1);
	if (!d->lsa)
		return -ENOMEM;
	if (!d->lsa_path)
		return 0;
	rc = file_read_all(d->lsa_path, d->p.lsa_size, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc || len != d->p.lsa_size) {
		log_warn("emulated %s: label storage file %s unusable (%s), starting empty", d->id,
			 d->lsa_path, rc ? strerror(-rc) : "size differs from lsa_bytes");
		free(buf);
		return 0;
	}
	memcpy(d->lsa, buf, len);
	free(buf);
	return 0;
}

int emu_dev_init(struct emu_dev *d, const struct emu_profile_dev *p, const char *state_dir,
		 char *errbuf, size_t errlen)
{
	int rc;

	d->journal_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->p = *p;
	d->p.fault_path = NULL;
	d->p.journal_path = NULL;
	if ((p->fault_path && !(d->p.fault_path = strdup(p->fault_path))) ||
	    (p->journal_path && !(d->p.journal_path = strdup(p->journal_path))))
		return -ENOMEM;
	cxl_dev_id_format(d->p.serial, d->p.name, d->id, sizeof(d->id));
	if (state_dir) {
		size_t n = strlen(state_dir) + strlen(d->id) + 6;
		d->lsa_path = malloc(n);
		if (!d->lsa_path)
			return -ENOMEM;
		snprintf(d->lsa_path, n, "%s/%s.lsa", state_dir, d->id);
	}
	if ((rc = emu_lsa_load(d)))
		return rc;
	if (d->p.journal_path) {
		d->journal_fd = open(d->p.journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (d->journal_fd < 0) {
			rc = -errno;
			snprintf(errbuf, errlen, "%s: exec_journal %s: %s", d->p.name, d->p.journal_path,
				 strerror(errno));
			return rc;
		}
	}
	d->ts_offset_ns = emu_clock_ns(CLOCK_REALTIME) - emu_clock_ns(CLOCK_MONOTONIC);
	d->fault_opcode = -1;
	d->temp_state = level_state(emu_temperature(d));
	d->life_state = level_state(emu_life(d));
	return 0;
}

void emu_dev_release(struct emu_dev *d)
{
	pthread_mutex_destroy(&d->lock);
	if (d->journal_fd >= 0)
		close(d->journal_fd);
	free(d->p.fault_path);
	free(d->p.journal_path);
	free(d->lsa_path);
	free(d->lsa);
}

int emu_journal(struct emu_dev *d, uint16_t opcode)
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
