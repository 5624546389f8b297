/* The emulated backend's internals, shared by its files and nothing else:
 * the device model's state (model.c), its command table (commands.c) and
 * its faults (faults.c). Every function here is called with d->lock held. */
#ifndef CXLA_CXL_EMULATED_MODEL_H
#define CXLA_CXL_EMULATED_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "cxl/emulated/emulated.h"
#include "cxl/emulated/profile.h"
#include "cxl/mbox.h"

#define EMU_LOG_CAP 16 /* records per event log */

struct emu_log {
	uint8_t rec[EMU_LOG_CAP][CXL_EVENT_RECORD_LEN];
	size_t n;
	uint16_t overflow;
};

struct emu_dev {
	pthread_mutex_t lock;
	struct emu_profile_dev p; /* as the profile describes it; paths owned */
	char id[CXL_ID_MAX];
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

/* ---- model.c ---- */

/* Create device d from its profile description (copied; paths duplicated):
 * label storage loaded from <state_dir>/<id>.lsa when state_dir is set, the
 * execution journal opened. 0 or -errno with errbuf. Release with
 * emu_dev_release() in either case. */
int emu_dev_init(struct emu_dev *d, const struct emu_profile_dev *p, const char *state_dir,
		 char *errbuf, size_t errlen);
void emu_dev_release(struct emu_dev *d);

int64_t emu_clock_ns(clockid_t clk);
int emu_temperature(const struct emu_dev *d);
int emu_life(const struct emu_dev *d);
/* The device clock, ns since the epoch. */
uint64_t emu_timestamp(const struct emu_dev *d);
/* Get Health Info payload (CXL_HEALTH_INFO_LEN bytes) at p. */
void emu_health_bytes(const struct emu_dev *d, uint8_t *p);
/* Queue an event record; a full log drops it and counts the overflow. */
void emu_push_event(struct emu_dev *d, int log, const uint8_t uuid[16], const uint8_t *data,
		    size_t dlen);
/* The model's own vendor event record type. */
extern const uint8_t emu_uuid_vendor[16];
/* One command executed: advances the virtual clock and health. */
void emu_tick(struct emu_dev *d);
/* Progress or finish the background operation on the wall clock. */
void emu_bg_update(struct emu_dev *d);
/* Append one fsynced line for a vendor command about to execute. 0 when
 * there is no journal. */
int emu_journal(struct emu_dev *d, uint16_t opcode);

/* ---- commands.c ---- */

/* A command handler gets its input and room for out_max bytes, returns the
 * mailbox return code and sets *out_len. */
typedef uint16_t (*emu_fn)(struct emu_dev *d, const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_max, size_t *out_len);
struct emu_cmd {
	uint16_t opcode;
	uint16_t effects;
	emu_fn fn;
};
/* The table entry for opcode, or NULL when the model does not implement it. */
const struct emu_cmd *emu_cmd_find(uint16_t opcode);

/* ---- faults.c ---- */

void emu_set_fault(struct emu_dev *d, enum cxl_emu_fault f, int count, int opcode);
/* Append one injected vendor record to log. */
void emu_vendor_event(struct emu_dev *d, int log);
/* Re-read the fault control file when it changed. */
void emu_poll_control(struct emu_dev *d);
/* Whether the armed fault hits this command; consumes one count. */
enum cxl_emu_fault emu_take_fault(struct emu_dev *d, uint16_t opcode);

#endif
